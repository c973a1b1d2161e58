# Organisation moved to guichet.accounts (state only: same table). Every foreign key to it was
# re-pointed first (accounts 0002, tickets 0002), then the old state model is dropped.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_organisation"),
        ("contracts", "0001_initial"),
        ("tickets", "0002_organisation_in_accounts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="contract",
                    name="organisation",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="contracts",
                        to="accounts.organisation",
                        verbose_name="organisation",
                    ),
                ),
                migrations.DeleteModel(name="Organisation"),
            ],
            database_operations=[],
        ),
    ]

# Organisation moves from guichet.contracts to guichet.accounts (beside Person, below contracts).
# The table keeps its name: only Django's state changes, no row moves.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("contracts", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Organisation",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=200, unique=True, verbose_name="name")),
                        (
                            "email_domain",
                            models.CharField(blank=True, max_length=200, verbose_name="e-mail domain"),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(default=django.utils.timezone.now, verbose_name="created"),
                        ),
                    ],
                    options={
                        "verbose_name": "organisation",
                        "verbose_name_plural": "organisations",
                        "ordering": ["name"],
                        "db_table": "contracts_organisation",
                    },
                ),
                migrations.AlterField(
                    model_name="person",
                    name="organisation",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="contacts",
                        to="accounts.organisation",
                        verbose_name="organisation",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]

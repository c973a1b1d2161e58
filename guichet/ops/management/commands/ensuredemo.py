"""`guichet ensuredemo`: load the demo data when the database holds no ticket yet (used by bin/run)."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext_lazy as _

from guichet.ops.demo import loaddemo_available
from guichet.tickets.models import Ticket


class Command(BaseCommand):
    # argparse needs a real str for --help (a lazy proxy raises TypeError).
    help = str(_("Load the demo data if the database has no ticket; leave existing data alone."))

    def handle(self, *args, **options):
        if Ticket.objects.exists():
            self.stdout.write("The database already has tickets; demo data not loaded.")
            return
        if not loaddemo_available():
            # Not fatal: the desk still starts, empty, and says why.
            self.stderr.write(
                "Warning: the `loaddemo` command does not exist yet (guichet/demo); no demo data loaded."
            )
            return
        self.stdout.write("Empty database: loading the demo data…")
        call_command("loaddemo", stdout=self.stdout, stderr=self.stderr)

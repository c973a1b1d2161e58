"""`guichet ingestmail`: read one raw message on standard input (an MTA pipe transport).

Exit 0 once the bytes are stored; 75 (EX_TEMPFAIL) when they could not be, so the MTA keeps the
message and retries; 65 (EX_DATAERR) for input that is not a message.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from guichet.mail.ingest import MessageTooLarge, ingest_raw

EX_DATAERR = 65
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = _("Store and process one raw e-mail read from standard input (for an MTA pipe).")

    def add_arguments(self, parser):
        parser.add_argument("--file", help="Read the message from this file instead of standard input.")

    def handle(self, *args, file=None, **options):
        if file:
            with open(file, "rb") as handle:
                raw = handle.read()
        else:
            raw = sys.stdin.buffer.read()
        try:
            row = ingest_raw(raw, source="pipe")
        except MessageTooLarge as exc:
            self.stderr.write(str(exc))
            sys.exit(EX_DATAERR)
        except ValueError as exc:
            self.stderr.write(f"Not a message: {exc}")
            sys.exit(EX_DATAERR)
        except Exception as exc:
            self.stderr.write(f"Not stored, try again later: {exc}")
            sys.exit(EX_TEMPFAIL)
        self.stdout.write(f"Stored as inbound mail {row.pk}: {row.status}")

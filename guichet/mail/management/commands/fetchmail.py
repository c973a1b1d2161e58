"""`guichet fetchmail`: poll the IMAP mailboxes once (the worker does it every minute)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from guichet.mail import conf
from guichet.mail.imap import ImapConfigError, poll_mailbox
from guichet.mail.ingest import process_due


class Command(BaseCommand):
    help = _("Fetch new mail from the IMAP mailboxes (GUICHET_IMAP_URL), store it, then process it.")

    def add_arguments(self, parser):
        parser.add_argument("--url", action="append", help="Mailbox URL (default: GUICHET_IMAP_URL).")
        parser.add_argument("--limit", type=int, default=None, help="At most this many messages per mailbox.")
        parser.add_argument("--no-process", action="store_true", help="Only store; process later.")

    def handle(self, *args, url=None, limit=None, no_process=False, **options):
        urls = url or conf.imap_urls()
        if not urls:
            raise CommandError(_("No mailbox: set GUICHET_IMAP_URL or pass --url."))
        failed = False
        for mailbox in urls:
            try:
                result = poll_mailbox(mailbox, limit=limit, process=not no_process)
            except ImapConfigError as exc:
                raise CommandError(str(exc)) from exc
            except Exception as exc:  # unreachable server, refused login: report, try the next one
                self.stderr.write(f"{mailbox.rsplit('@', 1)[-1]}: {type(exc).__name__}: {exc}")
                failed = True
                continue
            self.stdout.write(
                f"{result.mailbox}: {result.seen} new, {result.stored} stored, {result.duplicates} already "
                f"stored, {result.processed} processed, {result.oversized} too large"
            )
            for error in result.errors:
                self.stderr.write(f"  {error}")
            failed = failed or bool(result.errors)
        if not no_process:
            retried = process_due()
            if retried:
                self.stdout.write(f"Retried {retried} stored message(s).")
        if failed:
            raise CommandError(_("Some mail could not be fetched; it stays on the server for the next run."))

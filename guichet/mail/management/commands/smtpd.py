"""`guichet smtpd`: the SMTP (or LMTP) ingress for the support address."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from guichet.mail import conf
from guichet.mail.smtpd import IngressController


class Command(BaseCommand):
    help = _("Receive mail for the support address by SMTP or LMTP; 250 only once it is stored.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)
        parser.add_argument("--lmtp", action="store_true", help="Speak LMTP (e.g. behind Postfix).")

    def handle(self, *args, host: str, port: int, lmtp: bool, **options):
        controller = IngressController(hostname=host, port=port, lmtp=lmtp)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        controller.start()
        self.stdout.write(
            f"Accepting {'LMTP' if lmtp else 'SMTP'} mail for {conf.support_address()} on {host}:{port}",
        )
        self.stdout.flush()
        try:
            stop.wait()
        finally:
            controller.stop()

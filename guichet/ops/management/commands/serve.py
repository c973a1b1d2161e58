"""`guichet serve`: the whole desk in one command — web server and background worker.

It starts two child processes (gunicorn, or Django's autoreloading runserver with `--dev`, and
`guichet worker`), waits until the web server answers, prints the URL and the demo logins, and on
Ctrl-C or SIGTERM stops both cleanly. If either child dies, the other is stopped and the command
fails, so a supervisor notices.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext_lazy as _

from guichet.ops.demo import demo_logins

STOP_TIMEOUT = 15.0


class Command(BaseCommand):
    # argparse needs a real str for --help (a lazy proxy raises TypeError).
    help = str(_("Run the web server and the background worker together (development and small installs)."))

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes.")
        parser.add_argument(
            "--dev", action="store_true", help="Use Django's runserver, which reloads on code changes."
        )
        parser.add_argument("--no-worker", action="store_true", help="Start the web server only.")

    def handle(self, *args, host: str, port: int, web_workers: int, dev: bool, no_worker: bool, **options):
        if not 0 < port < 65536:
            raise CommandError(_("--port must be between 1 and 65535, not %(port)s.") % {"port": port})
        if web_workers < 1:
            raise CommandError(_("--web-workers must be at least 1."))
        if _port_in_use(host, port):
            raise CommandError(
                _("%(host)s:%(port)s is already in use; stop the other server or pass --port.")
                % {"host": host, "port": port}
            )

        children: dict[str, subprocess.Popen] = {}
        stopping = False

        def request_stop(signum, frame):
            nonlocal stopping
            stopping = True

        # Handlers first: a Ctrl-C at any moment must still stop the children started so far.
        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            # Each child gets its own session so a terminal's Ctrl-C reaches only us and we stop
            # them in order, with the signal each treats as "finish what you are doing".
            web = self._web_command(host, port, web_workers, dev)
            children["web"] = subprocess.Popen(web, start_new_session=True)
            if no_worker or settings.TASK_STORAGE == "immediate":
                self.stdout.write("No background worker (tasks run inline or --no-worker was given).")
            else:
                worker = [sys.executable, "-m", "guichet", "worker"]
                children["worker"] = subprocess.Popen(worker, start_new_session=True)

            if _wait_for_port(host, port, children, timeout=60, cancelled=lambda: stopping):
                self._banner(host, port, "worker" in children)
            elif not stopping:
                failed = [name for name, child in children.items() if child.poll() is not None]
                reason = ", ".join(failed) + " exited" if failed else "the web server timed out"
                raise CommandError(_("The desk did not start: %(reason)s.") % {"reason": reason})
            while not stopping:
                dead = [name for name, child in children.items() if child.poll() is not None]
                if dead:
                    raise CommandError(
                        _("%(names)s stopped unexpectedly; stopping the desk.") % {"names": ", ".join(dead)}
                    )
                time.sleep(0.3)
            self.stdout.write("Stopping the desk…")
        finally:
            _stop(children)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("Stopped.")

    @staticmethod
    def _web_command(host: str, port: int, web_workers: int, dev: bool) -> list[str]:
        if dev:
            return [sys.executable, "-m", "guichet", "runserver", f"{host}:{port}"]
        return [
            sys.executable, "-m", "gunicorn", "guichet.wsgi:application",
            "--bind", f"{host}:{port}", "--workers", str(web_workers),
            "--access-logfile", "-", "--graceful-timeout", "10",
            # A shared control socket under ~/.gunicorn would clash between two desks.
            "--no-control-socket",
        ]  # fmt: skip

    def _banner(self, host: str, port: int, with_worker: bool) -> None:
        shown_host = f"[{host}]" if ":" in host else host
        lines = [
            "",
            f"guichet is running at http://{shown_host}:{port}/",
            f"  database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"
            f" · tasks: {settings.TASK_STORAGE}" + ("" if with_worker else " (no worker)"),
        ]
        logins = demo_logins()
        if logins:
            lines.append(f"  demo logins (password for all: {logins[0].password}):")
            for login in logins:
                where = f", {login.organisation}" if login.organisation else ""
                lines.append(f"    {login.username:<16} {login.role}{where}")
        lines.append("Press Ctrl-C to stop.")
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        return sock.connect_ex((host, port)) == 0


def _wait_for_port(
    host: str, port: int, children: dict[str, subprocess.Popen], timeout: float, cancelled: Callable[[], bool]
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cancelled() or any(child.poll() is not None for child in children.values()):
            return False
        if _port_in_use(host, port):
            return True
        time.sleep(0.2)
    return False


def _stop(children: dict[str, subprocess.Popen]) -> None:
    # gunicorn finishes requests on SIGTERM; Huey finishes running tasks on SIGINT.
    graceful = {"web": signal.SIGTERM, "worker": signal.SIGINT}
    for name, child in children.items():
        _signal_group(child, graceful[name])
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(child, signal.SIGKILL)
            child.wait()


def _signal_group(child: subprocess.Popen, sig: signal.Signals) -> None:
    # The child leads its own process group: signal the group so gunicorn's workers and
    # runserver's reloaded child stop with it.
    if child.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, sig)

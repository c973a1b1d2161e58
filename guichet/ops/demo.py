"""What the run command needs to know about the demo data (written by guichet/demo)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from django.core.management import get_commands

LOADDEMO_MODULE = "guichet.demo.management.commands.loaddemo"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str
    organisation: str = ""


def loaddemo_available() -> bool:
    return "loaddemo" in get_commands()


def demo_logins() -> list[DemoLogin]:
    """The demo accounts, as `guichet loaddemo` defines them (STAFF, CUSTOMERS, DEMO_PASSWORD).

    Read from the command's own tables so what `bin/run` prints cannot drift from what it loads;
    without the command (or its tables) there is nothing to print, and the desk still starts.
    """
    try:
        loaddemo = import_module(LOADDEMO_MODULE)
    except ImportError:
        return []
    password = getattr(loaddemo, "DEMO_PASSWORD", "")
    if not password:
        return []
    logins = [DemoLogin(str(row[1]), row[0], password) for row in getattr(loaddemo, "STAFF", ())]
    logins += [DemoLogin("customer", row[0], password, row[1]) for row in getattr(loaddemo, "CUSTOMERS", ())]
    return logins

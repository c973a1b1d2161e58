"""What the run command needs to know about the demo data (written by guichet/demo)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.management import get_commands


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str


def loaddemo_available() -> bool:
    return "loaddemo" in get_commands()


def demo_logins() -> list[DemoLogin]:
    """The demo accounts to print, as guichet.demo declares them in DEMO_LOGINS.

    Each entry may be a mapping or an object with role, username and password; an absent list
    (the demo package not written yet) prints nothing rather than stopping the desk.
    """
    try:
        from guichet.demo import DEMO_LOGINS  # type: ignore[attr-defined]
    except ImportError:
        return []
    return [
        DemoLogin(
            role=_field(entry, "role"), username=_field(entry, "username"), password=_field(entry, "password")
        )
        for entry in DEMO_LOGINS
    ]


def _field(entry: object, key: str) -> str:
    return str(entry[key] if isinstance(entry, dict) else getattr(entry, key))

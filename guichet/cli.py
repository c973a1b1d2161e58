"""The `guichet` console script: Django's management commands plus the product's own.

`guichet sla ...` runs the pure-Python SLA core without starting Django (fast for scripts), and so
does `guichet verify STATEMENT.json` (a customer's check of a signed statement needs no database,
no settings, no Django: it is `guichet sla verify`); everything else (`guichet migrate`,
`guichet runserver`, `guichet org ...`) is a management command.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "sla":
        from guichet.sla.cli import main as sla_main

        return sla_main(args[1:])
    if args and args[0] == "verify":
        from guichet.sla.cli import main as sla_main

        return sla_main(args)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guichet.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["guichet", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())

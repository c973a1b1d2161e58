"""``python -m guichet.sla ...`` runs the SLA command line."""

import sys

from guichet.sla.cli import main

sys.exit(main(sys.argv[1:]))

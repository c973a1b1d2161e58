"""tests/sla: pure-Python tests of the SLA core (no database, no Django settings needed)."""

import sys
from pathlib import Path

# The brute-force reference lives beside the tests; make it importable under any import mode.
sys.path.insert(0, str(Path(__file__).resolve().parent))

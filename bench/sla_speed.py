"""Benchmark: guichet.sla business-time arithmetic against peer libraries.

Workload (same inputs for every library, generated from a fixed seed): due dates on
Mon-Fri 09:00-17:00 Europe/Paris with French public holidays, starts spread over
2026 (whole minutes), targets 30 min to 24 h.

Peers are optional and never runtime dependencies of guichet::

    pip install -r bench/requirements-peers.txt     # workclock, pandas, businesstimedelta, pytz
    PYTHONPATH=. python bench/sla_speed.py           # full run: 100,000 due dates
    PYTHONPATH=. python bench/sla_speed.py --quick   # smoke run (fewer items)
    PYTHONPATH=. python bench/sla_speed.py --no-peers

Prints the median per-item time of several repetitions for each case, the ratios
measured in this same run, and PASS/FAIL for each bar:

* single ``add`` at least 3x faster than workclock's ``add``;
* ``between`` at least 3x faster than workclock's ``between``;
* the batch form (``add_many_epoch``, integer epoch seconds) at least 10x faster than
  workclock's ``add_many``;
* a 2,000-hour target within 2x of a 30-minute one (cost independent of target length).

pandas' CustomBusinessHour only takes whole hours, so it runs on the targets rounded
up to whole hours; pandas and businesstimedelta run on a subset (they are ~100x slower).
The exit code is 0 unless ``--strict`` is given and a bar fails.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import holidays

from guichet.sla import calendar_for

ZONE = "Europe/Paris"
TZ = ZoneInfo(ZONE)


def make_inputs(n: int, seed: int = 20260713) -> tuple[list[datetime], list[timedelta]]:
    rng = random.Random(seed)
    base = int(datetime(2026, 1, 1, tzinfo=TZ).timestamp())
    starts = [datetime.fromtimestamp(base + rng.randrange(0, 365 * 1440) * 60, TZ) for _ in range(n)]
    deltas = [timedelta(minutes=rng.randrange(30, 24 * 60 + 1)) for _ in range(n)]
    return starts, deltas


def have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few items and repetitions (smoke test)")
    parser.add_argument("--no-peers", action="store_true", help="time guichet only")
    parser.add_argument("--items", type=int, help="due dates per case (default 100,000; 2,000 with --quick)")
    parser.add_argument("--reps", type=int, help="timed repetitions per case (default 7; 3 with --quick)")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a bar fails")
    args = parser.parse_args(argv)
    n = args.items or (2_000 if args.quick else 100_000)
    reps = args.reps or (3 if args.quick else 7)
    slow_n = min(n, 300 if args.quick else 2_000)

    starts, deltas = make_inputs(n)
    epoch_starts = [s.timestamp() for s in starts]
    epoch_deltas = [d.total_seconds() for d in deltas]
    int_starts = [int(t) for t in epoch_starts]
    int_deltas = [int(d) for d in epoch_deltas]
    short_deltas = [timedelta(minutes=30)] * n
    long_deltas = [timedelta(hours=2000)] * n

    t0 = time.perf_counter()
    cal = calendar_for("8x5", "worldwide", ZONE, "FR")
    cal.add(starts[0], deltas[0])
    cal.add_many_epoch(epoch_starts[:1], epoch_deltas[:1])
    cold = time.perf_counter() - t0

    # Cases are registered first, then run in interleaved rounds (one run of every case
    # per round), so load changes on a shared machine hit every library alike.
    cases: list[tuple[str, str, Callable[[], object], int]] = []
    results: dict[tuple[str, str], object] = {}

    def case(lib: str, name: str, fn: Callable[[], object], items: int) -> object:
        cases.append((lib, name, fn, items))
        results[(lib, name)] = fn()  # warm-up run, kept for the agreement checks
        return results[(lib, name)]

    add = cal.add
    between = cal.between
    dues = case("guichet", "add", lambda: [add(s, d) for s, d in zip(starts, deltas, strict=True)], n)
    assert isinstance(dues, list)
    case("guichet", "between", lambda: [between(a, b) for a, b in zip(starts, dues, strict=True)], n)
    case("guichet", "add_many (datetimes)", lambda: cal.add_many(starts, deltas), n)
    epoch = case(
        "guichet", "add_many_epoch (float s)", lambda: cal.add_many_epoch(epoch_starts, epoch_deltas), n
    )
    assert epoch == [d.timestamp() for d in dues], "batch form disagrees with add"
    int_epoch = case(
        "guichet", "add_many_epoch (int s)", lambda: cal.add_many_epoch(int_starts, int_deltas), n
    )
    assert int_epoch == epoch, "integer batch form disagrees with add"
    case(
        "guichet",
        "add, 30 min target",
        lambda: [add(s, d) for s, d in zip(starts, short_deltas, strict=True)],
        n,
    )
    case(
        "guichet",
        "add, 2000 h target",
        lambda: [add(s, d) for s, d in zip(starts, long_deltas, strict=True)],
        n,
    )
    notes = [f"guichet cold start (build calendar, materialise 3 years, batch tables): {cold * 1e3:.1f} ms"]
    peers = not args.no_peers
    if peers and have("workclock"):
        import workclock

        fr = holidays.country_holidays("FR", years=range(2025, 2032))
        wc = workclock.Schedule(
            [workclock.WorkDay(dtime(9), dtime(17)), workclock.Holidays(list(fr))], time_zone=ZONE
        )
        wadd, wbetween = wc.add, wc.between
        wc_dues = case(
            "workclock", "add", lambda: [wadd(s, d) for s, d in zip(starts, deltas, strict=True)], n
        )
        assert isinstance(wc_dues, list)
        mismatches = sum(1 for a, b in zip(wc_dues, dues, strict=True) if a != b)
        notes.append(f"guichet vs workclock due dates: {mismatches} disagreement(s) out of {n}")
        case("workclock", "between", lambda: [wbetween(a, b) for a, b in zip(starts, dues, strict=True)], n)
        case("workclock", "add_many (batch)", lambda: wc.add_many(starts, deltas), n)
        if have("numpy"):
            import numpy as np

            np_starts = np.array(
                [s.astimezone(UTC).replace(tzinfo=None) for s in starts], dtype="datetime64[us]"
            )
            np_deltas = np.array(deltas, dtype="timedelta64[us]")
            case("workclock", "add_many (numpy arrays)", lambda: wc.add_many(np_starts, np_deltas), n)
        case(
            "workclock",
            "add, 30 min target",
            lambda: [wadd(s, d) for s, d in zip(starts, short_deltas, strict=True)],
            n,
        )
    elif peers:
        notes.append("workclock not installed: pip install -r bench/requirements-peers.txt")
    if peers and have("pandas"):
        import pandas as pd

        fr_dates = [d.isoformat() for d in holidays.country_holidays("FR", years=range(2025, 2032))]
        offsets = {
            h: pd.offsets.CustomBusinessHour(n=h, start="09:00", end="17:00", holidays=fr_dates)
            for h in range(1, 25)
        }
        pstarts = [pd.Timestamp(s) for s in starts[:slow_n]]
        phours = [-(-int(d.total_seconds()) // 3600) for d in deltas[:slow_n]]
        case(
            "pandas",
            "CustomBusinessHour add",
            lambda: [s + offsets[h] for s, h in zip(pstarts, phours, strict=True)],
            slow_n,
        )
    elif peers:
        notes.append("pandas not installed")
    if peers and have("businesstimedelta") and have("pytz"):
        import businesstimedelta as btd
        import pytz

        ptz = pytz.timezone(ZONE)
        fr = holidays.country_holidays("FR", years=range(2025, 2032))
        rules = btd.Rules(
            [btd.WorkDayRule(start_time=dtime(9), end_time=dtime(17), working_days=[0, 1, 2, 3, 4], tz=ptz),
             btd.HolidayRule(fr, tz=ptz)]
        )  # fmt: skip
        bdeltas = [btd.BusinessTimeDelta(rules, timedelta=d) for d in deltas[:slow_n]]
        bstarts = starts[:slow_n]
        case(
            "businesstimedelta", "add", lambda: [s + d for s, d in zip(bstarts, bdeltas, strict=True)], slow_n
        )
    elif peers:
        notes.append("businesstimedelta/pytz not installed")

    samples: dict[tuple[str, str], list[float]] = {(lib, name): [] for lib, name, _, _ in cases}
    for _ in range(reps):
        for lib, name, fn, _items in cases:
            gc.collect()
            gc.disable()  # as timeit does: no collector pauses inside a timed run
            try:
                t0 = time.perf_counter()
                fn()
                samples[(lib, name)].append(time.perf_counter() - t0)
            finally:
                gc.enable()
    rows = [
        (lib, name, statistics.median(samples[(lib, name)]) / items, items) for lib, name, _, items in cases
    ]
    per = {(lib, name): sec for lib, name, sec, _ in rows}
    print(
        f"Business-time benchmark: {n:,} due dates, Mon-Fri 09-17 {ZONE} + FR holidays, targets 30 min-24 h"
    )
    print(f"Python {sys.version.split()[0]}, median of {reps} interleaved runs (after a warm-up run)\n")
    print(f"{'library':<18} {'case':<28} {'items':>8} {'median µs/item':>15} {'vs guichet':>11}")
    print("-" * 84)
    mine = {
        "add": per[("guichet", "add")],
        "between": per[("guichet", "between")],
        "add_many (batch)": per[("guichet", "add_many_epoch (int s)")],
        "add_many (numpy arrays)": per[("guichet", "add_many_epoch (int s)")],
        "add, 30 min target": per[("guichet", "add, 30 min target")],
        "CustomBusinessHour add": per[("guichet", "add")],
    }
    for lib, case, sec, items in rows:
        ratio = ""
        if lib != "guichet" and case in mine:
            ratio = f"{sec / mine[case]:.1f}x"
        print(f"{lib:<18} {case:<28} {items:>8,} {sec * 1e6:>15.3f} {ratio:>11}")
    print()

    bars: list[tuple[str, float | None, float, str]] = []

    def ratio(peer: tuple[str, str], ours: tuple[str, str]) -> float | None:
        return per[peer] / per[ours] if peer in per else None

    bars.append(
        ("add: >= 3x faster than workclock add", ratio(("workclock", "add"), ("guichet", "add")), 3.0, ">=")
    )
    bars.append(
        ("between: >= 3x faster than workclock between",
         ratio(("workclock", "between"), ("guichet", "between")), 3.0, ">=")
    )  # fmt: skip
    bars.append(
        ("batch: >= 10x faster than workclock add_many",
         ratio(("workclock", "add_many (batch)"), ("guichet", "add_many_epoch (int s)")), 10.0, ">=")
    )  # fmt: skip
    bars.append(
        ("2000 h target within 2x of 30 min",
         per[("guichet", "add, 2000 h target")] / per[("guichet", "add, 30 min target")], 2.0, "<=")
    )  # fmt: skip
    failed = False
    for name, value, limit, op in bars:
        if value is None:
            print(f"SKIP  {name} (peer not installed)")
            continue
        ok = value >= limit if op == ">=" else value <= limit
        failed |= not ok
        print(f"{'PASS' if ok else 'FAIL'}  {name}: measured {value:.2f}x")
    print()
    for note in notes:
        print(f"note: {note}")
    return 1 if (failed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())

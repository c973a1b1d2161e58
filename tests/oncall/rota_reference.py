"""Brute-force reference for on-call schedules: walk UTC minute by minute.

Independent of guichet.oncall.rota: for each UTC minute it asks zoneinfo for the local wall-clock
time; a rotation hands off once the local time seen so far has reached the hand-off (so a time in a
spring-forward gap hands off when the clocks jump, a repeated time at its first occurrence), a
restriction is open when the local time is inside one of its weekly windows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEK = 7 * 86400


@dataclass
class RefRotation:
    tier: str
    zone: str
    members: tuple[int, ...]
    hand_off: time
    start_date: date
    length_days: int
    windows: tuple[tuple[int, time, int, time], ...] = ()


def _open(windows: tuple[tuple[int, time, int, time], ...], local: datetime) -> bool:
    if not windows:
        return True
    off = local.weekday() * 86400 + local.hour * 3600 + local.minute * 60 + local.second
    for sw, st, ew, et in windows:
        start = sw * 86400 + st.hour * 3600 + st.minute * 60
        end = ew * 86400 + et.hour * 3600 + et.minute * 60
        span = (end - start) % WEEK or WEEK
        if (off - start) % WEEK < span:
            return True
    return False


def walk(
    rotations: list[RefRotation],
    overrides: list[tuple[str, int, datetime, datetime]],
    start: datetime,
    end: datetime,
    tiers: tuple[str, ...] = ("primary", "secondary"),
) -> list[dict[str, int | None]]:
    """{tier: person} for every UTC minute of [start, end) (start on a whole minute)."""
    # Each rotation's walk begins well before its start date, so its "local time reached" is right.
    state = []
    for rot in rotations:
        tz = ZoneInfo(rot.zone)
        first = datetime.combine(rot.start_date - timedelta(days=3), time(0), UTC)
        state.append({"tz": tz, "u": first, "reach": datetime(1, 1, 1), "k": -1})
    out = []
    u = start
    step = timedelta(minutes=1)
    while u < end:
        row: dict[str, int | None] = {t: None for t in tiers}
        for rot, s in zip(rotations, state, strict=True):
            while s["u"] <= u:  # advance this rotation's own walk up to u
                local = s["u"].astimezone(s["tz"]).replace(tzinfo=None)
                s["reach"] = max(s["reach"], local)
                while True:
                    nxt = s["k"] + 1
                    day = rot.start_date + timedelta(days=nxt * rot.length_days)
                    if datetime.combine(day, rot.hand_off) <= s["reach"]:
                        s["k"] = nxt
                    else:
                        break
                s["u"] += step
            local = u.astimezone(s["tz"]).replace(tzinfo=None)
            if s["k"] >= 0 and _open(rot.windows, local) and rot.tier in row:
                row[rot.tier] = rot.members[s["k"] % len(rot.members)]
        for tier, person, a, b in overrides:
            if a <= u < b and tier in row:
                row[tier] = person
        out.append(row)
        u += step
    return out

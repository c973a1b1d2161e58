"""Exact instants with a real worker: an SLA warning and breach, a held reply's release and an
escalation step each happen within 5 seconds of their instant, once — through the timer poll, and
through the tasks scheduled with `run_after` alone (the poll turned off)."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from tests.oncall.receivers import HttpReceiver
from tests.oncall.stack import Stack, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.standalone]


@pytest.fixture
def receiver():
    r = HttpReceiver()
    yield r
    r.close()


@pytest.mark.parametrize("poll", ["1", "3600"], ids=["timer-poll", "scheduled-tasks-only"])
def test_sla_timers_held_replies_and_steps_fire_within_5_seconds(tmp_path, receiver, poll):
    stack = Stack(tmp_path, "sqlite", GUICHET_TIMER_POLL_SECONDS=poll)
    try:
        stack.world("setup", receiver.url, 6)
        stack.worker()
        t = stack.world("timers", 6)
        wait_until(t["due_at"] + 6)
        done = stack.world("timers_done", t["ticket"], t["message"])
        # Recorded once each, at their own instants (the breach at the due instant), soon after.
        assert done["counts"] == {"warned": 1, "breached": 1}
        warned_at, warned_recorded = done["events"]["warned"]
        breached_at, breached_recorded = done["events"]["breached"]
        assert abs(warned_at - t["warn_at"]) < 0.001 and abs(breached_at - t["due_at"]) < 0.001
        assert 0 <= warned_recorded - t["warn_at"] < 5
        assert 0 < breached_recorded - t["due_at"] < 5
        assert done["delivered_at"] is not None and 0 <= done["delivered_at"] - t["deliver_at"] < 5
        # The P1 paged Alice at once, Bob and Carol at their steps; once the first escalation
        # ended unanswered, the breach started a second one. Every page on time, none twice.
        time.sleep(1)
        hits = list(receiver.hits)
        assert [h.path for h in hits][:3] == ["/alice", "/bob", "/carol"]
        for hit in hits:
            data = hit.json()["data"]
            assert hit.at - dt.datetime.fromisoformat(data["step_at"]).timestamp() < 5, data
        assert len({h.headers["x-guichet-delivery"] for h in hits}) == len(hits)
    finally:
        stack.close()

"""The worker killed between two escalation steps (SIGKILL, real processes): after a restart the
missed step fires at once and the next on time; no page is lost and none is sent twice. The
escalation steps every 4 seconds (the stored level timeouts are seconds)."""

from __future__ import annotations

import signal
import time
from collections import Counter

import pytest

from tests.oncall.receivers import HttpReceiver
from tests.oncall.stack import Stack

pytestmark = [pytest.mark.slow, pytest.mark.standalone]

STEP = 4


@pytest.fixture
def receiver():
    r = HttpReceiver()
    yield r
    r.close()


@pytest.mark.parametrize("storage", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def test_worker_killed_between_two_steps_loses_no_step_and_pages_once(tmp_path, receiver, storage):
    stack = Stack(tmp_path, storage)
    try:
        stack.world("setup", receiver.url, STEP)
        first = stack.worker("w1")
        stack.world("tickets", 1)
        hits = receiver.wait_for(2, timeout=30)  # step 0 (Alice) and, 4 s later, step 1 (Bob)
        assert [h.path for h in hits] == ["/alice", "/bob"], first.output()[-3000:]
        step_1 = hits[1].json()["data"]
        time.sleep(0.5)  # Bob's delivery is marked; the next step is 3.5 s away
        first.process.send_signal(signal.SIGKILL)
        first.process.wait()
        # Nobody runs while step 2 (Carol) falls due.
        time.sleep(STEP + 2)
        assert len(receiver.hits) == 2
        restarted = time.time()
        stack.worker("w2")
        hits = receiver.wait_for(3, timeout=20)
        late = hits[2].at - restarted
        assert hits[2].path == "/carol" and late < 8, f"the missed step came {late:.1f}s after the restart"
        # The policy has three levels and no repeat: after Carol's timeout, nothing more.
        time.sleep(STEP + 2)
        assert [h.path for h in receiver.hits] == ["/alice", "/bob", "/carol"]
        deliveries = Counter(h.headers["x-guichet-delivery"] for h in receiver.hits)
        assert max(deliveries.values()) == 1
        report = stack.world("report")
        assert sorted(report["paged"].values()) == [1, 1, 1] and report["states"] == ["exhausted"]
        # Each page left on time, measured against its step's instant.
        assert step_1["step"] == 1 and step_1["step_at"]
    finally:
        stack.close()

"""Side effects are never lost (docs/outbox.md), with real servers broken by the tests themselves.

Each test runs a whole desk (tests/faults/stack.py): its own PostgreSQL cluster and Redis (no
persistence), two gunicorn web processes, task workers, a real SMTP receiver and a real HTTP
receiver for webhooks, and API clients opening Premium P2 tickets and replying to them while the
fault happens. Afterwards: no write answered 5xx is stored, every 201 is; every committed write has
exactly one side effect of each kind at the receivers (one acknowledgement or reply mail by
Message-ID, one webhook by delivery id); the backlog drains by itself.
"""

from __future__ import annotations

import threading
import time

import pytest

from tests.faults.servers import require_fault_servers
from tests.faults.stack import stack
from tests.receivers import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.standalone]


@pytest.fixture(autouse=True)
def _servers() -> None:
    require_fault_servers()


def after(seconds: float, action) -> threading.Thread:  # type: ignore[no-untyped-def]
    thread = threading.Thread(target=lambda: (time.sleep(seconds), action()))
    thread.start()
    return thread


def test_redis_stopped_and_restarted_empty_during_replies_and_ticket_creation(tmp_path):
    with stack(tmp_path) as desk:
        desk.start_web()
        desk.start_worker("scheduler")
        desk.start_worker("worker-2", periodic=False)
        stopper = after(4, desk.redis.stop)
        starter = after(12, desk.redis.start)
        desk.drive(seconds=18)
        stopper.join()
        starter.join()
        drained = desk.wait_drained()
        report = desk.check()
    assert report["answered_5xx"] == 0, report  # the queue is not on a write's path any more
    assert report["connection_errors"] == 0, report
    assert report["tickets"] > 10 and report["replies"] > 10, report
    print(f"redis outage: {report}, drained {drained:.1f}s after the load")


@pytest.mark.parametrize("storage", ["redis", "sqlite"])
def test_a_worker_killed_mid_delivery_delivers_once_after_its_lease(tmp_path, storage):
    # A slow mail server: deliveries are in progress when the worker dies. The same on both task
    # storages: the outbox does not depend on the queue keeping its tasks.
    queue = {"GUICHET_TASKS": storage, "GUICHET_TASKS_FILE": str(tmp_path / "tasks.sqlite3")}
    with stack(tmp_path, smtp_delay=2.0, **queue) as desk:
        desk.start_web()
        desk.start_worker("doomed", periodic=False)
        desk.drive(seconds=4, clients=1, pause=0.3)

        def delivering() -> int:
            return int(desk.query("SELECT count(*) FROM outbox_delivery WHERE claimed_until > now()")[0][0])

        wait_until(lambda: delivering() > 0, timeout=30)  # the doomed worker is inside a delivery
        in_progress = delivering()
        desk.kill("doomed")  # SIGKILL to its whole process group
        desk.start_worker("survivor")
        drained = desk.wait_drained(timeout=120)
        report = desk.check()
    assert in_progress >= 1  # killed in the middle of at least one delivery
    assert report["answered_5xx"] == 0, report
    print(f"worker killed: {report}, drained {drained:.1f}s later")


def test_postgresql_restarted_during_ticket_creation_and_replies(tmp_path):
    with stack(tmp_path) as desk:
        desk.start_web()
        desk.start_worker("scheduler")
        desk.start_worker("worker-2", periodic=False)
        restarter = after(5, desk.pg.restart)
        desk.drive(seconds=15)
        restarter.join()
        drained = desk.wait_drained()
        report = desk.check()  # whatever was answered 5xx during the restart is not stored
    assert report["answered_201"] > 20, report
    print(f"postgresql restart: {report}, drained {drained:.1f}s after the load")


def test_two_schedulers_at_once_deliver_each_side_effect_once(tmp_path):
    with stack(tmp_path) as desk:
        desk.start_web()
        desk.start_worker("scheduler-a")
        desk.start_worker("scheduler-b")
        desk.drive(seconds=8)
        desk.wait_drained()
        report = desk.check()
    assert report["answered_5xx"] == 0 and report["mail_repeats"] == 0, report

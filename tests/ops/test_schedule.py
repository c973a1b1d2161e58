"""The periodic schedule is wired into the worker: every job resolves to a real django.tasks task, the
consumer's registry holds it with its crontab, and a tick enqueues the task."""

from __future__ import annotations

import datetime as dt

import pytest
from django.tasks import Task
from django.utils.module_loading import autodiscover_modules
from huey.contrib.djhuey import HUEY

from guichet.ops.schedule import PERIODIC_JOBS
from guichet.ops.tasks import REGISTERED_PERIODIC_JOBS, last_heartbeat, resolve_job


def _periodic_registry() -> dict[str, type]:
    autodiscover_modules("tasks")  # what `run_huey` does at start-up
    return {task_class.__name__: task_class for task_class in HUEY._registry._periodic_tasks}


@pytest.mark.parametrize("job", PERIODIC_JOBS, ids=lambda job: job.name)
def test_every_scheduled_job_names_a_django_task(job):
    assert isinstance(resolve_job(job), Task)


def test_every_job_is_registered_with_the_scheduler():
    assert [job.name for job in PERIODIC_JOBS] == REGISTERED_PERIODIC_JOBS
    registry = _periodic_registry()
    for job in PERIODIC_JOBS:
        task_class = registry[f"guichet.periodic.{job.name}"]
        # Huey's scheduler compares naive UTC minutes with the crontab.
        for minute in (dt.datetime(2026, 3, 29, 1, 59), dt.datetime(2026, 11, 27, 0, 0)):
            assert task_class().validate_datetime(minute) == job.schedule(minute)


@pytest.mark.parametrize("name", ["sla-sweep", "held-messages", "mail"])
def test_the_scheduler_runs_the_desk_jobs_every_minute(name):
    registry = _periodic_registry()
    tick = registry[f"guichet.periodic.{name}"]
    start = dt.datetime(2026, 11, 27, 23, 0)
    assert all(tick().validate_datetime(start + dt.timedelta(minutes=m)) for m in range(60))


def test_resolving_a_missing_task_names_the_job():
    from guichet.ops.schedule import PeriodicJob

    broken = PeriodicJob("nightly", "guichet.ops.tasks.no_such_task", PERIODIC_JOBS[0].schedule, "")
    with pytest.raises(ImportError, match="Periodic job 'nightly'"):
        resolve_job(broken)
    not_a_task = PeriodicJob("odd", "guichet.ops.tasks.last_heartbeat", PERIODIC_JOBS[0].schedule, "")
    with pytest.raises(ImportError, match=r"is not a django\.tasks task"):
        resolve_job(not_a_task)


@pytest.mark.django_db
def test_a_heartbeat_tick_enqueues_the_task_that_records_it(django_capture_on_commit_callbacks):
    # Tests run tasks inline (GUICHET_TASKS=immediate), so the enqueued task runs at commit.
    assert HUEY.immediate
    HUEY.delete("guichet.scheduler.heartbeat")
    assert last_heartbeat() is None
    tick = _periodic_registry()["guichet.periodic.heartbeat"]
    with django_capture_on_commit_callbacks(execute=True):
        HUEY.execute(tick())
    recorded = last_heartbeat()
    assert recorded is not None
    assert abs(dt.datetime.fromisoformat(recorded) - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=30)

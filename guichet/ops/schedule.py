"""The periodic jobs, in one table.

Each entry names a `django.tasks` task by dotted path and a Huey crontab. The consumer that runs the
scheduler (exactly one in a deployment: the others run `guichet worker --no-periodic`) enqueues the
task when the crontab matches; any worker then runs it like any other task. The jobs themselves are
written to be idempotent, so a duplicated tick is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass

from huey import crontab


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task_path: str
    schedule: crontab
    description: str


# Paths are resolved when the worker starts (guichet/ops/tasks.py): a missing task is logged as an
# error at start-up, and tests/ops/test_schedule.py fails, rather than a job silently never
# running.
PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob(
        name="heartbeat",
        task_path="guichet.ops.tasks.heartbeat",
        schedule=crontab(minute="*"),
        description="Record that the scheduler is alive (shown by `guichet ping`).",
    ),
    PeriodicJob(
        name="sla-sweep",
        task_path="guichet.tickets.tasks.sweep_sla_task",
        schedule=crontab(minute="*"),
        description="Record SLA warnings and breaches that have come due (exactly once each).",
    ),
    PeriodicJob(
        name="held-messages",
        task_path="guichet.tickets.tasks.deliver_held_messages_task",
        schedule=crontab(minute="*"),
        description="Deliver P3/P4 replies held until the customer's business hours (R-PRIO-7).",
    ),
    PeriodicJob(
        name="outbox",
        task_path="guichet.outbox.tasks.deliver_due_task",
        schedule=crontab(minute="*"),
        description="Deliver due side effects (mail, alerts, webhooks) the workers' poll has not yet.",
    ),
    PeriodicJob(
        name="statements",
        task_path="guichet.statements.tasks.produce_monthly_statements_task",
        # The 1st from 14:00 UTC (the previous month is over in every zone: UTC-12 ends it at 12:00),
        # every hour until midnight: a run cut short resumes where it stopped (done ones are skipped).
        schedule=crontab(day="1", hour="14-23", minute="0"),
        description="Produce, sign and mail the previous month's SLA statements (resumable).",
    ),
    PeriodicJob(
        name="oncall",
        task_path="guichet.oncall.tasks.escalate_due_task",
        schedule=crontab(minute="*"),
        description="Fire the escalation steps that have come due (the workers' timer poll: every second).",
    ),
    PeriodicJob(
        name="mail",
        task_path="guichet.mail.tasks.poll_mailboxes_task",
        schedule=crontab(minute="*"),
        description="Poll the IMAP mailboxes, retry failed inbound processing, resend refused mail.",
    ),
)

"""The tamper-evident SLA ledger (issue 12): every event the services write is a link of its
ticket's SHA-256 chain; the migration chains ledgers written before; `checkledger` re-derives the
chains and names the ticket and seq of a row changed behind the services' back."""

from __future__ import annotations

import importlib
import io
import itertools
import json
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from guichet.sla.chain import GENESIS
from guichet.tickets import ledger, services
from guichet.tickets.models import LedgerChaining, SlaEvent
from tests.factories import open_for, paris


def busy_ticket(agent, customer):
    """applied, warned, downgraded, fulfilled."""
    ticket = open_for(agent, customer, "P1", at=paris(2, 10))
    services.sweep_sla(now=paris(2, 10, 23))
    services.record_contact_attempt(actor=agent, ticket=ticket, channel="phone", at=paris(2, 10, 24))
    services.downgrade_priority(actor=agent, ticket=ticket, reason="no answer", at=paris(2, 10, 25))
    services.add_reply(actor=agent, ticket=ticket, body="On it.", at=paris(2, 10, 40))
    assert [e.kind for e in ticket.sla_events.order_by("seq")] == [
        "applied",
        "warned",
        "downgraded",
        "fulfilled",
    ]
    return ticket


def test_every_event_the_services_write_is_chained(agent, premium_customer):
    ticket = busy_ticket(agent, premium_customer)
    rows = list(ticket.sla_events.order_by("seq"))
    assert rows[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.hash and len(after.hash) == 64
    assert ledger.check_chain(rows) is None
    # The hash is the canonical encoding's, recomputable from the row alone.
    assert all(ledger.chain_record(r, r.prev_hash).hash() == r.hash for r in rows)


def _raw(sql: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize("column", ["data", "reason", "kind"])
def test_checkledger_names_the_ticket_and_seq_of_a_row_changed_in_the_database(
    agent, premium_customer, column
):
    ticket = busy_ticket(agent, premium_customer)
    other = open_for(agent, premium_customer, "P3", at=paris(2, 12))
    assert "0 differ" in _checkledger()[0]
    first = ticket.sla_events.get(seq=1)
    if column == "data":  # a longer target, as if the contract had been kinder
        data = dict(first.data, target_seconds=first.data["target_seconds"] * 4)
        _raw("UPDATE tickets_slaevent SET data = %s WHERE id = %s", [json.dumps(data), first.pk])
    elif column == "reason":
        _raw("UPDATE tickets_slaevent SET reason = %s WHERE id = %s", ["rewritten", first.pk])
    else:
        _raw("UPDATE tickets_slaevent SET kind = %s WHERE id = %s", ["no_sla", first.pk])
    with pytest.raises(CommandError, match="1 ticket"):
        _checkledger()
    err = _checkledger(expect_error=True)[1]
    assert f"#{ticket.pk}: hash chain broken at seq 1" in err
    assert f"#{other.pk}" not in err


def test_a_removed_or_rehashed_event_breaks_the_chain(agent, premium_customer):
    ticket = busy_ticket(agent, premium_customer)
    rows = list(ticket.sla_events.order_by("seq"))
    # Rewriting an event and its own hash is not enough: the next event still names the old hash.
    second = rows[1]
    second.reason = "rewritten"
    forged = ledger.chain_record(second, second.prev_hash).hash()
    _raw("UPDATE tickets_slaevent SET reason = %s, hash = %s WHERE id = %s", ["rewritten", forged, second.pk])
    problem = ledger.check_chain(ticket.sla_events.order_by("seq"))
    assert problem is not None and problem.seq == 3 and "previous hash" in problem.problem
    # A removed event leaves a gap.
    _raw("DELETE FROM tickets_slaevent WHERE id = %s", [rows[2].pk])
    problem = ledger.check_chain(ticket.sla_events.order_by("seq"))
    assert problem is not None and problem.seq == 4 and "sequence" in problem.problem


def _checkledger(*, expect_error: bool = False) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("checkledger", stdout=out, stderr=err)
    except CommandError:
        if not expect_error:
            raise
    return out.getvalue(), err.getvalue()


def test_the_migration_chains_existing_ledgers_and_records_when_chaining_began(agent, premium_customer):
    ticket = busy_ticket(agent, premium_customer)
    other = open_for(agent, premium_customer, "P2", at=paris(3, 9))
    before = {r.pk: (r.prev_hash, r.hash) for r in SlaEvent.objects.all()}
    # The ledgers as they were before the chain: no hashes, no record of chaining.
    _raw("UPDATE tickets_slaevent SET hash = '', prev_hash = ''", [])
    _raw("DELETE FROM tickets_ledgerchaining", [])
    migration = importlib.import_module("guichet.tickets.migrations.0003_ledger_chain")
    state = MigrationLoader(connection).project_state(("tickets", "0003_ledger_chain"))
    # RunPython only reads the editor's connection (SQLite refuses a real editor inside a test's
    # transaction).
    migration.chain_existing(state.apps, SimpleNamespace(connection=connection))
    after = {r.pk: (r.prev_hash, r.hash) for r in SlaEvent.objects.all()}
    assert after == before  # the encoding is deterministic: the same chain as written live
    chaining = LedgerChaining.began()
    assert chaining is not None and chaining.events_chained == len(before) and chaining.tickets_chained == 2
    for t in (ticket, other):
        assert ledger.check_chain(t.sla_events.order_by("seq")) is None

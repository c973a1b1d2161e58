"""guichet.fastsql on its own: what its INSERTs write equals what `save()` writes, the ORM takes over
when a save receiver exists, hand-written SELECTs load what the ORM loads, statements are prepared
on PostgreSQL, and the module stays neutral (Django only, no guichet app).

Runs on whichever database the pass uses (SQLite, or PostgreSQL in bin/test's second pass).
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from django.db import connection
from django.db.models.functions import Now
from django.db.models.signals import post_save, pre_save
from django.test.utils import CaptureQueriesContext

from guichet import fastsql
from guichet.accounts.models import Organisation
from guichet.contracts.models import Contract, HolidayOverride, Plan

SOURCE = Path(fastsql.__file__)


def _contract(organisation: Organisation, n: int) -> Contract:
    """A contract with a value in every kind of column (text, choices, dates, JSON, boolean)."""
    return Contract(
        organisation=organisation,
        reference=f"Q-{n} «ünïcode»",
        plan=Plan.PREMIUM if n % 2 else Plan.BASIC,
        time_zone="America/Toronto",
        holiday_country="CA",
        holiday_subdivision="ON",
        valid_from=dt.date(2026, 1, n),
        valid_until=dt.date(2026, 12, 31) if n % 2 else None,
        target_overrides={"P1": 15 + n, "note": ["a", {"b": None}]},
        pause_when_waiting=bool(n % 2),
        created_at=dt.datetime(2026, 3, 2, 10, n, 30, 123456, tzinfo=dt.UTC),
    )


def _stored(contract: Contract) -> dict:
    """The row as the ORM reads it back, without its id."""
    row = Contract.objects.get(pk=contract.pk)
    return {f.attname: getattr(row, f.attname) for f in Contract._meta.concrete_fields if not f.primary_key}


@pytest.fixture
def organisation(db) -> Organisation:
    return Organisation.objects.create(name="Fast Co")


def test_module_imports_django_only():
    """Any layer may import it (the contracts app, below the tickets): it must import none of ours."""
    roots = set()
    for node in ast.walk(ast.parse(SOURCE.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            roots.add((node.module or "").split(".")[0])
    assert "guichet" not in roots
    assert roots <= {"__future__", "functools", "collections", "typing", "django", "psycopg"}, roots


def test_insert_one_row_writes_what_save_writes(organisation):
    saved, inserted = _contract(organisation, 1), _contract(organisation, 1)
    saved.save()
    with CaptureQueriesContext(connection) as captured:
        fastsql.insert(inserted)
    assert len(captured.captured_queries) == 1
    assert inserted.pk is not None and inserted.pk != saved.pk
    assert inserted._state.adding is False and inserted._state.db == "default"
    assert _stored(inserted) == _stored(saved)


def test_insert_several_rows_in_one_statement(organisation):
    saved = [_contract(organisation, n) for n in (1, 2, 3)]
    for contract in saved:
        contract.save()
    inserted = [_contract(organisation, n) for n in (1, 2, 3)]
    with CaptureQueriesContext(connection) as captured:
        fastsql.insert(*inserted)
    assert len(captured.captured_queries) == 1
    # Each instance gets the id of its own row, in order.
    assert [c.pk for c in inserted] == sorted(c.pk for c in inserted)
    for mine, theirs in zip(inserted, saved, strict=True):
        assert _stored(mine) == _stored(theirs)


def test_insert_groups_of_several_models(organisation):
    existing = _contract(organisation, 9)
    existing.save()
    contracts = [_contract(organisation, n) for n in (1, 2)]
    overrides = [HolidayOverride(contract=existing, date=dt.date(2026, 7, d), name="Day") for d in (1, 2)]
    with CaptureQueriesContext(connection) as captured:
        fastsql.insert_groups(contracts, overrides)
    # PostgreSQL: one statement (a data-modifying CTE per group); elsewhere one INSERT per group.
    assert len(captured.captured_queries) == (1 if connection.vendor == "postgresql" else 2)
    for n, contract in zip((1, 2), contracts, strict=True):
        assert Contract.objects.get(pk=contract.pk).reference == f"Q-{n} «ünïcode»"
    assert [(o.pk, o.date.day) for o in overrides] == list(
        HolidayOverride.objects.filter(contract=existing).order_by("pk").values_list("pk", "date__day")
    )


@pytest.mark.parametrize("signal", [pre_save, post_save], ids=["pre_save", "post_save"])
def test_a_save_receiver_makes_it_use_save(organisation, signal):
    seen: list[tuple[str, bool]] = []

    def receiver(sender, instance, **kwargs):
        seen.append((instance.reference, kwargs.get("created", True)))

    signal.connect(receiver, sender=Contract, weak=False)
    try:
        rows = [_contract(organisation, n) for n in (1, 2)]
        fastsql.insert(*rows)
        fastsql.insert_groups([_contract(organisation, 3)])
    finally:
        signal.disconnect(receiver, sender=Contract)
    assert seen == [(f"Q-{n} «ünïcode»", True) for n in (1, 2, 3)]
    assert all(row.pk is not None for row in rows)
    assert Contract.objects.filter(organisation=organisation).count() == 3


def test_an_expression_value_makes_it_use_save(organisation):
    row = _contract(organisation, 1)
    row.created_at = Now()
    fastsql.insert(row)
    assert Contract.objects.get(pk=row.pk).created_at is not None


def test_only_new_rows(organisation):
    row = _contract(organisation, 1)
    row.save()
    with pytest.raises(ValueError, match="must be new"):
        fastsql.insert(row)


def test_hand_written_select_loads_what_the_orm_loads(organisation):
    contract = _contract(organisation, 1)
    contract.save()
    with fastsql.cursor("default") as cursor:
        cursor.execute(
            f"SELECT {fastsql.select_list(Contract, 'default', 'c')} FROM contracts_contract c"
            " WHERE c.id = %s",
            [contract.pk],
        )
        (row,) = cursor.fetchall()
    loaded = fastsql.instance(Contract, "default", "c", row)
    expected = Contract.objects.get(pk=contract.pk)
    assert {f.attname: getattr(loaded, f.attname) for f in Contract._meta.concrete_fields} == {
        f.attname: getattr(expected, f.attname) for f in Contract._meta.concrete_fields
    }
    assert loaded._state.adding is False and loaded.created_at.tzinfo is not None


@pytest.mark.postgres_only
def test_statements_are_prepared_on_postgresql(organisation):
    fastsql.insert(_contract(organisation, 1))
    fastsql.insert_groups([_contract(organisation, 2)], [Organisation(name="Other")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any(s.startswith('INSERT INTO "contracts_contract"') for s in prepared), prepared
    assert any(s.startswith("WITH") and '"contracts_organisation"' in s for s in prepared), prepared
    # Django's own statements stay unprepared (psycopg's automatic preparation is never reached).
    for _ in range(10):
        Organisation.objects.filter(name="never-prepared").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%never-prepared%'")
        assert cursor.fetchone()[0] == 0

"""Fast paths for the few SQL statements run on every API request: the token lookup, the contract
in force, the rows a new ticket writes.

Neutral on purpose: it imports Django only, never a `guichet` app, so any layer may use it (the
contracts app below the tickets, the API above them).

- `cursor(alias)`: Django binds parameters client-side on PostgreSQL, so the server parses and plans
  every statement again; for these hot statements that was a third of PostgreSQL's CPU per ticket.
  This cursor binds them server-side and prepares each once per connection. It is the same
  connection, in the same transaction, wrapped like Django's own cursors (query logging, execute
  wrappers, error mapping). Other databases get the usual cursor (sqlite3 already caches its
  compiled statements).
- `select_list()` / `instance()`: a model's columns for a hand-written SELECT and the instance built
  from them, converted exactly as the ORM would.
- `insert()` / `insert_groups()`: INSERT … RETURNING pk statements built once per model, only the
  values prepared per call (compiling them through the ORM cost more CPU than the rest of opening a
  ticket); plain `save()` whenever a save signal receiver or an expression needs the ORM.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, cast

from django.db import connections, router
from django.db.models import Model, signals
from django.db.models.fields import Field

NEVER_AUTOMATIC = 2**31


# --- Prepared statements (PostgreSQL) ------------------------------------------------------------


@functools.cache
def _prepared_cursor_class() -> type:
    import psycopg

    class PreparedCursor(psycopg.Cursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    return PreparedCursor


def cursor(alias: str):
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns psycopg's prepared statements off (None). A threshold never reached keeps
        # them off for Django's own cursors (they bind client-side and never prepare anyway) while
        # allowing the explicit prepare=True of this one.
        raw.prepare_threshold = NEVER_AUTOMATIC
    with connection.wrap_database_errors:
        # Django's own (private) wrapping: query logging, execute wrappers, error mapping.
        return cast(Any, connection)._prepare_cursor(_prepared_cursor_class()(raw))


# --- Hand-written SELECTs ------------------------------------------------------------------------


def column(field: Any) -> str:
    """A concrete field's column name (the stubs allow None, for fields without one)."""
    name = field.column
    assert isinstance(name, str), field
    return name


@functools.cache  # per model and database: the schema does not change in a running process
def _columns(
    model: type[Model], alias: str, table_alias: str
) -> tuple[str, list[str], list[tuple[Any, list]]]:
    connection = connections[alias]
    fields = model._meta.concrete_fields
    converters = []
    for f in fields:
        col = f.get_col(model._meta.db_table)
        converters.append((col, connection.ops.get_db_converters(col) + col.get_db_converters(connection)))
    qn = connection.ops.quote_name
    return (
        ", ".join(f"{table_alias}.{qn(column(f))}" for f in fields),
        [f.attname for f in fields],
        converters,
    )


def select_list(model: type[Model], alias: str, table_alias: str) -> str:
    """The model's columns, in the order `instance()` expects them, for a hand-written SELECT."""
    return _columns(model, alias, table_alias)[0]


def instance(model: type[Model], alias: str, table_alias: str, values: Sequence[Any]) -> Model:
    """A model instance from the columns of `select_list()`, converted exactly as the ORM would."""
    _sql, attnames, converters = _columns(model, alias, table_alias)
    connection = connections[alias]
    converted = list(values)
    for i, (col, funcs) in enumerate(converters):
        for func in funcs:
            converted[i] = func(converted[i], col, connection)
    return model.from_db(alias, attnames, converted)


# --- Inserting new rows cheaply ------------------------------------------------------------------


@functools.cache  # per model and database: the schema does not change in a running process
def _insert_plan(model: type[Model], alias: str) -> tuple[str, list[Field]] | None:
    """The INSERT … RETURNING pk statement the ORM would build for a new `model` row, or None
    when the plain ORM must be used (no RETURNING, or columns the database fills in)."""
    connection = connections[alias]
    meta = model._meta
    if not connection.features.can_return_rows_from_bulk_insert or meta.db_returning_fields != [meta.pk]:
        return None
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
    if any(getattr(f, "generated", False) or hasattr(f, "get_placeholder") for f in fields):
        return None
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(column(f)) for f in fields)})"
        f" VALUES {{rows}} RETURNING {qn(column(meta.pk))}"
    )
    return sql, fields


def _insert_statement(objs: Sequence[Model]) -> tuple[str, list[Any]] | None:
    """The INSERT … RETURNING pk of these new rows (one model) and its parameters, prepared as the
    ORM would (each field's `pre_save` and `get_db_prep_save`); None when the ORM must save them:
    save signal receivers, expressions as values, a backend without RETURNING."""
    model = type(objs[0])
    alias = router.db_for_write(model)
    plan = _insert_plan(model, alias)
    if plan is None or signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model):
        return None
    sql, fields = plan
    connection = connections[alias]
    params: list[Any] = []
    for obj in objs:
        if obj.pk is not None or not obj._state.adding:
            raise ValueError(f"{model.__name__} rows inserted here must be new")
        for f in fields:
            value = f.pre_save(obj, True)
            if hasattr(value, "resolve_expression"):
                return None
            params.append(f.get_db_prep_save(value, connection=connection))
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return sql.format(rows=", ".join([row] * len(objs))), params


def _inserted(objs: Sequence[Model], ids: Sequence[int], alias: str) -> None:
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = alias


def insert(*objs: Model) -> None:
    """Insert new instances of one model with one statement, as `save()`/`bulk_create()` would, and
    set their ids. Foreign keys are read from their `…_id` attribute: build a row after the row it
    refers to was inserted (unlike `save()`, an instance given to a foreign key is not re-read)."""
    alias = router.db_for_write(type(objs[0]))
    built = _insert_statement(objs)
    if built is None:
        for obj in objs:
            obj.save(using=alias)
        return
    with cursor(alias) as c:
        c.execute(*built)
        _inserted(objs, [r[0] for r in c.fetchall()], alias)


def insert_groups(*groups: Sequence[Model]) -> None:
    """Insert several groups of new rows (one model per group, rows that do not refer to each
    other). On PostgreSQL in one statement, one data-modifying CTE per group: one round trip
    instead of one per group. Elsewhere, or whenever a group needs the ORM, one `insert` each."""
    alias = router.db_for_write(type(groups[0][0]))
    connection = connections[alias]
    if connection.vendor != "postgresql" or any(router.db_for_write(type(g[0])) != alias for g in groups):
        for group in groups:
            insert(*group)
        return
    statements = [_insert_statement(group) for group in groups]
    built = [b for b in statements if b is not None]
    if len(built) != len(statements):
        for group in groups:
            insert(*group)
        return
    qn = connection.ops.quote_name
    ctes = ", ".join(f"i{n} AS ({sql})" for n, (sql, _params) in enumerate(built))
    union = " UNION ALL ".join(
        f"SELECT {n} AS g, {qn(column(type(group[0])._meta.pk))} AS pk FROM i{n}"
        for n, group in enumerate(groups)
    )
    params = [p for _sql, group_params in built for p in group_params]
    with cursor(alias) as c:
        c.execute(f"WITH {ctes} {union}", params)
        rows = c.fetchall()
    for n, group in enumerate(groups):
        # One statement's sequence values grow in the order of its VALUES rows.
        _inserted(group, sorted(pk for g, pk in rows if g == n), alias)

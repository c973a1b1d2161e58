"""A cursor for the few SQL statements run on every API request (the token lookup, the contract in
force, the rows a new ticket writes).

Django binds parameters client-side on PostgreSQL, so the server parses and plans every statement
again; for these hot statements that was a third of PostgreSQL's CPU per ticket. This cursor binds
them server-side and prepares each once per connection. It is the same connection, in the same
transaction, wrapped like Django's own cursors (query logging, execute wrappers, error mapping).
Other databases get the usual cursor (sqlite3 already caches its compiled statements).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connections
from django.db.models import Model

NEVER_AUTOMATIC = 2**31


@functools.cache
def _prepared_cursor_class() -> type:
    import psycopg

    class PreparedCursor(psycopg.Cursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):  # type: ignore[override]
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
        return connection._prepare_cursor(_prepared_cursor_class()(raw))


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
        ", ".join(f"{table_alias}.{qn(f.column)}" for f in fields),
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

"""Bulk inserts that stay fast at 100k rows.

Django's bulk_create on PostgreSQL compiles every value through the field machinery and sends them as
client-side quoted arrays: most of an initial sync's time went there. On PostgreSQL, large batches are written
with COPY instead (psycopg adapts each value in C); everywhere else, and for small batches, bulk_create is used.
Rows are plain dicts keyed by field attname, holding every concrete field (ids included). `append` is for rows
whose ids the database assigns and nobody reads back (the notification outbox): COPY on PostgreSQL whatever the
count, since it needs no ids allocated first; Django's arrays of quoted JSON cost more CPU than the rest of an
inventory change together (bench/notifications/write.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from django.db import connections, models, router
from psycopg.types.json import Jsonb

COPY_THRESHOLD = 500
BATCH_SIZE = 2000


def _json_text(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def uses_copy(model: type[models.Model], count: int) -> bool:
    """Whether `insert` will COPY `count` rows of `model` (so their ids must be allocated beforehand)."""
    return count >= COPY_THRESHOLD and connections[router.db_for_write(model)].vendor == "postgresql"


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Take `count` values from the model's id sequence (PostgreSQL), for rows COPY will insert."""
    connection = connections[router.db_for_write(model)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def insert(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` of `model` in the current transaction."""
    if not rows:
        return
    if not uses_copy(model, len(rows)):
        model._default_manager.bulk_create([model(**row) for row in rows], batch_size=BATCH_SIZE)
        return
    _copy(model, rows)


def append(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (every concrete field but the id) in the current transaction, in order: the database
    assigns the ids from the model's sequence, row after row, and they are not read back."""
    if not rows:
        return
    if connections[router.db_for_write(model)].vendor != "postgresql":
        model._default_manager.bulk_create([model(**row) for row in rows], batch_size=BATCH_SIZE)
        return
    _copy(model, rows)


def _copy(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """COPY `rows` into the model's table: the columns are the fields the first row names."""
    fields = [f for f in model._meta.concrete_fields if f.attname in rows[0]]
    json_columns = [isinstance(f, models.JSONField) for f in fields]
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    statement = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
    names = [f.attname for f in fields]
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                [
                    Jsonb(value, dumps=_json_text) if is_json and value is not None else value
                    for value, is_json in zip((row[name] for name in names), json_columns, strict=True)
                ]
            )

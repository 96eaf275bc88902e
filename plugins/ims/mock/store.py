"""The simulated O-Cloud's state: one SQLite file shared by every process that opens it.

netweave's web processes, Celery workers and beat are separate processes; each builds its own plugin object
for the instance. The simulated backend therefore keeps nothing in Python memory: every read is a query and
every write a committed transaction (WAL journal, synchronous=FULL) on the state file, so all plugin objects
on the same file — in this process or another — see one O-Cloud.

Tables: `meta` (schema version, generation spec, resource-id counter, churn clock and step counter),
`deployment_managers`, `resource_pools`, `resource_types`, `resources`, and `journal`: one row per change
made after generation (by the API or by churn), which `MockIMSPlugin.watch` polls.

Churn (optional) is applied lazily and process-safely: the time of the last churn step lives in `meta`; any
read or write first applies the steps due since then (at most MAX_CHURN_STEPS_PER_CALL; an older backlog is
dropped rather than replayed), inside a write transaction, so two processes never apply the same step. Step
number n is computed from random.Random(seed, n) alone, so the same history always produces the same O-Cloud.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plugins.ims.mock import demo
from plugins.sdk.errors import BackendUnavailable, Conflict, InvalidRequest, NotFound
from plugins.sqlite_state import SQLiteStateFile

KIND_DEPLOYMENT_MANAGER = "deploymentManager"
KIND_RESOURCE_POOL = "resourcePool"
KIND_RESOURCE_TYPE = "resourceType"
KIND_RESOURCE = "resource"

MAX_CHURN_STEPS_PER_CALL = 100
JOURNAL_KEEP = 100_000

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS deployment_managers (
        native_id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL, service_uri TEXT NOT NULL,
        supported_locations TEXT NOT NULL, capabilities TEXT NOT NULL, capacity TEXT NOT NULL,
        extensions TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS resource_pools (
        native_id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL,
        global_location_id TEXT NOT NULL, location TEXT NOT NULL, extensions TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS resource_types (
        native_id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL, vendor TEXT NOT NULL,
        model TEXT NOT NULL, version TEXT NOT NULL, resource_kind TEXT NOT NULL, resource_class TEXT NOT NULL,
        alarm_dictionary TEXT, extensions TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS resources (
        native_id TEXT PRIMARY KEY,
        resource_type_id TEXT NOT NULL REFERENCES resource_types (native_id),
        resource_pool_id TEXT NOT NULL REFERENCES resource_pools (native_id),
        parent_id TEXT REFERENCES resources (native_id),
        description TEXT NOT NULL, global_asset_id TEXT NOT NULL, extensions TEXT NOT NULL,
        origin TEXT NOT NULL DEFAULT 'seed')""",
    "CREATE INDEX IF NOT EXISTS resources_pool ON resources (resource_pool_id)",
    "CREATE INDEX IF NOT EXISTS resources_type ON resources (resource_type_id)",
    "CREATE INDEX IF NOT EXISTS resources_parent ON resources (parent_id)",
    "CREATE INDEX IF NOT EXISTS resources_origin ON resources (origin)",
    """CREATE TABLE IF NOT EXISTS journal (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, kind TEXT NOT NULL, native_id TEXT NOT NULL,
        action TEXT NOT NULL, source TEXT NOT NULL)""",
)

_TABLE_BY_KIND = {
    KIND_DEPLOYMENT_MANAGER: "deployment_managers",
    KIND_RESOURCE_POOL: "resource_pools",
    KIND_RESOURCE_TYPE: "resource_types",
    KIND_RESOURCE: "resources",
}


@dataclass(frozen=True)
class ChurnSettings:
    enabled: bool = False
    changes_per_minute: int = 6


@dataclass(frozen=True)
class JournalEntry:
    seq: int
    at: float
    kind: str
    native_id: str
    action: str  # create, modify, delete
    source: str  # api, churn


class MockStore:
    """The simulated O-Cloud's tables and queries on its state file (plugins.sqlite_state: one connection per
    process behind a lock, SQLite's locking between processes)."""

    def __init__(
        self,
        path: Path | str,
        *,
        churn: ChurnSettings | None = None,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = 30.0,
    ) -> None:
        self._file = SQLiteStateFile(path, label="mock state file", busy_timeout=busy_timeout)
        self.path = self._file.path
        self.churn = churn or ChurnSettings()
        self.clock = clock

    # ------------------------------------------------------------------------------------------ lifecycle

    def open(self, spec: demo.GenerationSpec) -> bool:
        """Create the schema and, when the file holds no O-Cloud yet, generate one from `spec`.
        Returns True when this call generated the data. An existing O-Cloud is never regenerated."""
        return self._file.open(_SCHEMA, demo.SCHEMA_VERSION, lambda conn: self._generate(conn, spec))

    def close(self) -> None:
        self._file.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction (one snapshot), after the churn steps that are due."""
        with self._file.connected() as conn:
            self._churn_if_due(conn)
            with self._file.transaction(write=False) as snapshot:
                yield snapshot

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; the churn steps that are due are applied first, in the same transaction."""
        with self._file.transaction() as conn:
            self._apply_due_churn(conn)
            yield conn

    # ------------------------------------------------------------------------------------------ generation

    def _generate(self, conn: sqlite3.Connection, spec: demo.GenerationSpec) -> None:
        generator = demo.Generator(spec)

        def insert(table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:
            marks = ", ".join("?" for _ in columns)
            conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)  # noqa: S608

        insert("resource_types", demo.TYPE_COLUMNS, generator.resource_types())
        insert("resource_pools", demo.POOL_COLUMNS, generator.resource_pools())
        insert("resources", demo.RESOURCE_COLUMNS, generator.resources())  # streamed
        insert("deployment_managers", demo.DM_COLUMNS, generator.deployment_managers())
        meta = {
            "spec": demo.dumps(spec.as_dict()),
            "seed": str(spec.seed),
            "generated_at": repr(self.clock()),
            "next_resource": str(generator.resource_count + 1),
            "churn_step": "0",
            "churn_last": repr(self.clock()),
        }
        conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", list(meta.items()))

    # ------------------------------------------------------------------------------------------ meta

    @staticmethod
    def _meta(conn: sqlite3.Connection, key: str) -> str:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise BackendUnavailable(f"mock state file has no {key!r}: it was not initialized")
        return str(row[0])

    @staticmethod
    def _set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def meta_value(self, key: str, make: Callable[[], str]) -> str:
        """The `meta` value under `key`, made by `make()` and stored the first time it is asked for (the
        simulated clusters' CA and token secret: the same for every process sharing the state file)."""
        with self._write() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            if row is not None:
                return str(row[0])
            value = make()
            self._set_meta(conn, key, value)
            return value

    def meta(self) -> dict[str, str]:
        with self._read() as conn:
            return {row["key"]: row["value"] for row in conn.execute("SELECT key, value FROM meta")}

    def counts(self) -> dict[str, int]:
        with self._read() as conn:
            return {
                kind: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608
                for kind, table in _TABLE_BY_KIND.items()
            }

    # ------------------------------------------------------------------------------------------ reads

    def list_rows(self, kind: str, *, where: dict[str, str] | None = None) -> list[sqlite3.Row]:
        table = _TABLE_BY_KIND[kind]
        clauses = [f"{column} = ?" for column in (where or {})]
        sql = f"SELECT * FROM {table}"  # noqa: S608 - table and columns are ours, values are bound
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        with self._read() as conn:
            return conn.execute(sql + " ORDER BY native_id", tuple((where or {}).values())).fetchall()

    def find_row(self, kind: str, native_id: str) -> sqlite3.Row | None:
        with self._read() as conn:
            return self._find(conn, kind, native_id)

    def get_row(self, kind: str, native_id: str) -> sqlite3.Row:
        row = self.find_row(kind, native_id)
        if row is None:
            raise NotFound(f"{kind} {native_id!r} does not exist")
        return row

    @staticmethod
    def _find(conn: sqlite3.Connection, kind: str, native_id: str) -> sqlite3.Row | None:
        table = _TABLE_BY_KIND[kind]
        row: sqlite3.Row | None = conn.execute(
            f"SELECT * FROM {table} WHERE native_id = ?",  # noqa: S608
            (native_id,),
        ).fetchone()
        return row

    # ------------------------------------------------------------------------------------------ pools

    def create_pool(self, row: dict[str, Any]) -> sqlite3.Row:
        with self._write() as conn:
            if self._name_taken(conn, row["name"], except_id=None):
                raise Conflict(f"a resource pool named {row['name']!r} already exists", field="name")
            if row["native_id"]:
                if self._find(conn, KIND_RESOURCE_POOL, row["native_id"]) is not None:
                    raise Conflict(f"resource pool {row['native_id']!r} already exists", field="native_id")
            else:
                row = {**row, "native_id": self._free_pool_id(conn, row["name"])}
            conn.execute(
                "INSERT INTO resource_pools (native_id, name, description, global_location_id, location, extensions)"
                " VALUES (:native_id, :name, :description, :global_location_id, :location, :extensions)",
                row,
            )
            self._journal(conn, KIND_RESOURCE_POOL, row["native_id"], "create", "api")
            return self._must_find(conn, KIND_RESOURCE_POOL, row["native_id"])

    def update_pool(self, native_id: str, row: dict[str, Any]) -> sqlite3.Row:
        with self._write() as conn:
            self._must_find(conn, KIND_RESOURCE_POOL, native_id)
            if self._name_taken(conn, row["name"], except_id=native_id):
                raise Conflict(f"a resource pool named {row['name']!r} already exists", field="name")
            conn.execute(
                "UPDATE resource_pools SET name = :name, description = :description,"
                " global_location_id = :global_location_id, location = :location, extensions = :extensions"
                " WHERE native_id = :native_id",
                {**row, "native_id": native_id},
            )
            self._journal(conn, KIND_RESOURCE_POOL, native_id, "modify", "api")
            return self._must_find(conn, KIND_RESOURCE_POOL, native_id)

    def delete_pool(self, native_id: str) -> None:
        with self._write() as conn:
            self._must_find(conn, KIND_RESOURCE_POOL, native_id)
            used = conn.execute("SELECT count(*) FROM resources WHERE resource_pool_id = ?", (native_id,)).fetchone()[0]
            if used:
                raise Conflict(f"resource pool {native_id!r} still holds {used} resource(s); delete them first")
            conn.execute("DELETE FROM resource_pools WHERE native_id = ?", (native_id,))
            self._journal(conn, KIND_RESOURCE_POOL, native_id, "delete", "api")

    @staticmethod
    def _name_taken(conn: sqlite3.Connection, name: str, *, except_id: str | None) -> bool:
        row = conn.execute("SELECT native_id FROM resource_pools WHERE name = ?", (name,)).fetchone()
        return row is not None and row[0] != except_id

    def _free_pool_id(self, conn: sqlite3.Connection, name: str) -> str:
        slug = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")[:60] or "pool"
        candidate, n = f"pool-{slug}", 1
        while self._find(conn, KIND_RESOURCE_POOL, candidate) is not None:
            n += 1
            candidate = f"pool-{slug}-{n}"
        return candidate

    # ------------------------------------------------------------------------------------------ resources

    def create_resource(self, row: dict[str, Any], *, source: str = "api") -> sqlite3.Row:
        with self._write() as conn:
            return self._insert_resource(conn, row, source=source)

    def _insert_resource(self, conn: sqlite3.Connection, row: dict[str, Any], *, source: str) -> sqlite3.Row:
        if self._find(conn, KIND_RESOURCE_TYPE, row["resource_type_id"]) is None:
            raise InvalidRequest(f"resource type {row['resource_type_id']!r} does not exist", field="resource_type_id")
        if self._find(conn, KIND_RESOURCE_POOL, row["resource_pool_id"]) is None:
            raise InvalidRequest(f"resource pool {row['resource_pool_id']!r} does not exist", field="resource_pool_id")
        if row["parent_id"] and self._find(conn, KIND_RESOURCE, row["parent_id"]) is None:
            raise InvalidRequest(f"parent resource {row['parent_id']!r} does not exist", field="parent_id")
        if row["native_id"]:
            if self._find(conn, KIND_RESOURCE, row["native_id"]) is not None:
                raise Conflict(f"resource {row['native_id']!r} already exists", field="native_id")
        else:
            row = {**row, "native_id": self._next_resource_id(conn)}
        conn.execute(
            "INSERT INTO resources (native_id, resource_type_id, resource_pool_id, parent_id, description,"
            " global_asset_id, extensions, origin) VALUES (:native_id, :resource_type_id, :resource_pool_id,"
            " :parent_id, :description, :global_asset_id, :extensions, :origin)",
            row,
        )
        self._journal(conn, KIND_RESOURCE, row["native_id"], "create", source)
        return self._must_find(conn, KIND_RESOURCE, row["native_id"])

    def _next_resource_id(self, conn: sqlite3.Connection) -> str:
        number = int(self._meta(conn, "next_resource"))
        while self._find(conn, KIND_RESOURCE, demo.resource_native_id(number)) is not None:
            number += 1
        self._set_meta(conn, "next_resource", str(number + 1))
        return demo.resource_native_id(number)

    def delete_resource(self, native_id: str) -> None:
        with self._write() as conn:
            self._must_find(conn, KIND_RESOURCE, native_id)
            children = conn.execute("SELECT count(*) FROM resources WHERE parent_id = ?", (native_id,)).fetchone()[0]
            if children:
                raise Conflict(f"resource {native_id!r} has {children} child element(s); delete them first")
            conn.execute("DELETE FROM resources WHERE native_id = ?", (native_id,))
            self._journal(conn, KIND_RESOURCE, native_id, "delete", "api")

    def _must_find(self, conn: sqlite3.Connection, kind: str, native_id: str) -> sqlite3.Row:
        row = self._find(conn, kind, native_id)
        if row is None:
            raise NotFound(f"{kind} {native_id!r} does not exist")
        return row

    # ------------------------------------------------------------------------------------------ journal

    def _journal(self, conn: sqlite3.Connection, kind: str, native_id: str, action: str, source: str) -> None:
        cursor = conn.execute(
            "INSERT INTO journal (at, kind, native_id, action, source) VALUES (?, ?, ?, ?, ?)",
            (self.clock(), kind, native_id, action, source),
        )
        seq = int(cursor.lastrowid or 0)
        if seq % 1000 == 0:
            conn.execute("DELETE FROM journal WHERE seq <= ?", (seq - JOURNAL_KEEP,))

    def journal_head(self) -> int:
        """The sequence number of the latest change (0 when nothing changed since generation)."""
        with self._read() as conn:
            return int(conn.execute("SELECT coalesce(max(seq), 0) FROM journal").fetchone()[0])

    def journal_since(self, seq: int, limit: int = 1000) -> list[JournalEntry]:
        """Changes after `seq`, oldest first. Raises BackendUnavailable if entries after `seq` were trimmed."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT seq, at, kind, native_id, action, source FROM journal WHERE seq > ? ORDER BY seq LIMIT ?",
                (seq, limit),
            ).fetchall()
            if rows and rows[0]["seq"] != seq + 1:
                floor = conn.execute("SELECT min(seq) FROM journal").fetchone()[0]
                if floor is not None and floor > seq + 1:
                    raise BackendUnavailable(
                        f"mock change journal no longer holds changes after {seq}: re-list (sync) and watch again"
                    )
        return [JournalEntry(**dict(row)) for row in rows]

    # ------------------------------------------------------------------------------------------ churn

    def churn_now(self, steps: int) -> int:
        """Apply `steps` churn steps right away (whether or not churn is enabled). Returns the steps applied."""
        with self._write() as conn:
            self._apply_steps(conn, steps)
        return steps

    def _due(self, conn: sqlite3.Connection) -> tuple[int, float]:
        """(steps due, the churn clock afterwards)."""
        if not self.churn.enabled or self.churn.changes_per_minute <= 0:
            return 0, 0.0
        now = self.clock()
        last = float(self._meta(conn, "churn_last"))
        interval = 60.0 / self.churn.changes_per_minute
        due = int((now - last) / interval)
        if due <= 0:
            return 0, last
        if due > MAX_CHURN_STEPS_PER_CALL:
            return MAX_CHURN_STEPS_PER_CALL, now  # drop the older backlog rather than replay it
        return due, last + due * interval

    def _churn_if_due(self, conn: sqlite3.Connection) -> None:
        if not self.churn.enabled:
            return
        if self._due(conn)[0] > 0:
            with self._file.transaction() as locked:
                self._apply_due_churn(locked)  # recomputed under the write lock: another process may have done it

    def _apply_due_churn(self, conn: sqlite3.Connection) -> None:
        steps, clock = self._due(conn)
        if steps > 0:
            self._apply_steps(conn, steps)
            self._set_meta(conn, "churn_last", repr(clock))

    def _apply_steps(self, conn: sqlite3.Connection, steps: int) -> None:
        seed = int(self._meta(conn, "seed"))
        step = int(self._meta(conn, "churn_step"))
        for _ in range(max(0, steps)):
            rng = random.Random(f"mock-churn:{seed}:{step}")
            self._churn_step(conn, rng)
            step += 1
        self._set_meta(conn, "churn_step", str(step))

    def _churn_step(self, conn: sqlite3.Connection, rng: random.Random) -> None:
        roll = rng.random()
        if roll < 0.08 and self._churn_add(conn, rng):
            return
        if roll < 0.16 and self._churn_delete(conn, rng):
            return
        self._churn_modify(conn, rng)

    @staticmethod
    def _pick(conn: sqlite3.Connection, rng: random.Random, condition: str, indexed: str = "1") -> sqlite3.Row | None:
        """A pseudo-random resource matching `condition`, found by rowid so it stays fast at 1M rows: a random
        rowid between the bounds of the rows matching `indexed` (a cheap, index-backed part of the condition),
        then the first matching row from there, wrapping around."""
        low, high = conn.execute(
            f"SELECT (SELECT min(rowid) FROM resources WHERE {indexed}),"  # noqa: S608 - each alone is an index seek
            f" (SELECT max(rowid) FROM resources WHERE {indexed})"
        ).fetchone()
        if low is None:
            return None
        target = rng.randint(low, high)
        row: sqlite3.Row | None = conn.execute(
            f"SELECT rowid AS rid, * FROM resources WHERE rowid >= ? AND {condition} ORDER BY rowid LIMIT 1",  # noqa: S608
            (target,),
        ).fetchone()
        if row is None:
            row = conn.execute(
                f"SELECT rowid AS rid, * FROM resources WHERE {condition} ORDER BY rowid LIMIT 1"  # noqa: S608
            ).fetchone()
        return row

    def _churn_modify(self, conn: sqlite3.Connection, rng: random.Random) -> bool:
        row = self._pick(conn, rng, "json_extract(extensions, '$.\"mock.temperatureC\"') IS NOT NULL")
        if row is None:
            return False
        ext = json.loads(row["extensions"])
        temperature = float(ext.get("mock.temperatureC", 35.0)) + rng.uniform(-4.0, 4.0)
        if ext.get("mock.powerState") == "off":
            temperature = rng.uniform(20.0, 24.0)
        ext["mock.temperatureC"] = round(min(90.0, max(18.0, temperature)), 1)
        if "mock.powerState" in ext and rng.random() < 0.1:
            ext["mock.powerState"] = "off" if ext["mock.powerState"] == "on" else "on"
        conn.execute("UPDATE resources SET extensions = ? WHERE rowid = ?", (demo.dumps(ext), row["rid"]))
        self._journal(conn, KIND_RESOURCE, row["native_id"], "modify", "churn")
        return True

    def _churn_add(self, conn: sqlite3.Connection, rng: random.Random) -> bool:
        pools = conn.execute("SELECT native_id, extensions FROM resource_pools ORDER BY native_id").fetchall()
        if not pools:
            return False
        pool = rng.choice(pools)
        pool_ext = json.loads(pool["extensions"])
        type_id = demo.SERVER_TYPE_BY_TIER.get(str(pool_ext.get("mock.tier", "")), "rt-dell-r750")
        if self._find(conn, KIND_RESOURCE_TYPE, type_id) is None:
            return False
        native_id = self._next_resource_id(conn)
        serial = demo.serial_number(int(native_id.removeprefix("res-")), int(self._meta(conn, "seed")))
        site = str(pool_ext.get("mock.site", ""))
        ext = demo.server_extensions(rng, type_id, site, serial)
        self._insert_resource(
            conn,
            {
                "native_id": native_id,
                "resource_type_id": type_id,
                "resource_pool_id": pool["native_id"],
                "parent_id": None,
                "description": f"{demo.TYPE_NAMES[type_id]} compute server in {pool['native_id']} (added by churn)",
                "global_asset_id": serial,
                "extensions": demo.dumps(ext),
                "origin": "churn",
            },
            source="churn",
        )
        return True

    def _churn_delete(self, conn: sqlite3.Connection, rng: random.Random) -> bool:
        """Delete a resource churn added earlier (never seeded or API-made ones), if it has no children."""
        row = self._pick(
            conn,
            rng,
            "origin = 'churn' AND NOT EXISTS (SELECT 1 FROM resources AS c WHERE c.parent_id = resources.native_id)",
            indexed="origin = 'churn'",
        )
        if row is None:
            return False
        conn.execute("DELETE FROM resources WHERE rowid = ?", (row["rid"],))
        self._journal(conn, KIND_RESOURCE, row["native_id"], "delete", "churn")
        return True

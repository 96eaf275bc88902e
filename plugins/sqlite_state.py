"""A simulated backend's state file: one SQLite file that every netweave process opening it shares.

The mock plugins simulate a backend whose state must outlive a request and be the same for the web process
that accepts a change and the worker that carries it out, so they keep nothing in Python memory: every read is
a query and every write a committed transaction on this file. What they share is here: where the file lives,
one connection per process (a forked child opens its own) behind a lock, durable settings (WAL journal,
synchronous=FULL, foreign keys), transactions, a `meta` table holding the schema version, and SQLite's
failures reported as the SDK's errors. Each store keeps its own tables and queries.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from plugins.sdk.errors import BackendUnavailable, Conflict, PluginError

META_TABLE = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"


def state_file_location(configured: str, default_name: str) -> Path:
    """Where a state file lives: `configured` (relative to DATA_DIR unless absolute), or DATA_DIR/default_name."""
    from django.conf import settings

    data_dir = Path(settings.DATA_DIR)
    if not configured:
        return data_dir / default_name
    path = Path(configured).expanduser()
    return path if path.is_absolute() else data_dir / path


class SQLiteStateFile:
    """The file and this process's connection to it. Thread-safe inside a process (one connection behind a
    re-entrant lock), process-safe through SQLite's locking. `label` names the file in error messages."""

    def __init__(self, path: Path | str, *, label: str, busy_timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.label = label
        self.busy_timeout = busy_timeout
        self._lock = threading.RLock()
        self._connection: sqlite3.Connection | None = None
        self._pid = 0

    def open(
        self, schema: Sequence[str], version: int, initialize: Callable[[sqlite3.Connection], None] | None = None
    ) -> bool:
        """Create the tables (`meta` and `schema`'s) and, when the file is new, run `initialize` (fill it) and
        record `version`, in one transaction. Returns True when this call initialized the file. A file written with
        another schema version is refused (BackendUnavailable): it is never migrated or overwritten."""
        with self.transaction() as conn:
            conn.execute(META_TABLE)
            for statement in schema:
                conn.execute(statement)
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                if initialize is not None:
                    initialize(conn)
                conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(version),))
                return True
        if int(row[0]) != version:
            raise BackendUnavailable(
                f"{self.label} {self.path} has schema version {row[0]}, this plugin writes {version}: "
                "delete the file to start over"
            )
        return False

    def close(self) -> None:
        with self._lock:
            if self._connection is not None and self._pid == os.getpid():
                self._connection.close()
            self._connection = None

    @contextmanager
    def connected(self) -> Iterator[sqlite3.Connection]:
        """This process's connection (autocommit) under the lock, with SQLite's failures as the SDK's errors:
        a rejected change is a Conflict, a locked, unreadable or corrupt file BackendUnavailable."""
        with self._lock:
            try:
                yield self._conn()
            except PluginError:
                raise
            except sqlite3.IntegrityError as exc:
                raise Conflict(f"{self.label} rejected the change: {exc}") from exc
            except sqlite3.Error as exc:
                raise BackendUnavailable(f"{self.label} {self.path}: {exc}") from exc

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction, committed when the block ends and rolled back when it raises. A write transaction
        takes SQLite's write lock at once (BEGIN IMMEDIATE), so what the block reads cannot change before it
        writes; a read transaction sees one snapshot."""
        with self.connected() as conn:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # a failed COMMIT may already have ended it
                    conn.execute("ROLLBACK")
                raise

    def _conn(self) -> sqlite3.Connection:
        if self._connection is None or self._pid != os.getpid():
            # A forked child must not share its parent's connection: it opens its own (the parent's is left alone).
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            self._connection = conn
            self._pid = os.getpid()
        return self._connection

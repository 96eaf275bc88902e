"""plugins.sqlite_state: the state file the mock plugins share between processes (their stores test the rest)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from django.conf import settings

from plugins.sdk.errors import BackendUnavailable, Conflict, NotFound
from plugins.sqlite_state import SQLiteStateFile, state_file_location

SCHEMA = ("CREATE TABLE IF NOT EXISTS things (name TEXT PRIMARY KEY)",)


def fill(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO things VALUES ('first')")


def names(state: SQLiteStateFile) -> list[str]:
    with state.transaction(write=False) as conn:
        return [row["name"] for row in conn.execute("SELECT name FROM things ORDER BY name")]


def test_a_new_file_is_created_filled_once_and_durable(tmp_path: Path) -> None:
    state = SQLiteStateFile(tmp_path / "sub" / "s.sqlite3", label="test state file")
    assert state.open(SCHEMA, 1, fill) is True
    assert state.open(SCHEMA, 1, fill) is False  # never filled twice
    assert names(state) == ["first"]
    with state.connected() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "1"
    state.close()
    again = SQLiteStateFile(tmp_path / "sub" / "s.sqlite3", label="test state file")
    assert again.open(SCHEMA, 1, fill) is False
    assert names(again) == ["first"]
    again.close()


def test_another_schema_version_is_refused(tmp_path: Path) -> None:
    SQLiteStateFile(tmp_path / "s.sqlite3", label="x").open(SCHEMA, 1)
    with pytest.raises(BackendUnavailable, match=r"test state file .* has schema version 1, this plugin writes 2"):
        SQLiteStateFile(tmp_path / "s.sqlite3", label="test state file").open(SCHEMA, 2)


def test_a_failed_fill_leaves_the_file_new(tmp_path: Path) -> None:
    state = SQLiteStateFile(tmp_path / "s.sqlite3", label="test state file")

    def broken(conn: sqlite3.Connection) -> None:
        fill(conn)
        raise RuntimeError("generation failed")

    with pytest.raises(RuntimeError):
        state.open(SCHEMA, 1, broken)
    assert state.open(SCHEMA, 1, fill) is True
    assert names(state) == ["first"]


def insert(state: SQLiteStateFile, name: str, *, then_fail: bool = False) -> None:
    with state.transaction() as conn:
        conn.execute("INSERT INTO things VALUES (?)", (name,))
        if then_fail:
            raise NotFound("a plugin error passes through unchanged")


def test_transactions_roll_back_and_errors_become_sdk_errors(tmp_path: Path) -> None:
    state = SQLiteStateFile(tmp_path / "s.sqlite3", label="test state file")
    state.open(SCHEMA, 1, fill)
    with pytest.raises(NotFound, match="passes through"):
        insert(state, "second", then_fail=True)
    assert names(state) == ["first"]
    with pytest.raises(Conflict, match="test state file rejected the change"):
        insert(state, "first")
    with pytest.raises(BackendUnavailable, match=r"test state file .*no such table"):
        names(SQLiteStateFile(tmp_path / "empty.sqlite3", label="test state file"))  # never opened
    insert(state, "second")
    assert names(state) == ["first", "second"]


def test_state_file_location() -> None:
    data_dir = Path(settings.DATA_DIR)
    assert state_file_location("", "mock-x.sqlite3") == data_dir / "mock-x.sqlite3"
    assert state_file_location("a/b.sqlite3", "unused") == data_dir / "a" / "b.sqlite3"
    assert state_file_location("/tmp/abs.sqlite3", "unused") == Path("/tmp/abs.sqlite3")

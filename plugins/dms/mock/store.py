"""The simulated deployment engine's state: one SQLite file shared by every process that opens it.

netweave's web process accepts a deployment and a Celery worker (another process) carries it out, so the
simulated engine keeps nothing in Python memory: every read is a query and every write a committed
transaction on the state file (WAL journal), and every plugin object on the same file sees one engine.

Tables: `packages` (uploaded charts, with their bytes), `releases` (one row per deployment: its current
revision and phase), `revisions` (every revision a release went through: package, values, status) and
`events` (what the engine did, served as the deployment's logs).

Simulated progress: an operation puts the release in a transitional phase (pending-install, pending-upgrade,
pending-rollback, uninstalling) with a `due` time `progress_seconds` ahead. Any read first settles the phases
that are due: pending-* becomes deployed (the previously deployed revision becomes superseded) and an
uninstalled release disappears. The transition therefore happens at the same moment for every process.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plugins.sdk.dms import TRANSITIONAL_PHASES, DeploymentPhase
from plugins.sdk.errors import BackendUnavailable, Conflict, InvalidRequest, NotFound
from plugins.sqlite_state import SQLiteStateFile

SCHEMA_VERSION = 1

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS packages (
        native_id TEXT PRIMARY KEY, name TEXT NOT NULL, version TEXT NOT NULL, package_type TEXT NOT NULL,
        description TEXT NOT NULL, app_version TEXT NOT NULL, default_values TEXT NOT NULL,
        repository_url TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, content BLOB,
        created REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS releases (
        native_id TEXT PRIMARY KEY, name TEXT NOT NULL, namespace TEXT NOT NULL,
        revision INTEGER NOT NULL, phase TEXT NOT NULL, due REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS revisions (
        release_id TEXT NOT NULL, revision INTEGER NOT NULL,
        package_id TEXT NOT NULL REFERENCES packages (native_id), values_json TEXT NOT NULL,
        status TEXT NOT NULL, description TEXT NOT NULL, updated REAL NOT NULL,
        PRIMARY KEY (release_id, revision))""",
    """CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, release_id TEXT NOT NULL, at REAL NOT NULL, message TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS events_release ON events (release_id, seq)",
)

_SETTLED = {
    DeploymentPhase.PENDING_INSTALL: "Install complete",
    DeploymentPhase.PENDING_UPGRADE: "Upgrade complete",
    DeploymentPhase.PENDING_ROLLBACK: "Rollback complete",
}


@dataclass(frozen=True)
class PackageRow:
    native_id: str
    name: str
    version: str
    package_type: str
    description: str
    app_version: str
    default_values: dict[str, Any]
    repository_url: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ReleaseRow:
    native_id: str
    name: str
    namespace: str
    revision: int
    phase: str
    package_id: str
    values: dict[str, Any]


@dataclass(frozen=True)
class RevisionRow:
    revision: int
    status: str
    package_id: str
    values: dict[str, Any]
    description: str
    updated: float


class MockDMSStore:
    """The simulated engine's tables and queries on its state file (plugins.sqlite_state: one connection per
    process behind a lock, SQLite's locking between processes)."""

    def __init__(
        self, path: Path | str, *, progress_seconds: float = 2.0, clock: Callable[[], float] = time.time
    ) -> None:
        self._file = SQLiteStateFile(path, label="mock DMS state file")
        self.path = self._file.path
        self.progress_seconds = progress_seconds
        self.clock = clock

    # ------------------------------------------------------------------------------------------ plumbing

    def open(self) -> None:
        """Create the tables of a new file; refuse a file another schema version wrote."""
        self._file.open(_SCHEMA, SCHEMA_VERSION)

    def close(self) -> None:
        self._file.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; phases that are due are settled first, in the same transaction."""
        with self._file.transaction() as conn:
            self._settle(conn)
            yield conn

    def _settle(self, conn: sqlite3.Connection) -> None:
        now = self.clock()
        due = conn.execute(
            "SELECT native_id, revision, phase FROM releases WHERE due <= ? AND phase IN (?, ?, ?, ?)",
            (now, *sorted(TRANSITIONAL_PHASES)),
        ).fetchall()
        for row in due:
            release_id, revision, phase = row["native_id"], row["revision"], row["phase"]
            if phase == DeploymentPhase.UNINSTALLING:
                conn.execute("DELETE FROM revisions WHERE release_id = ?", (release_id,))
                conn.execute("DELETE FROM releases WHERE native_id = ?", (release_id,))
                self._event(conn, release_id, "Uninstall complete")
                continue
            conn.execute(
                "UPDATE revisions SET status = ? WHERE release_id = ? AND status = ? AND revision <> ?",
                (DeploymentPhase.SUPERSEDED, release_id, DeploymentPhase.DEPLOYED, revision),
            )
            conn.execute(
                "UPDATE revisions SET status = ?, updated = ? WHERE release_id = ? AND revision = ?",
                (DeploymentPhase.DEPLOYED, now, release_id, revision),
            )
            conn.execute("UPDATE releases SET phase = ? WHERE native_id = ?", (DeploymentPhase.DEPLOYED, release_id))
            self._event(conn, release_id, f"{_SETTLED[DeploymentPhase(phase)]}: revision {revision} deployed")

    def _event(self, conn: sqlite3.Connection, release_id: str, message: str) -> None:
        conn.execute(
            "INSERT INTO events (release_id, at, message) VALUES (?, ?, ?)", (release_id, self.clock(), message)
        )

    # ------------------------------------------------------------------------------------------ packages

    def add_package(self, package: PackageRow, content: bytes) -> PackageRow:
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM packages WHERE native_id = ?", (package.native_id,)).fetchone():
                raise Conflict(f"Package {package.name} {package.version} is already stored.", field="chart")
            conn.execute(
                "INSERT INTO packages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    package.native_id,
                    package.name,
                    package.version,
                    package.package_type,
                    package.description,
                    package.app_version,
                    json.dumps(package.default_values),
                    package.repository_url,
                    package.sha256,
                    package.size,
                    content or None,
                    self.clock(),
                ),
            )
        return package

    def list_packages(self) -> list[PackageRow]:
        with self._write() as conn:
            return [_package(row) for row in conn.execute("SELECT * FROM packages ORDER BY native_id")]

    def get_package(self, native_id: str) -> PackageRow:
        with self._write() as conn:
            return _package(self._package_row(conn, native_id))

    @staticmethod
    def _package_row(conn: sqlite3.Connection, native_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM packages WHERE native_id = ?", (native_id,)).fetchone()
        if row is None:
            raise NotFound(f"No package '{native_id}'.")
        return row

    def delete_package(self, native_id: str) -> None:
        with self._write() as conn:
            self._package_row(conn, native_id)
            used = conn.execute(
                "SELECT DISTINCT release_id FROM revisions WHERE package_id = ? ORDER BY 1", (native_id,)
            ).fetchall()
            if used:
                names = ", ".join(row[0] for row in used)
                raise Conflict(f"Package '{native_id}' is used by deployments: {names}.")
            conn.execute("DELETE FROM packages WHERE native_id = ?", (native_id,))

    # ------------------------------------------------------------------------------------------ releases

    def install(self, native_id: str, name: str, namespace: str, package_id: str, values: Mapping[str, Any]) -> None:
        with self._write() as conn:
            self._package_row(conn, package_id)
            if conn.execute("SELECT 1 FROM releases WHERE native_id = ?", (native_id,)).fetchone():
                raise Conflict(f"A deployment named '{name}' already exists in namespace '{namespace}'.", field="name")
            conn.execute(
                "INSERT INTO releases VALUES (?, ?, ?, 1, ?, ?)",
                (native_id, name, namespace, DeploymentPhase.PENDING_INSTALL, self._due()),
            )
            self._add_revision(conn, native_id, 1, package_id, values, "Install started")

    def upgrade(self, native_id: str, package_id: str | None, values: Mapping[str, Any], *, description: str) -> int:
        with self._write() as conn:
            release = self._release_row(conn, native_id)
            self._refuse_if_busy(release)
            current = self._revision_row(conn, native_id, release["revision"])
            target_package = package_id or current["package_id"]
            self._package_row(conn, target_package)
            revision = int(release["revision"]) + 1
            self._add_revision(conn, native_id, revision, target_package, values, description)
            conn.execute(
                "UPDATE releases SET revision = ?, phase = ?, due = ? WHERE native_id = ?",
                (revision, DeploymentPhase.PENDING_UPGRADE, self._due(), native_id),
            )
            return revision

    def rollback(self, native_id: str, target: int) -> int:
        with self._write() as conn:
            release = self._release_row(conn, native_id)
            self._refuse_if_busy(release)
            old = conn.execute(
                "SELECT * FROM revisions WHERE release_id = ? AND revision = ?", (native_id, target)
            ).fetchone()
            if old is None:
                raise InvalidRequest(f"Deployment '{native_id}' has no revision {target}.", field="revision")
            revision = int(release["revision"]) + 1
            self._add_revision(
                conn, native_id, revision, old["package_id"], json.loads(old["values_json"]), f"Rollback to {target}"
            )
            conn.execute(
                "UPDATE releases SET revision = ?, phase = ?, due = ? WHERE native_id = ?",
                (revision, DeploymentPhase.PENDING_ROLLBACK, self._due(), native_id),
            )
            return revision

    def uninstall(self, native_id: str) -> None:
        with self._write() as conn:
            release = self._release_row(conn, native_id)
            if release["phase"] == DeploymentPhase.UNINSTALLING:
                return
            conn.execute(
                "UPDATE releases SET phase = ?, due = ? WHERE native_id = ?",
                (DeploymentPhase.UNINSTALLING, self._due(), native_id),
            )
            self._event(conn, native_id, "Uninstall started")

    def list_releases(self) -> list[ReleaseRow]:
        with self._write() as conn:
            ids = [row[0] for row in conn.execute("SELECT native_id FROM releases ORDER BY native_id")]
            return [self._release(conn, native_id) for native_id in ids]

    def get_release(self, native_id: str) -> ReleaseRow:
        with self._write() as conn:
            return self._release(conn, native_id)

    def history(self, native_id: str) -> list[RevisionRow]:
        with self._write() as conn:
            self._release_row(conn, native_id)
            rows = conn.execute(
                "SELECT * FROM revisions WHERE release_id = ? ORDER BY revision", (native_id,)
            ).fetchall()
            return [
                RevisionRow(
                    revision=row["revision"],
                    status=row["status"],
                    package_id=row["package_id"],
                    values=json.loads(row["values_json"]),
                    description=row["description"],
                    updated=row["updated"],
                )
                for row in rows
            ]

    def events(self, native_id: str, tail: int, since_seconds: int | None = None) -> list[tuple[float, str]]:
        """The release's last `tail` events, only those of the last `since_seconds` seconds when given."""
        since = time.time() - since_seconds if since_seconds is not None else float("-inf")
        with self._write() as conn:
            self._release_row(conn, native_id)
            rows = conn.execute(
                "SELECT at, message FROM events WHERE release_id = ? AND at >= ? ORDER BY seq DESC LIMIT ?",
                (native_id, since, tail),
            ).fetchall()
            return [(row["at"], row["message"]) for row in reversed(rows)]

    def counts(self) -> dict[str, int]:
        with self._write() as conn:
            return {
                "packages": int(conn.execute("SELECT count(*) FROM packages").fetchone()[0]),
                "releases": int(conn.execute("SELECT count(*) FROM releases").fetchone()[0]),
            }

    # ------------------------------------------------------------------------------------------ helpers

    def _due(self) -> float:
        return self.clock() + self.progress_seconds

    def _add_revision(
        self,
        conn: sqlite3.Connection,
        release_id: str,
        revision: int,
        package_id: str,
        values: Mapping[str, Any],
        description: str,
    ) -> None:
        conn.execute(
            "INSERT INTO revisions VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                release_id,
                revision,
                package_id,
                json.dumps(dict(values)),
                DeploymentPhase.PENDING_INSTALL if revision == 1 else DeploymentPhase.PENDING_UPGRADE,
                description,
                self.clock(),
            ),
        )
        self._event(conn, release_id, f"{description}: revision {revision} of package {package_id}")

    @staticmethod
    def _release_row(conn: sqlite3.Connection, native_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM releases WHERE native_id = ?", (native_id,)).fetchone()
        if row is None:
            raise NotFound(f"No deployment '{native_id}'.")
        return row

    @staticmethod
    def _revision_row(conn: sqlite3.Connection, native_id: str, revision: int) -> sqlite3.Row:
        row = conn.execute(
            "SELECT * FROM revisions WHERE release_id = ? AND revision = ?", (native_id, revision)
        ).fetchone()
        if row is None:
            raise BackendUnavailable(f"mock DMS state file lost revision {revision} of '{native_id}'")
        return row

    @staticmethod
    def _refuse_if_busy(release: sqlite3.Row) -> None:
        if release["phase"] in TRANSITIONAL_PHASES:
            raise Conflict(
                f"Deployment '{release['native_id']}' is busy ({release['phase']}); try again when it settles."
            )

    def _release(self, conn: sqlite3.Connection, native_id: str) -> ReleaseRow:
        release = self._release_row(conn, native_id)
        current = self._revision_row(conn, native_id, release["revision"])
        return ReleaseRow(
            native_id=release["native_id"],
            name=release["name"],
            namespace=release["namespace"],
            revision=release["revision"],
            phase=release["phase"],
            package_id=current["package_id"],
            values=json.loads(current["values_json"]),
        )


def _package(row: sqlite3.Row) -> PackageRow:
    return PackageRow(
        native_id=row["native_id"],
        name=row["name"],
        version=row["version"],
        package_type=row["package_type"],
        description=row["description"],
        app_version=row["app_version"],
        default_values=json.loads(row["default_values"]),
        repository_url=row["repository_url"],
        sha256=row["sha256"],
        size=row["size"],
    )

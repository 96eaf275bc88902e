#!/usr/bin/env python3
"""The test stages behind `make test`, `make test-unit`, `make test-backends` and `make test-browser`.

    scripts/stages.py all                  lint, unit (SQLite, PostgreSQL), backends, browser, faults; the table
    scripts/stages.py unit                 the unit stage on SQLite and on PostgreSQL, both at once (no backend)
    scripts/stages.py backends             each backend stage marker's tests (PLUGIN=name: `-m name` only)
    scripts/stages.py lint|unit-sqlite|unit-postgres|browser|faults
    scripts/stages.py STAGE... -- ARGS     ARGS are given to every pytest run

Every stage prints one summary line (`== <stage>: N passed, N failed, N skipped in S s`); with more than one
stage a table closes the run (stage, passed, failed, skipped, seconds). Every stage runs even after one failed,
so the table is complete; the exit status is non-zero if any stage failed. "No tests collected" (pytest's exit
status 5, e.g. tests/faults before it has any test) is not a failure.

`all` starts `scripts/backends.py install` in the background first, so the Go builds of a fresh machine overlap
lint and the unit stage; the backends stage waits for it (a line every 10 s while it waits) and its own row
says how many backends were built (none on a warm machine). A backend that cannot be built or started fails
its stage with the backend's log tail; nothing is skipped silently.

`all` runs lint (mypy: one core) beside the one collection of the backend and browser tests; then the unit
stage, with the fault stage (nice 10; on a fresh machine, not niced) and the browser stage beside it; then the
backend sessions, the OpenStack and Kafka sessions in a second lane beside the others (docs/testing.md,
"Parallelism").

The database: the unit stage runs the same tests on SQLite and on a throw-away PostgreSQL (minus the tests
marked `sqlite_only`, which say why); the backend stages run once, on PostgreSQL (the production database, and
what the worker-process fault tests need). The PostgreSQL server listens on a free port (several runs at once).

The backend stage first collects the backend and browser tests once (tests/stage_map.py) and gives each session
only the files holding its tests, without the pytest plugins none of those files use; the OpenStack session
(mostly waiting on Nova) and then the Kafka one (BESIDE) run beside the others, on a second PostgreSQL server,
each one's output printed when it ends. Python may cache compiled modules (__pycache__) in every stage, even
where PYTHONDONTWRITEBYTECODE is set.

Environment: PLUGIN (backends: one marker), CI (true: harnesses fail instead of skipping). One pytest process per
stage: pytest-xdist was measured and left out (docs/benchmarks.md, "Test suite").
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parent.parent
PYTHON = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv" / "bin" / "python").exists() else sys.executable
BIN = Path(PYTHON).parent
UNIT = "not backend and not browser and not faults"
WAIT_PROGRESS_SECONDS = 10.0
BACKENDS_SCRIPT = [sys.executable, "scripts/backends.py"]  # the backend cache (standard library only: any Python)
# pytest plugins that only some test modules use (module name mentioned -> plugin entry point): a backend or
# browser session whose files and conftests never mention one starts without it (about 0.8 s of CPU each).
OPTIONAL_PLUGINS = {"hypothesis": "hypothesispytest", "schemathesis": "schemathesis"}


@dataclass
class Result:
    stage: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    ok: bool = True
    note: str = ""

    def line(self) -> str:
        state = "ok" if self.ok else "FAILED"
        note = f"; {self.note}" if self.note else ""
        return (
            f"== {self.stage}: {self.passed} passed, {self.failed} failed, {self.skipped} skipped "
            f"in {self.seconds:.0f} s ({state}{note})"
        )


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def backend_markers() -> list[str]:
    """The backend stage markers, in the order pyproject.toml lists them (descriptions starting "backend:")."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    names = []
    for line in config["tool"]["pytest"]["ini_options"]["markers"]:
        name, _, description = line.partition(":")
        if description.strip().startswith("backend:"):
            names.append(name.split("(")[0].strip())
    return names


class Postgres:
    """A throw-away PostgreSQL server (scripts/postgres.sh) on a free port, started on first use. `env` names it
    to a session: DATABASE_URL, and NETWEAVE_PG_PORT/NETWEAVE_PG_DIR for the tests that restart it."""

    def __init__(self, base_env: dict[str, str]) -> None:
        self.base_env = base_env
        self.env: dict[str, str] = {}

    def start(self) -> dict[str, str]:
        if not self.env:
            port = str(free_port())
            # outside the private work directory: the server runs as the `postgres` user
            server = {"NETWEAVE_PG_PORT": port, "NETWEAVE_PG_DIR": tempfile.mkdtemp(prefix=f"netweave-pg-{port}-")}
            done = subprocess.run(
                ["bash", "scripts/postgres.sh", "start"],
                cwd=REPO, env={**self.base_env, **server}, capture_output=True, text=True, check=False,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
            if done.returncode != 0:
                shutil.rmtree(server["NETWEAVE_PG_DIR"], ignore_errors=True)
                raise StageError(f"PostgreSQL could not start:\n{done.stderr[-3000:]}")
            self.env = {**server, "DATABASE_URL": done.stdout.strip().splitlines()[-1]}
        return self.env

    def stop(self) -> None:
        if self.env:
            subprocess.run(
                ["bash", "scripts/postgres.sh", "stop"], cwd=REPO, env={**self.base_env, **self.env}, check=False
            )
            shutil.rmtree(self.env["NETWEAVE_PG_DIR"], ignore_errors=True)
            self.env = {}


class Run:
    """One invocation: the shared environment, the PostgreSQL servers (each started on first use), the
    background backend builds, and the results."""

    def __init__(self, pytest_args: Sequence[str]) -> None:
        self.pytest_args = list(pytest_args)
        self.workdir = Path(tempfile.mkdtemp(prefix="netweave-stages-"))
        self.env = {**os.environ}
        self.env.setdefault("NETWEAVE_DATA_DIR", str(self.workdir / "data"))
        # Compiled modules are cached (__pycache__, ignored by git) even where the machine sets
        # PYTHONDONTWRITEBYTECODE: otherwise every pytest session rewrites its test modules again and every process
        # a test starts (manage.py, Celery, gunicorn) compiles the project again (docs/benchmarks.md, "Test suite").
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        # "main" for the stages run one after the other; "beside" for a backend session run beside them (the
        # Redis stage restarts its server, and two sessions would share one test database name)
        self.servers = {name: Postgres(self.env) for name in ("main", "beside")}
        self.builds: subprocess.Popen[str] | None = None
        self.builds_started = self.builds_finished = 0.0
        self.builds_log = self.workdir / "backend-builds.log"
        self.results: list[Result] = []
        self.sessions: list[subprocess.Popen[bytes]] = []
        self.stage_map: dict[str, list[list[str]]] | None = None
        self.stage_map_tried = False

    def postgres(self, server: str = "main") -> dict[str, str]:
        return self.servers[server].start()

    def stop_postgres(self) -> None:
        for server in self.servers.values():
            server.stop()

    # --- the background builds --------------------------------------------------------------------------------

    def start_builds(self, marker: str | None = None) -> None:
        """`scripts/backends.py install` in the background; its lines are relayed (progress every 10 s)."""
        args = ["install", *(["--for", marker] if marker else [])]
        self.builds_started = time.monotonic()
        self.builds = builds = self._backends_script(args)
        say(f"== backend builds started in the background: {' '.join(BACKENDS_SCRIPT[1:] + args)}")

        def keep() -> None:
            with self.builds_log.open("w", buffering=1) as log:  # line-buffered: each line is readable at once
                relay(builds, log.write)
            self.builds_finished = time.monotonic()

        self.relay = threading.Thread(target=keep, daemon=True)
        self.relay.start()

    def _backends_script(self, args: Sequence[str]) -> subprocess.Popen[str]:
        """scripts/backends.py with `args`, its output (progress lines every 10 s) read through a pipe."""
        return subprocess.Popen(
            [*BACKENDS_SCRIPT, *args], cwd=REPO, env=self.env, text=True, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    def wait_builds(self) -> Result:
        assert self.builds is not None
        started = time.monotonic()
        while self.builds.poll() is None:
            time.sleep(0.5)
            if time.monotonic() - started >= WAIT_PROGRESS_SECONDS:
                started = time.monotonic()
                last = self._build_lines()[-1:] or ["(no output yet)"]
                say(f"== waiting for the backend builds: {last[0].strip()}")
        self.relay.join(timeout=10)
        lines = self._build_lines()
        built = sum(1 for line in lines if re.search(r" ready in \d", line))
        ready = sum(int(m.group(1)) for line in lines if (m := re.search(r"(\d+) backend\(s\) ready", line)))
        failed = sum(len(line.split(":", 2)[2].split(",")) for line in lines if "could not install:" in line)
        result = Result(
            "backend builds",
            passed=ready,
            failed=failed or (0 if self.builds.returncode == 0 else 1),
            seconds=(self.builds_finished or time.monotonic()) - self.builds_started,
            ok=self.builds.returncode == 0,
            note=f"{built} built" + (", overlapped with the stages before" if self.results else ""),
        )
        if not result.ok:
            say("== backend builds FAILED; last lines:\n" + "".join(lines[-40:]))
        return result

    def next_session(self, lane: Sequence[str]) -> str:
        """The next backend session of the lane: the first whose backends are all in the cache, in pyproject.toml's
        order; while the background builds run (a fresh machine), a session waits for none of them that it does
        not need, and when none is ready, the one missing the fewest goes next. Warm, that is the first."""
        states = self.building()
        if not states:
            return lane[0]
        missing = {marker: sum(marker in b["used_by"] and b["state"] != "ok" for b in states) for marker in lane}
        return min(lane, key=lambda marker: missing[marker])  # min keeps the first of equals

    def building(self) -> list[dict[str, Any]]:
        """While the background builds run, every backend's state (`scripts/backends.py list --json`); else, or
        if the list cannot be read, nothing."""
        if self.builds is None or self.builds.poll() is not None:
            return []
        done = subprocess.run(
            [*BACKENDS_SCRIPT, "list", "--json"], cwd=REPO, env=self.env, capture_output=True,
            text=True, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            return list(json.loads(done.stdout))
        except ValueError:
            return []

    def backends_missing(self) -> bool:
        """Whether the background builds still have a backend to build (a fresh machine)."""
        return any(backend["state"] != "ok" for backend in self.building())

    def install_backends_for(self, marker: str) -> bool:
        """`scripts/backends.py install --for MARKER` before the marker's session: on a fresh machine it waits for
        the background builds of those backends, or builds one they have not reached yet (each entry has its lock).
        If that fails, the session's row fails with the script's last lines and the session is not started."""
        args = ["install", "--for", marker]
        started = time.monotonic()
        installing = self._backends_script(args)
        last: collections.deque[str] = collections.deque(maxlen=40)
        relay(installing, last.append)
        if installing.wait() == 0:
            return True
        script = " ".join(BACKENDS_SCRIPT[1:] + args)
        note = f"its backends could not be installed: {script} exited {installing.returncode}"
        say(f"== backend: {marker}: {note}; last lines:\n" + "".join(last))
        self.record(Result(f"backend: {marker}", failed=1, ok=False, seconds=time.monotonic() - started, note=note))
        return False

    def _build_lines(self) -> list[str]:
        try:
            return self.builds_log.read_text(errors="replace").splitlines(keepends=True)
        except OSError:
            return []

    # --- which files a session collects -----------------------------------------------------------------------

    def collect_stage_map(self) -> None:
        self.finish_stage_map(self.start_stage_map())

    def start_stage_map(self) -> subprocess.Popen[bytes]:
        """One collection of the backend and browser tests (tests/stage_map.py): for each file, the marker sets of
        its tests. Each of those sessions then collects only its own files: collecting the whole suite costs
        about 20 s of CPU, one file about 7 s, and there are ten such sessions. If this collection fails, every
        session collects everything (and reports the error itself). Started in the background (`all`: beside
        lint), finished by finish_stage_map."""
        say("\n== which files hold the backend and browser tests (one collection for all their sessions)")
        self.stage_map_tried = True
        target, output = self.workdir / "stage-map.json", self.workdir / "stage-map.out"
        argv = [PYTHON, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "tests.stage_map", "--collect-only"]
        argv += ["-m", "backend or browser", *self.pytest_args]
        with output.open("w") as out:
            return subprocess.Popen(
                argv, cwd=REPO, env={**self.env, "NETWEAVE_STAGE_MAP": str(target)}, stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def finish_stage_map(self, collecting: subprocess.Popen[bytes]) -> None:
        target, output = self.workdir / "stage-map.json", self.workdir / "stage-map.out"
        code = collecting.wait()
        try:
            self.stage_map = json.loads(target.read_text()) if code in (0, 5) else None
        except (OSError, ValueError):
            self.stage_map = None
        if self.stage_map is None:
            tail = output.read_text(errors="replace")[-3000:]
            say(f"== that collection failed (exit status {code}): every session collects the whole suite\n{tail}")

    def files(self, wanted: Callable[[set[str]], bool]) -> list[str] | None:
        """The files holding a test whose markers satisfy `wanted`; None (collect the whole suite) without a stage
        map, or when one is outside tests/: only there does tests/conftest.py, which adds the stage markers,
        apply to a session given just that file."""
        if self.stage_map is None:
            return None
        files = [path for path, sets in self.stage_map.items() if any(wanted(set(names)) for names in sets)]
        return files if all(path.startswith("tests/") for path in files) else None

    # --- running a stage ----------------------------------------------------------------------------------------

    def record(self, result: Result) -> Result:
        self.results.append(result)
        say(result.line())
        return result

    def pytest(
        self, stage: str, expression: str, *paths: str, postgres: str | None = None, extra: Sequence[str] = ()
    ) -> Result:
        return self.finish(self.start_pytest(stage, expression, *paths, postgres=postgres, extra=extra))

    def start_pytest(
        self, stage: str, expression: str, *paths: str, postgres: str | None = None, extra: Sequence[str] = (),
        quiet: bool = False,
    ) -> Pending | Result:  # fmt: skip
        """Start one pytest session, on the PostgreSQL server named by `postgres` ("main", "beside") or on
        SQLite; with `quiet` its output goes to a file, printed when it ends (a session running alongside
        another one)."""
        say(f"\n== {stage}: pytest -m '{expression}' {' '.join(paths)}".rstrip() + (" (output at its end)" * quiet))
        started = time.monotonic()
        slug = re.sub(r"[^A-Za-z0-9]+", "-", stage).strip("-")
        database: dict[str, str] = {}
        if postgres:
            try:
                database = self.postgres(postgres)
            except StageError as exc:
                return self.record(Result(stage, failed=1, ok=False, note=str(exc)))
        env = {**self.env, **database, "NETWEAVE_DATA_DIR": str(self.workdir / f"data-{slug}")}
        junit = self.workdir / f"{slug}.xml"
        argv = [PYTHON, "-m", "pytest", "-q", "-p", "no:randomly", *unused_plugins(paths), "-m", expression]
        argv += [*extra, *paths, *self.pytest_args, f"--junitxml={junit}"]
        output = (self.workdir / f"{slug}.out").open("w+") if quiet else None
        process = subprocess.Popen(
            argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=output and subprocess.STDOUT
        )
        self.sessions.append(process)
        return Pending(stage, process, junit, started, output)

    def finish(self, pending: Pending | Result) -> Result:
        if isinstance(pending, Result):
            return pending
        code = pending.process.wait()
        if pending.output is not None:
            pending.output.seek(0)
            say(f"\n== {pending.stage}: its output")
            sys.stderr.write(pending.output.read())
            pending.output.close()
        result = junit_result(pending.stage, pending.junit)
        result.seconds = (pending.ended or time.monotonic()) - pending.started
        finished_none = result.passed + result.failed + result.skipped == 0
        if code == 5 and not pending.make:
            result.note = "no tests collected"
        elif code != 0:
            result.ok = False
            result.failed = max(result.failed, 1)
            result.note = f"{'make' if pending.make else 'pytest'} exit status {code}"
            if pending.make and finished_none:  # make's status is 2 for a timeout, a crash or an empty suite alike
                result.note += ": no test finished (timed out, or none collected)"
        return self.record(result)


def relay(process: subprocess.Popen[str], *sinks: Callable[[str], object]) -> None:
    """Copy a child's output to stderr line by line as it comes, and hand each line to `sinks`."""
    assert process.stdout is not None
    for line in process.stdout:
        for sink in sinks:
            sink(line)
        sys.stderr.write(line)
        sys.stderr.flush()


@dataclass
class Pending:
    """A session started and not yet waited for. Its row's seconds end when its process ends, not when the run
    gets round to it: a session beside the lane is waited for only after the lane."""

    stage: str
    process: subprocess.Popen[bytes]
    junit: Path
    started: float
    output: IO[str] | None
    make: bool = False  # `make TARGET` running pytest (exit status 2 for any failure, no test a failure too)
    ended: float = 0.0

    def __post_init__(self) -> None:
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        self.process.wait()
        self.ended = time.monotonic()


class StageError(Exception):
    pass


def junit_result(stage: str, path: Path) -> Result:
    result = Result(stage)
    with contextlib.suppress(OSError, ET.ParseError):
        for suite in ET.parse(path).getroot().iter("testsuite"):  # noqa: S314 - pytest's own report, just written
            tests, skipped = int(suite.get("tests", 0)), int(suite.get("skipped", 0))
            failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            result.passed += tests - skipped - failed
            result.failed += failed
            result.skipped += skipped
    return result


def unused_plugins(paths: Sequence[str]) -> list[str]:
    """`-p no:PLUGIN` for each optional pytest plugin (OPTIONAL_PLUGINS) that neither the test files of a session
    given its files nor the conftest.py files above them mention; nothing for a session collecting everything."""
    files = [REPO / path for path in paths]
    if not files or not all(path.is_file() and path.is_relative_to(REPO / "tests") for path in files):
        return []
    conftests = {parent / "conftest.py" for path in files for parent in path.parents if parent.is_relative_to(REPO)}
    text = "".join(path.read_text(errors="replace") for path in [*files, *sorted(conftests)] if path.is_file())
    return [
        option for name, plugin in OPTIONAL_PLUGINS.items() if name not in text for option in ("-p", f"no:{plugin}")
    ]


# --- the stages -----------------------------------------------------------------------------------------------


def mypy_cache() -> Path:
    """mypy's incremental cache, in the machine-level netweave cache beside the test backends (scripts/backends.py:
    ${NETWEAVE_CACHE:-~/.cache/netweave}) rather than in the checkout: a fresh clone then checks only what changed
    (about a minute of one core otherwise, most of it Django's and DRF's stubs). mypy validates each cached module
    by its source's hash, whatever the path of the checkout (docs/decisions/0022-mypy-cache-outside-the-checkout.md)."""
    return Path(os.environ.get("NETWEAVE_CACHE") or Path.home() / ".cache" / "netweave") / "mypy"


def lint(run: Run) -> None:
    say("\n== lint: ruff check, ruff format --check, mypy")
    started = time.monotonic()
    result = Result("lint")
    env = {"MYPY_CACHE_DIR": str(mypy_cache()), **run.env}
    for argv in (
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "ruff"), "format", "--check", "."],
        [str(BIN / "mypy"), "plugins", "netweave", "inventory", "deployments"],
    ):
        if subprocess.run(argv, cwd=REPO, env=env, check=False, stdin=subprocess.DEVNULL).returncode == 0:
            result.passed += 1
        else:
            result.failed += 1
            result.ok = False
    result.seconds = time.monotonic() - started
    run.record(result)


def unit(run: Run) -> None:
    """Both passes at once: pytest uses one core, the machine has two. SQLite's output is shown as it runs,
    PostgreSQL's when it ends."""
    postgres = run.start_pytest("unit (PostgreSQL)", f"{UNIT} and not sqlite_only", postgres="main", quiet=True)
    run.pytest("unit (SQLite)", UNIT)
    run.finish(postgres)


def unit_sqlite(run: Run) -> None:
    run.pytest("unit (SQLite)", UNIT)


def unit_postgres(run: Run) -> None:
    run.pytest("unit (PostgreSQL)", f"{UNIT} and not sqlite_only", postgres="main")


# The second lane: backend stages run one after the other beside the main lane (output at their end), on a
# PostgreSQL server of their own (the Redis stage restarts its lane's server, and two sessions on one server would
# share the test database name). OpenStack first: mostly waiting on Nova (boots, deletes, compute hosts
# reporting to placement), and it needs no backend build; then Kafka (about 50 s), which the main lane's
# sessions would otherwise wait for. Balanced by measurement: docs/benchmarks.md.
BESIDE = ("openstack", "kafka")


def backends(run: Run) -> None:
    """The backend sessions in two lanes: BESIDE's one after the other in a second lane, the others in the main
    one."""
    plugin = os.environ.get("PLUGIN", "").strip()
    if run.builds is None:
        run.start_builds(plugin or None)
    if plugin:
        run.record(run.wait_builds())
        run.pytest(f"backend: {plugin}", plugin, postgres="main")
        return
    markers = backend_markers()
    if not run.stage_map_tried:
        run.collect_stage_map()
    beside = [marker for marker in BESIDE if marker in markers]
    second = threading.Thread(target=lane, args=(run, beside, "beside"), daemon=True)
    second.start()
    lane(run, [marker for marker in markers if marker not in BESIDE], "main")
    run.record(run.wait_builds())
    # tests marked `backend` without a registered backend stage marker still run, in one more session
    others = run.files(lambda names: "backend" in names and not names & set(markers))
    if others != []:
        expression = f"backend and not ({' or '.join(markers)})"
        rest = run.pytest("backend: other", expression, *others or (), postgres="main")
        if rest.note == "no tests collected":
            run.results.remove(rest)
    second.join()


def lane(run: Run, markers: Sequence[str], server: str) -> None:
    """Backend sessions one after the other on the PostgreSQL server `server` ("main": output as it runs;
    "beside": at each session's end), the next one chosen by Run.next_session once its backends are in."""
    waiting = list(markers)
    while waiting:
        marker = run.next_session(waiting)
        waiting.remove(marker)
        try:
            if run.install_backends_for(marker):
                run.finish(backend_session(run, marker, server))
        except Exception as exc:  # a thread's failure must reach the table, not vanish
            run.record(Result(f"backend: {marker}", failed=1, ok=False, note=f"{type(exc).__name__}: {exc}"))


def backend_session(run: Run, marker: str, server: str) -> Pending | Result:
    """One backend stage marker's session, on the files holding its tests; the one beside the others quiet."""
    stage = f"backend: {marker}"
    files = run.files(lambda names: marker in names)
    if files == []:
        return run.record(Result(stage, note="no tests collected"))
    expression = f"backend and {marker}"
    return run.start_pytest(stage, expression, *files or (), postgres=server, quiet=server == "beside")


def browser(run: Run) -> None:
    run.finish(start_browser(run, quiet=False))


def start_browser(run: Run, quiet: bool) -> Pending | Result:
    """Chromium and its driver made sure of (scripts/chromium.sh), then the browser tests' session (on SQLite)."""
    say("\n== browser: bash scripts/chromium.sh ensure")
    started = time.monotonic()
    done = subprocess.run(
        ["bash", "scripts/chromium.sh", "ensure"], cwd=REPO, env=run.env, check=False, capture_output=quiet,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if done.returncode != 0:
        note = f"scripts/chromium.sh ensure exited {done.returncode}"
        return run.record(Result("browser", failed=1, ok=False, seconds=time.monotonic() - started, note=note))
    files = run.files(lambda names: "browser" in names)  # a stage map only when `all` or the backend stage made it
    if files == []:
        return run.record(Result("browser", note="no tests collected"))
    return run.start_pytest("browser", "browser", *files or (), quiet=quiet)


def faults(run: Run) -> None:
    run.finish(start_faults(run))


# Beside the unit stage the fault stage yields the CPU to it (`nice`), and its bounds stretch in proportion: it
# asserts no timing, only that everything finished (docs/testing.md, "Parallelism").
FAULTS_BESIDE_NICE = 10
FAULTS_BESIDE_ENV = {"FAULTS_TIMEOUT": "2700", "NETWEAVE_FAULTS_PATIENCE": "3"}


def start_faults(run: Run, beside: bool = False, nice: int = 0) -> Pending:
    """`make faults`: the fault suite owns its setup (its own PostgreSQL, Redis and processes) and its time bound;
    `beside` another stage: at `nice`, with FAULTS_BESIDE_ENV's bounds, its output printed when it ends."""
    say("\n== faults: make faults" + f" (nice {nice}, output at its end)" * beside)
    junit = run.workdir / "faults.xml"
    env = {**run.env, "PYTEST_ADDOPTS": f"{run.env.get('PYTEST_ADDOPTS', '')} --junitxml={junit}".strip()}
    if beside:
        env.update(FAULTS_BESIDE_ENV)
    output = (run.workdir / "faults.out").open("w+") if beside else None
    argv = [*(["nice", "-n", str(nice)] if nice else []), "make", "faults"]
    process = subprocess.Popen(
        argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=output and subprocess.STDOUT
    )
    run.sessions.append(process)
    return Pending("faults", process, junit, time.monotonic(), output, make=True)


def faults_nice(run: Run) -> int:
    """FAULTS_BESIDE_NICE on a warm machine. While backends are still to be built, 0: the Go builds keep both
    cores busy for most of the run, and a niced fault stage got almost no CPU until its time bound ran out."""
    return FAULTS_BESIDE_NICE if not run.backends_missing() else 0


def everything(run: Run) -> None:
    """`make test`: every stage (docs/testing.md, "Parallelism"). The backend builds start in the background; lint
    (mypy: one core) runs beside the one collection of the backend and browser tests; the unit stage (two
    sessions) with the fault stage (niced unless backends are still to build: faults_nice) and the browser stage
    beside it, in the CPU its sessions leave idle (about a third); then the backend sessions in two lanes."""
    run.start_builds()
    collecting = run.start_stage_map()
    lint(run)
    run.finish_stage_map(collecting)
    beside = [start_faults(run, beside=True, nice=faults_nice(run)), start_browser(run, quiet=True)]
    unit(run)
    backends(run)
    for started in beside:
        run.finish(started)


STAGES: dict[str, Callable[[Run], None]] = {
    "all": everything,
    "lint": lint,
    "unit": unit,
    "unit-sqlite": unit_sqlite,
    "unit-postgres": unit_postgres,
    "backends": backends,
    "browser": browser,
    "faults": faults,
}


def table(results: Sequence[Result]) -> str:
    rows = [("stage", "passed", "failed", "skipped", "seconds", "")]
    for r in results:
        rows.append((r.stage, str(r.passed), str(r.failed), str(r.skipped), f"{r.seconds:.0f}", r.note))
    width = max(len(row[0]) for row in rows)
    lines = [
        f"{row[0]:<{width}}  {row[1]:>7}  {row[2]:>7}  {row[3]:>7}  {row[4]:>7}  {row[5]}".rstrip() for row in rows
    ]
    rule = "-" * max(len(line) for line in lines)
    return "\n".join([rule, lines[0], rule, *lines[1:], rule])


@contextlib.contextmanager
def running(pytest_args: Sequence[str]) -> Iterator[Run]:
    run = Run(pytest_args)
    try:
        yield run
    finally:
        for process in [run.builds, *run.sessions]:  # interrupted: a session started beside another one
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait()
        run.stop_postgres()
        shutil.rmtree(run.workdir, ignore_errors=True)


def main(argv: Sequence[str]) -> int:
    args = list(argv)
    pytest_args: list[str] = []
    if "--" in args:
        pytest_args = args[args.index("--") + 1 :]
        args = args[: args.index("--")]
    names = args or ["all"]
    unknown = [name for name in names if name not in STAGES]
    if unknown or ("all" in names and len(names) > 1):
        say(f"unknown stage(s): {', '.join(unknown or names)}; known: {', '.join(STAGES)} (`all` alone)")
        return 2
    started = time.monotonic()
    with running(pytest_args) as run:
        if "backends" in names[1:]:
            run.start_builds()  # overlap the builds with the stages before
        for name in names:
            STAGES[name](run)
        results = run.results
    if len(results) > 1:
        print(f"\n{table(results)}\ntotal {time.monotonic() - started:.0f} s", flush=True)
    failed = [r.stage for r in results if not r.ok]
    if failed:
        print(f"FAILED stages: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

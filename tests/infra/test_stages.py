"""scripts/stages.py, the runner behind `make test`: the stage markers it reads, how it counts a pytest run, the
table, and a stage run for real on a tiny test file (no tests collected is not a failure; a failure is)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "stages.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("netweave_stages_script", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


stages = _load()


def test_the_backend_stage_markers_come_from_pyproject() -> None:
    markers = stages.backend_markers()
    assert {"kubernetes", "helm", "openstack", "prometheus", "redis"} <= set(markers)
    assert not {"backend", "browser", "faults", "sqlite_only"} & set(markers)


def test_a_junit_report_is_counted(tmp_path: Path) -> None:
    report = tmp_path / "r.xml"
    report.write_text(
        '<testsuites><testsuite name="pytest" tests="10" failures="2" errors="1" skipped="3"/></testsuites>'
    )
    result = stages.junit_result("unit", report)
    assert (result.passed, result.failed, result.skipped) == (4, 3, 3)
    assert stages.junit_result("unit", tmp_path / "absent.xml").passed == 0


def test_the_table_has_a_row_per_stage() -> None:
    results = [stages.Result("lint", 3, 0, 0, 33.2), stages.Result("unit (SQLite)", 808, 1, 2, 404.0, ok=False)]
    table = stages.table(results)
    assert "stage" in table
    assert "seconds" in table
    assert any(line.split()[:2] == ["lint", "3"] for line in table.splitlines())
    assert "808" in table
    assert results[1].line() == "== unit (SQLite): 808 passed, 1 failed, 2 skipped in 404 s (FAILED)"


def test_an_unknown_stage_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert stages.main(["nonsense"]) == 2
    assert "unknown stage" in capsys.readouterr().err


def test_a_pytest_stage_counts_passes_failures_and_no_tests(tmp_path: Path) -> None:
    tests = tmp_path / "test_tiny.py"
    tests.write_text(
        "import pytest\n"
        "def test_ok():\n    pass\n"
        "@pytest.mark.browser\ndef test_marked():\n    pass\n"
        "@pytest.mark.faults\ndef test_broken():\n    assert False\n"
    )
    with stages.running(["-p", "no:django", "--rootdir", str(tmp_path), "-c", "/dev/null", str(tests)]) as run:
        run.env["PYTEST_ADDOPTS"] = ""
        run.env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # the sessions need no plugin: about 4 s of CPU less each
        ok = run.pytest("tiny", "not browser and not faults")
        nothing = run.pytest("none", "backend")
        broken = run.pytest("broken", "faults")

    assert (ok.passed, ok.failed, ok.ok) == (1, 0, True)
    assert (nothing.passed, nothing.ok, nothing.note) == (0, True, "no tests collected")
    assert (broken.failed, broken.ok) == (1, False)


def test_a_session_beside_counts_its_own_seconds_not_the_wait_for_it(tmp_path: Path) -> None:
    tests = tmp_path / "test_tiny.py"
    tests.write_text("def test_ok():\n    pass\n")
    with stages.running(["-p", "no:django", "--rootdir", str(tmp_path), "-c", "/dev/null", str(tests)]) as run:
        run.env["PYTEST_ADDOPTS"] = ""
        run.env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        pending = run.start_pytest("beside", "not backend", quiet=True)
        assert isinstance(pending, stages.Pending)
        pending.process.wait()
        while not pending.ended:  # the watcher thread notes the end
            time.sleep(0.05)
        ended = pending.ended
        result = run.finish(pending)  # waited for only now, as after the lane
    assert result.passed == 1
    assert result.seconds == ended - pending.started


def test_a_postgres_session_sees_the_server_it_may_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Redis stage's tests restart the session's PostgreSQL through scripts/postgres.sh: the session's
    environment must name that server (NETWEAVE_PG_PORT), the one of its own lane ("main" or "beside")."""
    tests = tmp_path / "test_env.py"
    tests.write_text(
        "import os\n"
        "def test_env():\n"
        "    assert os.environ['NETWEAVE_PG_PORT'] == os.environ['EXPECTED_PORT']\n"
        "    assert os.environ['DATABASE_URL'] == 'postgres://db-' + os.environ['EXPECTED_PORT']\n"
    )
    ports = {"main": "1234", "beside": "5678"}
    with stages.running(["-p", "no:django", "--rootdir", str(tmp_path), "-c", "/dev/null", str(tests)]) as run:
        run.env["PYTEST_ADDOPTS"] = ""
        run.env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # the sessions need no plugin: about 4 s of CPU less each

        def start_postgres(server: str) -> dict[str, str]:
            return {"NETWEAVE_PG_PORT": ports[server], "DATABASE_URL": f"postgres://db-{ports[server]}"}

        monkeypatch.setattr(run, "postgres", start_postgres)
        run.env["EXPECTED_PORT"] = "5678"
        beside = run.start_pytest("beside", "not backend", postgres="beside", quiet=True)
        run.env["EXPECTED_PORT"] = "1234"
        main = run.pytest("main", "not backend", postgres="main")
        beside = run.finish(beside)
    assert (main.passed, main.ok) == (1, True)
    assert (beside.passed, beside.ok) == (1, True)


def test_a_session_gets_the_files_of_its_tests_from_the_stage_map() -> None:
    with stages.running([]) as run:
        assert run.files(lambda names: "kafka" in names) is None  # no map: the whole suite
        run.stage_map = {
            "tests/smo/test_onap_kafka.py": [["backend", "django_db", "kafka"]],
            "tests/deployments/test_helm_logs.py": [["backend", "kubernetes"], ["backend", "helm"]],
            "tests/browser/test_admin_browser.py": [["browser"]],
        }
        assert run.files(lambda names: "helm" in names) == ["tests/deployments/test_helm_logs.py"]
        assert run.files(lambda names: "vsphere" in names) == []  # no tests: no session
        run.stage_map["plugins/ims/x/tests/test_x.py"] = [["backend", "helm"]]
        # tests/conftest.py (the stage markers) would not apply to that file alone: the whole suite again
        assert run.files(lambda names: "helm" in names) is None


def test_a_session_starts_without_the_plugins_its_files_never_mention() -> None:
    """Hypothesis' and Schemathesis' pytest plugins cost about 0.8 s of CPU per session; the Kafka session's file
    and conftests use neither, the fuzz test uses both, and a session collecting everything keeps them."""
    assert stages.unused_plugins(["tests/smo/test_onap_kafka.py"]) == [
        "-p",
        "no:hypothesispytest",
        "-p",
        "no:schemathesis",
    ]
    assert stages.unused_plugins(["tests/fuzz/test_schemathesis.py"]) == []
    assert stages.unused_plugins(["tests/smo/test_onap_kafka.py", "tests/o2/test_filter_hypothesis.py"]) == [
        "-p",
        "no:schemathesis",
    ]
    assert stages.unused_plugins([]) == []
    assert stages.unused_plugins(["tests/faults"]) == []  # a folder: whatever it holds


def test_all_is_run_alone() -> None:
    assert stages.main(["all", "lint"]) == 2


def test_the_lane_takes_first_the_sessions_whose_backends_are_built(monkeypatch: pytest.MonkeyPatch) -> None:
    """While the background builds run (a fresh machine), the next backend session is the first whose backends are
    all in the cache, else the one missing the fewest; once the builds are over, pyproject.toml's order."""
    states = [
        {"name": "vcsim", "state": "ok", "used_by": ["vsphere"]},
        {"name": "kube-apiserver", "state": "missing", "used_by": ["kubernetes", "helm"]},
        {"name": "helm", "state": "missing", "used_by": ["helm"]},
    ]
    script = f"import json; print(json.dumps({states!r}))"
    monkeypatch.setattr(stages, "BACKENDS_SCRIPT", [sys.executable, "-c", script])
    with stages.running([]) as run:
        assert run.next_session(["kubernetes", "helm", "vsphere"]) == "kubernetes"  # no builds: the first
        run.builds = subprocess.Popen(["sleep", "30"])
        try:
            assert run.next_session(["kubernetes", "helm", "vsphere", "aws"]) == "vsphere"
            assert run.next_session(["kubernetes", "helm"]) == "kubernetes"  # both missing one: the first
            assert run.next_session(["helm", "kubernetes"]) == "kubernetes"  # helm misses two
        finally:
            run.builds.kill()
            run.builds.wait()
        assert run.next_session(["helm", "vsphere"]) == "helm"


def test_a_session_whose_backends_cannot_be_installed_fails_with_their_log(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    script = "import sys; print('backends: building vcsim: 10s'); print('go: module not found'); sys.exit(1)"
    monkeypatch.setattr(stages, "BACKENDS_SCRIPT", [sys.executable, "-c", script])
    with stages.running([]) as run:
        assert run.install_backends_for("vsphere") is False
        monkeypatch.setattr(stages, "BACKENDS_SCRIPT", [sys.executable, "-c", "print('1 backend(s) ready')"])
        assert run.install_backends_for("vsphere") is True
    [row] = run.results
    assert (row.stage, row.failed, row.ok) == ("backend: vsphere", 1, False)
    assert "could not be installed" in row.note
    assert "go: module not found" in capsys.readouterr().err


def test_a_make_stage_that_finished_no_test_fails(tmp_path: Path) -> None:
    """`make faults` killed by its time bound (or finding no test) exits 2 with an empty report: a failure, where
    it once read as "no tests collected" and passed (a cold run's fault stage, starved at nice 10 by the builds)."""
    report = tmp_path / "faults.xml"
    report.write_text(
        '<testsuites><testsuite name="pytest" tests="0" failures="0" errors="0" skipped="0"/></testsuites>'
    )
    with stages.running([]) as run:
        timed_out = stages.Pending(
            "faults", subprocess.Popen(["sh", "-c", "exit 2"]), report, time.monotonic(), None, make=True
        )
        result = run.finish(timed_out)
    assert (result.ok, result.failed) == (False, 1)
    assert result.note == "make exit status 2: no test finished (timed out, or none collected)"


def test_the_fault_stage_is_niced_only_when_nothing_is_left_to_build(monkeypatch: pytest.MonkeyPatch) -> None:
    with stages.running([]) as run:
        assert stages.faults_nice(run) == stages.FAULTS_BESIDE_NICE  # warm: the builds found everything in place
        states = [{"name": "kube-apiserver", "state": "missing", "used_by": ["kubernetes"]}]
        monkeypatch.setattr(run, "building", lambda: states)
        assert stages.faults_nice(run) == 0  # cold: niced, it would starve behind the Go builds
        states[0]["state"] = "ok"
        assert stages.faults_nice(run) == stages.FAULTS_BESIDE_NICE

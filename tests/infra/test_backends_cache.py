"""scripts/backends.py, the machine-level cache of built and downloaded test backends, exercised with a tiny fake
recipe (a shell script that reports a version) instead of the real Go builds: cold install, warm reuse, every kind
of broken entry rebuilt, a failed build reported with its log, progress lines, the lock, the command line."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "backends.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("netweave_backends_script", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module


backends = _load()

# The fake recipe writes `fake`, a program printing "fake <version>" for --version, and counts its builds.
RECIPE = """
import os, pathlib, sys, time
out, version, counter, delay = sys.argv[1:5]
time.sleep(float(delay))
if os.environ.get("FAKE_FAIL"):
    print("compiler says: no"); sys.exit(3)
binary = pathlib.Path(out) / "fake"
binary.write_text(f"#!/bin/sh\\necho fake {os.environ.get('FAKE_REPORTS', version)}\\n")
binary.chmod(0o755)
with open(counter, "a") as f: f.write("built\\n")
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NETWEAVE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("FAKE_FAIL", raising=False)
    monkeypatch.delenv("FAKE_REPORTS", raising=False)
    return tmp_path / "cache" / "backends"


def fake(tmp_path: Path, version: str = "v1.2.3", delay: float = 0.0, **fields: Any) -> Any:
    recipe = tmp_path / "recipe.py"
    recipe.write_text(RECIPE)
    step = backends.Step((sys.executable, str(recipe), "{out}", "{version}", str(tmp_path / "builds"), str(delay)))
    return backends.Backend(name="fake", version=backends.constant(version), files=("fake",), steps=(step,), **fields)


def builds(tmp_path: Path) -> int:
    counter = tmp_path / "builds"
    return len(counter.read_text().splitlines()) if counter.exists() else 0


def test_a_cold_install_builds_once_and_a_warm_one_builds_nothing(tmp_path: Path, cache: Path) -> None:
    backend = fake(tmp_path)
    assert backends.problem(backend) == "missing"

    entry = backends.install(backend)

    assert entry == cache / "fake-v1.2.3"
    assert backends.problem(backend) is None
    stamp = json.loads((entry / ".netweave-backend.json").read_text())
    assert (stamp["name"], stamp["version"], stamp["fingerprint"]) == ("fake", "v1.2.3", backend.fingerprint())
    assert backends.install(backend) == entry
    assert builds(tmp_path) == 1
    assert not (cache / ".fake-v1.2.3.building").exists()


def _no_stamp(entry: Path) -> None:
    (entry / ".netweave-backend.json").unlink()


def _no_binary(entry: Path) -> None:
    (entry / "fake").unlink()


def _not_executable(entry: Path) -> None:
    (entry / "fake").chmod(0o644)


def _wrong_version(entry: Path) -> None:
    (entry / "fake").write_text("#!/bin/sh\necho fake 0.0.1\n")


def _check_fails(entry: Path) -> None:
    (entry / "fake").write_text("#!/bin/sh\nexit 1\n")


def _other_recipe(entry: Path) -> None:
    stamp = entry / ".netweave-backend.json"
    stamp.write_text(json.dumps({**json.loads(stamp.read_text()), "fingerprint": "another"}))


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (_no_stamp, "no stamp"),
        (_no_binary, "fake is missing"),
        (_not_executable, "cannot run"),
        (_wrong_version, "does not report 1.2.3"),
        (_check_fails, "exited 1"),
        (_other_recipe, "built by another recipe"),
    ],
)
def test_a_broken_entry_is_detected_and_rebuilt(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str], damage: object, why: str
) -> None:
    backend = fake(tmp_path)
    entry = backends.install(backend)
    damage(entry)  # type: ignore[operator]

    assert why in (backends.problem(backend) or "")
    backends.install(backend)

    assert backends.problem(backend) is None
    assert builds(tmp_path) == 2
    assert "broken cache entry" in capsys.readouterr().err


def test_a_failed_build_leaves_no_entry_and_reports_the_log_tail(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_FAIL", "1")
    backend = fake(tmp_path)

    with pytest.raises(backends.BackendError, match=r"(?s)exited 3.*compiler says: no"):
        backends.install(backend)

    assert backends.problem(backend) == "missing"
    assert not (cache / ".fake-v1.2.3.building").exists()


def test_a_build_that_does_not_report_its_version_is_refused(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_REPORTS", "9.9.9")
    with pytest.raises(backends.BackendError, match="built but unusable"):
        backends.install(fake(tmp_path))
    assert not (cache / "fake-v1.2.3").exists()


def test_a_build_prints_a_progress_line_naming_what_is_building(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(backends, "PROGRESS_SECONDS", 0.1)
    backends.install(fake(tmp_path, delay=0.6))

    err = capsys.readouterr().err
    ticks = [line for line in err.splitlines() if line.startswith("backends: building fake v1.2.3: ")]
    assert len(ticks) >= 3, err
    assert "(log: " in ticks[0]


def test_two_sessions_at_once_build_once(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends, "PROGRESS_SECONDS", 0.1)
    backend = fake(tmp_path, delay=0.5)
    entries: list[Path] = []
    threads = [threading.Thread(target=lambda: entries.append(backends.install(backend))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert entries == [cache / "fake-v1.2.3"] * 2
    assert builds(tmp_path) == 1


def test_a_new_version_is_a_new_entry(tmp_path: Path, cache: Path) -> None:
    backends.install(fake(tmp_path, "v1.2.3"))
    backends.install(fake(tmp_path, "v1.3.0"))
    assert sorted(p.name for p in cache.iterdir() if p.is_dir()) == ["fake-v1.2.3", "fake-v1.3.0"]


def test_a_valid_copy_in_the_previous_layout_is_adopted_not_rebuilt(tmp_path: Path, cache: Path) -> None:
    old = cache.parent / "fake-v1.2.3" / "bin"
    old.mkdir(parents=True)
    (old / "fake").write_text("#!/bin/sh\necho fake 1.2.3\n")
    (old / "fake").chmod(0o755)
    backend = fake(tmp_path, legacy=("fake-{version}/bin/fake",))

    entry = backends.install(backend)

    assert builds(tmp_path) == 0
    assert (entry / "fake").read_text() == (old / "fake").read_text()
    assert backends.problem(backend) is None


def test_a_broken_copy_in_the_previous_layout_is_rebuilt(tmp_path: Path, cache: Path) -> None:
    old = cache.parent / "fake-v1.2.3"
    old.mkdir(parents=True)
    (old / "fake").write_text("#!/bin/sh\necho fake 0.1\n")
    (old / "fake").chmod(0o755)
    backends.install(fake(tmp_path, legacy=("fake-{version}/fake",)))
    assert builds(tmp_path) == 1


def test_the_command_line(tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    registry = [fake(tmp_path)]
    assert backends.main(["list"], registry) == 0
    assert "missing" in capsys.readouterr().out

    assert backends.main(["path", "fake"], registry) == 0
    assert capsys.readouterr().out.strip() == str(cache / "fake-v1.2.3" / "fake")
    assert backends.main(["install"], registry) == 0
    assert backends.main(["version", "fake"], registry) == 0
    assert capsys.readouterr().out.strip() == "v1.2.3"
    assert backends.main(["list"], registry) == 0
    assert " ok " in capsys.readouterr().out
    assert backends.main(["list", "--json"], registry) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"name": "fake", "version": "v1.2.3", "state": "ok", "used_by": list(registry[0].used_by)}
    ]
    assert backends.main(["path", "nothing"], registry) == 1
    assert "no backend named 'nothing'" in capsys.readouterr().err
    assert builds(tmp_path) == 1


def test_a_failed_install_exits_non_zero(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FAKE_FAIL", "1")
    assert backends.main(["install", "fake"], [fake(tmp_path)]) == 1
    assert "could not install: fake" in capsys.readouterr().err


def test_the_real_registry_reads_its_pinned_versions() -> None:
    """Every real backend names a version pinned in the repository (no Go build is run here)."""
    for backend in backends.BACKENDS:
        assert re.fullmatch(r"v?\d+\.\d+\.\d+\S*", backend.pinned), backend.name  # Go modules say v1.2.3, Maven 1.2.3
        assert backend.files, backend.name
        assert backend.steps, backend.name
    assert len({b.name for b in backends.BACKENDS}) == len(backends.BACKENDS)

"""deploy/Containerfile checked without a container engine (there is none on the development machines).

The file is parsed with BuildKit's own parser (the `dockerfile` package), then held against the repository:
the helm stage builds tools/helm with tools/helm/build.sh on the Go the tests use, the kustomize stage installs the
kustomize version scripts/backends.py builds for the tests (on the same Go), every path it copies exists
and survives .dockerignore, the packages pyproject.toml installs (and the plugins its entry points name) are all
copied, every command it runs exists (manage.py subcommands, gunicorn in requirements.txt), the Python version
satisfies requires-python, and the build-time collectstatic step works.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import dockerfile
import pytest
from django.core.management import get_commands
from packaging.specifiers import SpecifierSet

REPO = Path(__file__).resolve().parents[2]
CONTAINERFILE = REPO / "deploy" / "Containerfile"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def load_healthcheck() -> Any:
    """deploy/healthcheck.py, a script (deploy/ is not a package)."""
    spec = importlib.util.spec_from_file_location("netweave_healthcheck", REPO / "deploy" / "healthcheck.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def instructions() -> list[dockerfile.Command]:
    return list(dockerfile.parse_file(str(CONTAINERFILE)))


def stage(name: str) -> list[dockerfile.Command]:
    """The build stage `FROM ... AS name`."""
    (found,) = [s for s in stages() if len(s[0].value) == 3 and s[0].value[2] == name]
    return found


def app_stage() -> list[dockerfile.Command]:
    """The last stage: the image itself."""
    return stages()[-1]


def tests_go() -> str:
    go = shutil.which("go") or "/usr/local/go/bin/go"
    return subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, check=True).stdout.strip()


def stages() -> list[list[dockerfile.Command]]:
    """The instructions of each build stage, FROM first."""
    found: list[list[dockerfile.Command]] = []
    for command in instructions():
        if command.cmd == "FROM":
            found.append([])
        if found:
            found[-1].append(command)
    return found


def of(stage: list[dockerfile.Command], name: str) -> list[dockerfile.Command]:
    return [command for command in stage if command.cmd == name]


def flag(command: dockerfile.Command, name: str) -> str | None:
    for item in command.flags:
        if item.startswith(f"--{name}="):
            return item.split("=", 1)[1]
    return None


def ignore_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str) -> bool:
    """Whether .dockerignore keeps `path` (or a folder holding it) out of the build context."""
    parts = Path(path).parts
    for pattern in ignore_patterns():
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            if fnmatch.fnmatchcase(prefix, pattern) or (
                pattern.startswith("**/") and fnmatch.fnmatchcase(parts[depth - 1], pattern[3:])
            ):
                return True
    return False


def test_the_helm_stage_runs_the_repository_build_script_on_the_tests_go() -> None:
    helm_stage = stage("helm")
    image = helm_stage[0].value[0]
    local = tests_go()
    assert re.fullmatch(rf"golang:{re.escape(local.removeprefix('go'))}(-\w+)?", image), (image, local)
    copies = of(helm_stage, "COPY")
    assert [command.value for command in copies] == [("tools/helm/", "./")]
    assert of(helm_stage, "WORKDIR")[0].value == ("/src/tools/helm",)
    (run,) = of(helm_stage, "RUN")
    assert "./build.sh" in run.value[0]
    assert "/usr/local/bin/helm" in run.value[0]


def test_the_app_stage_ships_that_helm() -> None:
    from_helm = [command for command in of(app_stage(), "COPY") if flag(command, "from") == "helm"]
    assert [command.value for command in from_helm] == [("/usr/local/bin/helm", "/usr/local/bin/helm")]


def test_the_kustomize_stage_installs_the_version_the_tests_build_on_the_tests_go() -> None:
    """What scripts/backends.py builds and the kustomize plugin's tests run is what the image ships. Without a
    container engine here, the stage itself is not run; its command is the backend's recipe (`go install` of
    the released module, CGO off, trimmed) with the same version, checked here."""
    spec = importlib.util.spec_from_file_location("netweave_backends", REPO / "scripts" / "backends.py")
    assert spec is not None
    assert spec.loader is not None
    backends = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = backends  # dataclasses resolve their module by name
    spec.loader.exec_module(backends)
    (kustomize,) = [b for b in backends.BACKENDS if b.name == "kustomize"]
    version = kustomize.version()
    kustomize_stage = stage("kustomize")
    assert re.fullmatch(rf"golang:{re.escape(tests_go().removeprefix('go'))}(-\w+)?", kustomize_stage[0].value[0])
    (run,) = of(kustomize_stage, "RUN")
    command = run.value[0]
    assert f"sigs.k8s.io/kustomize/kustomize/v5@{version} " in f"{command} "
    assert "GOBIN=/usr/local/bin" in command
    assert "CGO_ENABLED=0" in command
    assert "/usr/local/bin/kustomize version" in command
    recipe = " ".join(kustomize.steps[0].argv)
    assert "-trimpath" in recipe
    assert "-trimpath" in command
    copied = [command.value for command in of(app_stage(), "COPY") if flag(command, "from") == "kustomize"]
    assert copied == [("/usr/local/bin/kustomize", "/usr/local/bin/kustomize")]
    from plugins.dms.kustomize.config import KustomizeConfig

    assert KustomizeConfig().fields["kustomizeBinary"].default == "kustomize"  # found on the image's PATH


def test_python_version_satisfies_requires_python() -> None:
    app = app_stage()
    image = app[0].value[0]
    match = re.fullmatch(r"python:(\d+\.\d+)-slim(-\w+)?", image)
    assert match, image
    assert SpecifierSet(PYPROJECT["project"]["requires-python"]).contains(f"{match.group(1)}.0")
    assert match.group(1) == f"{sys.version_info.major}.{sys.version_info.minor}"  # what the tests run on


def test_every_copied_path_exists_and_is_in_the_build_context() -> None:
    app = app_stage()
    sources = [source for command in of(app, "COPY") if not flag(command, "from") for source in command.value[:-1]]
    assert sources
    for source in sources:
        assert (REPO / source).exists(), source
        assert not ignored(source), f"{source} is copied but .dockerignore leaves it out"


def test_the_installed_project_and_its_plugins_are_copied() -> None:
    app = app_stage()
    copied = {source.rstrip("/") for command in of(app, "COPY") for source in command.value[:-1]}
    assert {"pyproject.toml", "README.md", "requirements.txt", "manage.py"} <= copied  # pip install -e . needs them
    for pattern in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]:
        assert pattern.rstrip("*") in copied, pattern
    for target in PYPROJECT["project"]["entry-points"]["netweave.plugins"].values():
        module = target.split(":")[0].replace(".", "/") + ".py"
        assert module.split("/")[0] in copied
        assert (REPO / module).is_file()
        assert not ignored(module), module
    runs = " ".join(command.value[0] for command in of(app, "RUN"))
    assert "pip install -r requirements.txt" in runs
    assert "pip install --no-deps -e ." in runs


def requirement_names() -> set[str]:
    names = set()
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(re.split(r"[\[=<>~ ]", line, maxsplit=1)[0].lower())
    return names


def test_the_commands_it_runs_exist() -> None:
    app = app_stage()
    (cmd,) = of(app, "CMD")
    assert cmd.json
    assert cmd.value[:2] == ("gunicorn", "netweave.wsgi")
    assert "gunicorn" in requirement_names()
    bind = cmd.value[cmd.value.index("--bind") + 1]
    assert of(app, "EXPOSE")[0].value == (bind.rsplit(":", 1)[1],)
    commands = get_commands()
    for run in of(app, "RUN"):
        for subcommand in re.findall(r"manage\.py (\w+)", run.value[0]):
            assert subcommand in commands, subcommand
    (healthcheck,) = of(app, "HEALTHCHECK")
    assert healthcheck.value[:2] == ("CMD", "python")
    assert (REPO / healthcheck.value[2]).is_file()


def test_it_runs_as_a_non_root_user() -> None:
    app = app_stage()
    user = of(app, "USER")[-1].value[0]
    assert user.split(":")[0] not in {"0", "root"}
    assert instructions()[-1].cmd == "CMD"
    assert of(app, "USER")[-1].start_line > max(command.start_line for command in of(app, "RUN"))


def test_the_build_time_collectstatic_step_works(tmp_path: Path) -> None:
    app = app_stage()
    (step,) = [run.value[0] for run in of(app, "RUN") if "collectstatic" in run.value[0]]
    argv = re.search(r"python (manage\.py collectstatic[^&]*)", step).group(1).split()  # type: ignore[union-attr]
    env = {**os.environ, "NETWEAVE_DATA_DIR": str(tmp_path)}
    subprocess.run([sys.executable, *argv], cwd=REPO, env=env, check=True, capture_output=True, timeout=120)
    assert (tmp_path / "static" / "admin" / "css" / "base.css").is_file()


@pytest.mark.parametrize(
    ("setting", "host"),
    [
        ("", "localhost"),
        ("*", "localhost"),
        ("o2.example.com,other", "o2.example.com"),
        (" .example.com", "example.com"),
        ("*, netweave.ns.svc", "netweave.ns.svc"),
    ],
)
def test_healthcheck_names_an_allowed_host(setting: str, host: str) -> None:
    assert load_healthcheck().allowed_host(setting) == host

#!/usr/bin/env python3
"""The test backends that are built or downloaded (Go binaries, Java jars, release archives), cached once per
machine OUTSIDE the checkout, keyed by name and pinned version:

    ${NETWEAVE_CACHE:-~/.cache/netweave}/backends/<name>-<version>/

Usage:
    scripts/backends.py install [NAME...]   build/fetch every backend (or the named ones) that is missing or broken
    scripts/backends.py install --for M     ... the backends the tests marked M need (`used_by`)
    scripts/backends.py path NAME           install NAME if needed, then print the path of its main file
    scripts/backends.py version NAME        print NAME's pinned version
    scripts/backends.py list                one line per backend: name, version, state (ok/missing/broken: why)
    scripts/backends.py list --json         the same as JSON, with the markers using each (scripts/stages.py)

Why one script: a warm machine must build nothing, a fresh one must build each backend exactly once (two test
sessions at once wait for each other through a lock file), and a half-built or damaged entry must never be
taken for a good one. So an entry counts as installed only when
  * its stamp file (`.netweave-backend.json`, written last, after the build and the check passed) is there and
    names the same recipe fingerprint (a changed recipe with an unchanged version rebuilds), and
  * every declared file exists, and the check command (by default `<main binary> --version`) exits 0 and prints
    the pinned version.
Anything else is rebuilt from scratch in a staging directory that replaces the entry only when complete. While a
build runs, a progress line naming it is printed every 10 seconds (stderr); its full output goes to
`backends/<name>-<version>.log`, whose last lines are printed if it fails.

Adding a backend (other plugins' simulators, e.g. vcsim from govmomi, Kafka jars from Maven, Flux controllers):
append a `Backend(...)` to BACKENDS below. Give it
  * `name`, and `version`: a callable returning the pinned version, usually `go_mod_version(<dir>, <module>)`
    (pin the module in a tools/<name>/go.mod) or a constant for a download;
  * `files`: what the entry must hold, relative to it; the first one is what `path` prints;
  * `steps`: the commands that produce those files in `{out}` (the staging directory), e.g. `go_build(...)`,
    `Download(url, sha256, file)`, or a `Step` running a script of the repository;
  * `used_by`: the test markers (pyproject.toml) whose tests need it;
  * optionally `check` (the arguments the main file is run with to verify the entry, default `--version`; ()
    for a file that is not a program) and `expect` (the text its output must contain, default: the version
    without its leading "v"; "" for none).
Then call `scripts/backends.py path <name>` from the test harness (it installs on first use), mark the tests
`backend` + the plugin's marker (registered in pyproject.toml as "backend: ..."; docs/testing.md), and record
the cold build time in docs/benchmarks.md. `make test` runs `scripts/backends.py install` in the background at
its start, so the builds overlap the unit stage.

Standard library only: the script runs before any virtualenv exists (and with the system python3).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STAMP = ".netweave-backend.json"
PROGRESS_SECONDS = 10.0
LOG_TAIL_LINES = 40


def cache_root() -> Path:
    """Where the entries live: ${NETWEAVE_CACHE:-~/.cache/netweave}/backends (the machine-level netweave cache)."""
    base = os.environ.get("NETWEAVE_CACHE") or str(Path.home() / ".cache" / "netweave")
    return Path(base) / "backends"


def go() -> str:
    """The Go toolchain: $GO, else `go` on PATH, else the one the development machines have."""
    return os.environ.get("GO") or shutil.which("go") or "/usr/local/go/bin/go"


def go_mod_version(directory: str, module: str) -> Callable[[], str]:
    """The version `directory`/go.mod pins for `module` (a `require` line, single or in a block)."""

    def read() -> str:
        text = (REPO / directory / "go.mod").read_text()
        found = re.search(rf"^\s*(?:require\s+)?{re.escape(module)}\s+(v\S+)", text, re.MULTILINE)
        if not found:
            raise BackendError(f"{directory}/go.mod pins no version of {module}")
        return found.group(1)

    return read


def pom_property(pom: str, name: str) -> Callable[[], str]:
    """The value of `<name>` in the properties of the Maven `pom` (relative to the repository)."""

    def read() -> str:
        found = re.search(rf"<{re.escape(name)}>\s*([^<\s]+)\s*</{re.escape(name)}>", (REPO / pom).read_text())
        if not found:
            raise BackendError(f"{pom} sets no <{name}>")
        return found.group(1)

    return read


def constant(version: str) -> Callable[[], str]:
    return lambda: version


@dataclass(frozen=True)
class Step:
    """One command of a recipe. `{out}` (the staging directory), `{version}`, `{go}` and `{repo}` are replaced in
    argv and env values; `cwd` is relative to the repository."""

    argv: tuple[str, ...]
    cwd: str = "."
    env: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        return json.dumps([self.argv, self.cwd, self.env])


@dataclass(frozen=True)
class Download:
    """Fetch `url` into `{out}/<file>`, refusing it unless its SHA-256 is `sha256` (pins the bytes, not a name)."""

    url: str
    sha256: str
    file: str

    def describe(self) -> str:
        return json.dumps(["download", self.url, self.sha256, self.file])


def go_build(module_dir: str, package: str, output: str, ldflags: str = "-s -w", cgo: bool = True) -> Step:
    """`go build` of `package` with the versions `module_dir`/go.mod pins, into `{out}/<output>`."""
    env = () if cgo else (("CGO_ENABLED", "0"),)
    argv = ("{go}", "build", "-trimpath", "-ldflags", ldflags, "-o", f"{{out}}/{output}", package)
    return Step(argv, module_dir, env)


@dataclass(frozen=True)
class Backend:
    name: str
    version: Callable[[], str] = field(compare=False)
    files: tuple[str, ...]
    steps: tuple[Step | Download, ...]
    check: tuple[str, ...] = ("--version",)  # arguments to the main file; () for a file that is not a program
    expect: str | None = None
    # Where the scripts before this one cached the same build (`{version}` replaced, relative to the netweave
    # cache): a valid copy there is adopted instead of rebuilt, so a warm machine stays warm across the move.
    legacy: tuple[str, ...] = ()
    # The backend stage markers (pyproject.toml) whose tests need it: `install --for <marker>` builds only those.
    used_by: tuple[str, ...] = ()

    @property
    def pinned(self) -> str:
        return self.version()

    def entry(self) -> Path:
        return cache_root() / f"{self.name}-{self.pinned}"

    def fingerprint(self) -> str:
        recipe = json.dumps([self.files, [s.describe() for s in self.steps], self.check, self.expect])
        return hashlib.sha256(recipe.encode()).hexdigest()[:16]

    def check_argv(self, directory: Path) -> list[str]:
        """The verification command: the main file run with `check` (none when `check` is empty)."""
        return [str(directory / self.files[0]), *self.check] if self.check else []

    def expected(self) -> str:
        return self.pinned.removeprefix("v") if self.expect is None else self.expect


class BackendError(Exception):
    """A backend could not be built or verified; the message carries the build log's last lines."""


# --- the registry -----------------------------------------------------------------------------------------------

_KUBE_VERSION_FLAGS = " ".join(
    f"-X k8s.io/component-base/version.{name}={value}"
    for name, value in (("gitVersion", "{version}"), ("gitMajor", "{major}"), ("gitMinor", "{minor}"))
)

BACKENDS: tuple[Backend, ...] = (
    # In the order `install` builds them on a fresh machine: the quick ones first, then what the helm stage needs,
    # then the rest of the kubernetes stage's; scripts/stages.py starts each backend session once its own are in.
    # vcsim, VMware's own vCenter simulator (tests/vsphere/harness.py): govmomi's `simulator` package wrapped by
    # tools/vcsim/main.go (upstream's vcsim command is a nested module the Go proxy does not serve).
    Backend(
        name="vcsim",
        version=go_mod_version("tools/vcsim", "github.com/vmware/govmomi"),
        files=("vcsim",),
        steps=(go_build("tools/vcsim", ".", "vcsim", cgo=False),),
        check=(),  # the small main has no --version; the stamp and the file are the check
        used_by=("vsphere",),
    ),
    # Apache Kafka's broker (KRaft mode) as its Maven Central runtime jars, pinned by tools/kafka/pom.xml, for the
    # ONAP SMO plugin's event path (tests/smo/kafka_harness.py runs `java -cp libs/* kafka.Kafka`). Needs Maven+Java.
    Backend(
        name="kafka",
        version=pom_property("tools/kafka/pom.xml", "kafka.version"),
        files=("libs",),
        steps=(
            Step(
                (
                    "mvn",
                    "-q",
                    "-B",
                    "-f",
                    "tools/kafka/pom.xml",
                    "dependency:copy-dependencies",
                    "-DincludeScope=runtime",
                    "-DoutputDirectory={out}/libs",
                )
            ),
        ),
        check=(),  # a folder of jars: the stamp and the folder are the check
        used_by=("kafka",),
    ),
    # A real Kubernetes API server and its etcd (scripts/kube-harness.sh, tests/k8s_harness.py), from the pinned
    # k8s.io/kubernetes module with a `replace` for each staging module (tools/kube/go.mod).
    Backend(
        name="kube-apiserver",
        version=go_mod_version("tools/kube", "k8s.io/kubernetes"),
        files=("kube-apiserver",),
        steps=(
            go_build(
                "tools/kube",
                "k8s.io/kubernetes/cmd/kube-apiserver",
                "kube-apiserver",
                ldflags=f"-s -w {_KUBE_VERSION_FLAGS}",
            ),
        ),
        legacy=("kube-{version}-etcd-*/bin/kube-apiserver",),
        used_by=("kubernetes", "helm"),
    ),
    Backend(
        name="etcd",
        version=go_mod_version("tools/kube", "go.etcd.io/etcd/server/v3"),
        files=("etcd",),
        steps=(go_build("tools/kube", "go.etcd.io/etcd/server/v3", "etcd"),),
        legacy=("kube-*-etcd-{version}/bin/etcd",),
        used_by=("kubernetes", "helm"),
    ),
    # The helm CLI the Helm DMS plugin drives. tools/helm/build.sh is the recipe, shared with deploy/Containerfile.
    Backend(
        name="helm",
        version=go_mod_version("tools/helm", "helm.sh/helm/v3"),
        files=("helm",),
        steps=(Step(("bash", "tools/helm/build.sh", "{out}")),),
        check=("version", "--short"),
        legacy=("helm-{version}/helm",),
        used_by=("helm",),
    ),
    # kwok, the kubelet simulator of the Kubernetes SIGs (tests/kwok_harness.py).
    Backend(
        name="kwok",
        version=go_mod_version("tools/kwok", "sigs.k8s.io/kwok"),
        files=("kwok",),
        steps=(
            go_build(
                "tools/kwok",
                "sigs.k8s.io/kwok/cmd/kwok",
                "kwok",
                ldflags="-s -w -X sigs.k8s.io/kwok/pkg/consts.Version={version_no_v}",
                cgo=False,
            ),
        ),
        legacy=("kwok-{version}/kwok",),
        used_by=("helm",),
    ),
    # The kustomize CLI the kustomize DMS plugin renders overlays with (tests/deployments/conftest.py). `go install`
    # of the released module is the route BACKENDS.md verified (v5.8.2; v5.8.3 does not build here).
    Backend(
        name="kustomize",
        version=constant("v5.8.2"),
        files=("kustomize",),
        steps=(
            Step(
                ("{go}", "install", "-trimpath", "-ldflags", "-s -w", "sigs.k8s.io/kustomize/kustomize/v5@{version}"),
                env=(("GOBIN", "{out}"), ("CGO_ENABLED", "0")),
            ),
        ),
        check=("version",),
        used_by=("kubernetes",),
    ),
    # Flux's source-controller, kustomize-controller and helm-controller, and Flux's test git server, run for real
    # by tests/flux_controllers.py (the Flux DMS plugin reconciled by the real controllers). The controllers have
    # no --version flag: the stamp and the file are the check.
    Backend(
        name="flux-source-controller",
        version=go_mod_version("tools/flux-source-controller", "github.com/fluxcd/source-controller"),
        files=("source-controller",),
        steps=(go_build("tools/flux-source-controller", "github.com/fluxcd/source-controller", "source-controller"),),
        check=(),
        used_by=("kubernetes",),
    ),
    Backend(
        name="flux-kustomize-controller",
        version=go_mod_version("tools/flux-kustomize-controller", "github.com/fluxcd/kustomize-controller"),
        files=("kustomize-controller",),
        steps=(
            go_build(
                "tools/flux-kustomize-controller", "github.com/fluxcd/kustomize-controller", "kustomize-controller"
            ),
        ),
        check=(),
        used_by=("kubernetes",),
    ),
    Backend(
        name="flux-helm-controller",
        version=go_mod_version("tools/flux-helm-controller", "github.com/fluxcd/helm-controller"),
        files=("helm-controller",),
        steps=(go_build("tools/flux-helm-controller", "github.com/fluxcd/helm-controller", "helm-controller"),),
        check=(),
        used_by=("kubernetes",),
    ),
    Backend(
        name="gittestserver",
        version=go_mod_version("tools/gittestserver", "github.com/fluxcd/pkg/gittestserver"),
        files=("gittestserver",),
        steps=(go_build("tools/gittestserver", ".", "gittestserver", cgo=False),),
        check=(),
        used_by=("kubernetes",),
    ),
    # Kubernetes' own garbage collector (pkg/controller/garbagecollector, kube-controller-manager's wiring) in a small
    # main, tools/kube-gc: Crossplane leaves the deletion of what an XR composed, and of its connection secrets, to it
    # (tests/crossplane_harness.py). kube-controller-manager itself does not build in tools/kube.
    Backend(
        name="kube-gc",
        version=go_mod_version("tools/kube-gc", "k8s.io/kubernetes"),
        files=("kube-gc",),
        steps=(go_build("tools/kube-gc", ".", "kube-gc", ldflags="-s -w -X main.buildVersion={version}"),),
        used_by=("kubernetes",),
    ),
    # Crossplane core v1, run for real by tests/crossplane_harness.py (`crossplane core start` out of cluster,
    # classic `mode: Resources` Compositions: v2 composes only through composition functions, which cannot run
    # here). The version string is Crossplane's own ldflag, so `--version` prints the pin.
    Backend(
        name="crossplane",
        version=go_mod_version("tools/crossplane", "github.com/crossplane/crossplane"),
        files=("crossplane",),
        steps=(
            go_build(
                "tools/crossplane",
                "github.com/crossplane/crossplane/cmd/crossplane",
                "crossplane",
                ldflags="-s -w -X github.com/crossplane/crossplane/internal/version.version={version}",
            ),
        ),
        used_by=("kubernetes",),
    ),
)


def find(name: str, registry: Sequence[Backend] | None = None) -> Backend:
    for backend in BACKENDS if registry is None else registry:
        if backend.name == name:
            return backend
    known = ", ".join(b.name for b in (BACKENDS if registry is None else registry))
    raise BackendError(f"no backend named {name!r} (known: {known})")


# --- state of an entry -------------------------------------------------------------------------------------------


def problem(backend: Backend, directory: Path | None = None, *, stamped: bool = True) -> str | None:
    """Why `directory` (default: the backend's entry) is not a usable install, or None if it is."""
    directory = directory or backend.entry()
    if not directory.is_dir():
        return "missing"
    if stamped:
        try:
            stamp = json.loads((directory / STAMP).read_text())
        except (OSError, ValueError):
            return "no stamp (an interrupted or failed build)"
        if stamp.get("fingerprint") != backend.fingerprint():
            return "built by another recipe"
    for name in backend.files:
        if not (directory / name).exists():
            return f"{name} is missing"
    argv = backend.check_argv(directory)
    if argv:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False, cwd=directory)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"`{Path(argv[0]).name} {' '.join(backend.check)}` cannot run: {exc}"
        output = done.stdout + done.stderr
        if done.returncode != 0:
            return f"`{Path(argv[0]).name} {' '.join(backend.check)}` exited {done.returncode}: {output.strip()[-200:]}"
        if backend.expected() not in output:
            return f"`{Path(argv[0]).name} {' '.join(backend.check)}` does not report {backend.expected()}"
    return None


# --- building ---------------------------------------------------------------------------------------------------


def say(message: str) -> None:
    print(f"backends: {message}", file=sys.stderr, flush=True)


def elapsed(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"


@contextlib.contextmanager
def progress(what: str, log: Path | None = None, every: float | None = None) -> Iterator[None]:
    """Print `<what>: <elapsed>` every `every` seconds (default PROGRESS_SECONDS) until the block ends."""
    interval = PROGRESS_SECONDS if every is None else every
    started = time.monotonic()
    done = threading.Event()
    where = f" (log: {log})" if log else ""

    def tick() -> None:
        while not done.wait(interval):
            say(f"{what}: {elapsed(time.monotonic() - started)}{where}")

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


@contextlib.contextmanager
def locked(backend: Backend) -> Iterator[None]:
    """The entry's lock: one build per machine; a second session waits (with progress lines) and reuses it."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{backend.name}-{backend.pinned}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            with progress(f"waiting for another process building {backend.name} {backend.pinned}"):
                fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _substitutions(backend: Backend, out: Path) -> dict[str, str]:
    """The placeholders a step may use: {out}, {version} (as pinned), {version_no_v}, {major} and {minor} (of a
    semantic version), {go}, {repo}."""
    version = backend.pinned
    parts = version.removeprefix("v").split(".")
    return {
        "out": str(out),
        "version": version,
        "version_no_v": version.removeprefix("v"),
        "major": parts[0],
        "minor": parts[1] if len(parts) > 1 else "",
        "go": go(),
        "repo": str(REPO),
    }


def _fill(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


def _run_step(step: Step | Download, values: dict[str, str], log: Path) -> None:
    with log.open("a") as out:
        if isinstance(step, Download):
            target = Path(values["out"]) / step.file
            out.write(f"$ download {step.url}\n")
            out.flush()
            digest = hashlib.sha256()
            with urllib.request.urlopen(step.url, timeout=600) as response, target.open("wb") as file:  # noqa: S310
                while chunk := response.read(1 << 20):
                    digest.update(chunk)
                    file.write(chunk)
            if digest.hexdigest() != step.sha256:
                raise BackendError(f"{step.url}: SHA-256 {digest.hexdigest()}, expected {step.sha256}")
            return
        argv = [_fill(a, values) for a in step.argv]
        env = {**os.environ, **{k: _fill(v, values) for k, v in step.env}}
        out.write(f"$ (cd {step.cwd} && {' '.join(argv)})\n")
        out.flush()
        done = subprocess.run(argv, cwd=REPO / step.cwd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        raise BackendError(f"`{' '.join(argv)}` exited {done.returncode}")


def _tail(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-LOG_TAIL_LINES:])


def _adopt(backend: Backend, staging: Path) -> bool:
    """Copy a valid build from the previous cache layout into `staging`; True if that worked."""
    base = cache_root().parent
    for pattern, name in zip(backend.legacy, backend.files, strict=False):
        matches = sorted(base.glob(pattern.replace("{version}", backend.pinned)))
        if not matches or not os.access(matches[-1], os.X_OK):
            return False
        shutil.copy2(matches[-1], staging / name)
    return bool(backend.legacy) and problem(backend, staging, stamped=False) is None


def build(backend: Backend) -> Path:
    """Build `backend` into a staging directory, verify it, stamp it and move it into place."""
    entry = backend.entry()
    staging = entry.with_name(f".{entry.name}.building")
    log = entry.with_name(f"{entry.name}.log")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    log.write_text("")
    started = time.monotonic()
    adopted = _adopt(backend, staging)
    if adopted:
        say(f"{backend.name} {backend.pinned}: adopted the copy of the previous cache layout")
    else:
        shutil.rmtree(staging)
        staging.mkdir()
        say(f"building {backend.name} {backend.pinned} into {entry} (log: {log})")
        values = _substitutions(backend, staging)
        try:
            with progress(f"building {backend.name} {backend.pinned}", log):
                for step in backend.steps:
                    _run_step(step, values, log)
        except (BackendError, OSError) as exc:
            shutil.rmtree(staging, ignore_errors=True)
            tail = f"--- last lines of {log}:\n{_tail(log)}"
            raise BackendError(f"{backend.name} {backend.pinned}: {exc}\n{tail}") from exc
        why = problem(backend, staging, stamped=False)
        if why:
            shutil.rmtree(staging, ignore_errors=True)
            raise BackendError(f"{backend.name} {backend.pinned} built but unusable: {why}\n{_tail(log)}")
    seconds = time.monotonic() - started
    stamp = {
        "name": backend.name,
        "version": backend.pinned,
        "fingerprint": backend.fingerprint(),
        "seconds": round(seconds, 1),
        "adopted": adopted,
        "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (staging / STAMP).write_text(json.dumps(stamp, indent=1) + "\n")
    shutil.rmtree(entry, ignore_errors=True)
    staging.rename(entry)
    say(f"{backend.name} {backend.pinned} ready in {elapsed(seconds)}")
    return entry


def install(backend: Backend) -> Path:
    """The backend's entry, built first if it is missing or broken (a warm entry costs one check command)."""
    if problem(backend) is None:
        return backend.entry()
    with locked(backend):
        why = problem(backend)
        if why is None:  # another process built it while this one waited
            return backend.entry()
        if why != "missing":
            say(f"{backend.name} {backend.pinned}: broken cache entry ({why}); rebuilding")
        return build(backend)


# --- command line -------------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None, registry: Sequence[Backend] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    install_parser = commands.add_parser("install")
    install_parser.add_argument("names", nargs="*")
    install_parser.add_argument("--for", dest="marker", help="only the backends the tests marked MARKER need")
    commands.add_parser("path").add_argument("name")
    commands.add_parser("version").add_argument("name")
    commands.add_parser("list").add_argument("--json", action="store_true", help="as JSON, with `used_by`")
    args = parser.parse_args(argv)
    backends = BACKENDS if registry is None else tuple(registry)
    try:
        if args.command == "install":
            chosen = [find(n, backends) for n in args.names] or list(backends)
            if args.marker:
                chosen = [b for b in chosen if args.marker in b.used_by]
            failed = []
            for backend in chosen:  # one at a time: each Go build already uses every core
                try:
                    install(backend)
                except BackendError as exc:
                    say(f"FAILED: {exc}")
                    failed.append(backend.name)
            if failed:
                say(f"could not install: {', '.join(failed)}")
                return 1
            say(f"{len(chosen)} backend(s) ready in {cache_root()}")
        elif args.command == "path":
            backend = find(args.name, backends)
            print(install(backend) / backend.files[0])
        elif args.command == "version":
            print(find(args.name, backends).pinned)
        elif args.json:
            rows = [
                {"name": b.name, "version": b.pinned, "state": problem(b) or "ok", "used_by": list(b.used_by)}
                for b in backends
            ]
            print(json.dumps(rows))
        else:
            for backend in backends:
                print(f"{backend.name:26} {backend.pinned:12} {problem(backend) or 'ok':40} {backend.entry()}")
    except BackendError as exc:
        say(f"FAILED: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

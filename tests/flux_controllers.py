"""The real Flux source-controller and kustomize-controller on the kube-apiserver harness, fetching from Flux's own
test git server: the `real_flux` fixture.

scripts/backends.py builds the two controllers from their Go modules (tools/flux-source-controller,
tools/flux-kustomize-controller: the newest releases whose modules build with the machine's Go and whose
dependencies the Go proxy serves) and a small command around github.com/fluxcd/pkg/gittestserver (the server
Flux's controller tests clone from; it runs the real `git` for the smart HTTP protocol). They are started here as
processes, out of cluster, the way Flux's own envtest suites run them:

- with the harness's admin kubeconfig (KUBECONFIG), no leader election, metrics and health probes on free
  loopback ports, no notification-controller (no --events-addr);
- watching only `NAMESPACE` (RUNTIME_NAMESPACE with --watch-all-namespaces=false), so the test that plays Flux
  in flux-system (tests/flux_harness.py) and these never see each other's objects;
- source-controller serving its artifacts on a loopback port it also advertises, which kustomize-controller
  downloads them from, as in a cluster through the source-controller Service.

The CRDs are all of source-controller's kinds (kustomize-controller watches OCIRepository, Bucket and
ExternalArtifact too, and source-controller reconciles every kind) plus the Kustomization, from the same module
version as tests/flux_harness.py applies. If anything cannot be built or started the fixture fails loudly with the
process's last log lines (never a skip).
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.backend_cache import BackendUnavailable, Process, backends
from tests.crd_modules import install_crds, module_crds
from tests.flux_harness import FLUX_VERSION, KUSTOMIZE, KUSTOMIZE_MODULE, SOURCE, SOURCE_MODULE
from tests.k8s_harness import KubeCluster, _free_port

NAMESPACE = "flux-real"
START_TIMEOUT = 60
SOURCE_KINDS = ("buckets", "externalartifacts", "gitrepositories", "helmcharts", "helmrepositories", "ocirepositories")


class FluxUnavailable(Exception):
    """A controller or the git server could not be built or started."""


def backend(name: str) -> str:
    """The binary scripts/backends.py built for `name` (it builds it on first use)."""
    try:
        return backends("path", name)
    except BackendUnavailable as exc:
        raise FluxUnavailable(str(exc)) from exc


@dataclass
class GitServer:
    """Flux's test git server over a directory of bare repositories; `push` publishes commits to it."""

    process: Process
    root: Path
    work: Path
    url: str = ""

    def start(self) -> GitServer:
        self.process.start()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            urls = [x for x in self.process.log.read_text(errors="replace").splitlines() if x.startswith("http://")]
            if urls:
                self.url = urls[0].strip()
                return self
            if not self.process.alive():
                break
            time.sleep(0.1)
        self.process.stop()
        raise FluxUnavailable(f"gittestserver did not start:\n{self.process.tail()}")

    def push(self, repository: str, branch: str, files: Mapping[str, str]) -> str:
        """Commit `files` (path -> text, replacing the whole tree) on `branch` of `repository` and return the
        commit's SHA-1. The first push creates the repository, with `branch` as its default branch (HEAD), as
        a hosted repository has one: source-controller clones from HEAD to check out a ref that names only a
        commit (the plugin's rollback)."""
        clone = self.work / repository.replace("/", "_") / branch
        bare = self.root / repository
        created = not bare.exists()
        if not clone.exists():
            clone.mkdir(parents=True)
            self._git(clone, "init", "-q", "-b", branch)
        for old in clone.rglob("*"):
            if old.is_file() and ".git" not in old.relative_to(clone).parts:
                old.unlink()
        for path, text in files.items():
            (clone / path).parent.mkdir(parents=True, exist_ok=True)
            (clone / path).write_text(text)
        self._git(clone, "add", "-A")
        self._git(clone, "commit", "-q", "--allow-empty", "-m", f"netweave test {len(files)} files")
        self._git(clone, "push", "-q", "-f", f"{self.url}/{repository}", f"HEAD:refs/heads/{branch}")
        if created:
            self._git(bare, "symbolic-ref", "HEAD", f"refs/heads/{branch}")
        return self._git(clone, "rev-parse", "HEAD").strip()

    @staticmethod
    def _git(cwd: Path, *args: str) -> str:
        done = subprocess.run(
            [
                "git",
                "-c",
                "user.name=netweave",
                "-c",
                "user.email=tests@netweave.invalid",
                "-c",
                "commit.gpgsign=false",
                *args,
            ],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise FluxUnavailable(f"git {' '.join(args)} failed: {done.stderr[-2000:]}")
        return done.stdout


@dataclass
class RealFlux:
    """The running controllers and git server; `namespace` is the only one the controllers watch."""

    git: GitServer
    controllers: list[Process]
    namespace: str = NAMESPACE

    def check_alive(self) -> None:
        for process in self.controllers:
            if not process.alive():
                raise FluxUnavailable(f"{process.argv[0]} exited:\n{process.tail()}")

    def logs(self) -> str:
        return "\n\n".join(f"== {Path(p.argv[0]).name}\n{p.tail(40)}" for p in self.controllers)


def _wait_ready(process: Process, health_port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if not process.alive():
            break
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{health_port}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    process.stop()
    raise FluxUnavailable(f"{process.argv[0]} did not become ready:\n{process.tail()}")


def _controller(binary: str, kubeconfig: Path, log: Path, *flags: str) -> Process:
    health = _free_port()
    process = Process(
        [
            binary,
            "--watch-all-namespaces=false",
            f"--metrics-addr=127.0.0.1:{_free_port()}",
            f"--health-addr=127.0.0.1:{health}",
            "--log-encoding=console",
            *flags,
        ],
        log,
        {"KUBECONFIG": str(kubeconfig), "RUNTIME_NAMESPACE": NAMESPACE},
    ).start()
    _wait_ready(process, health)
    return process


@pytest.fixture(scope="session")
def real_flux_crds(kube_cluster: KubeCluster) -> KubeCluster:
    bodies = module_crds(
        SOURCE_MODULE,
        FLUX_VERSION,
        [f"config/crd/bases/source.toolkit.fluxcd.io_{kind}.yaml" for kind in SOURCE_KINDS],
    ) + module_crds(
        KUSTOMIZE_MODULE, FLUX_VERSION, ["config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml"]
    )
    install_crds(kube_cluster, bodies, [SOURCE, KUSTOMIZE], NAMESPACE)
    return kube_cluster


@pytest.fixture
def real_flux(real_flux_crds: KubeCluster) -> Iterator[RealFlux]:
    """Flux's source- and kustomize-controllers and its test git server, running for one test."""
    work = Path(tempfile.mkdtemp(prefix="netweave-flux-"))
    started: list[Process] = []
    try:
        binaries = {name: backend(name) for name in ("flux-source-controller", "flux-kustomize-controller")}
        git = GitServer(
            Process([backend("gittestserver"), str(work / "repos")], work / "gittestserver.log"),
            work / "repos",
            work / "clones",
        )
        started.append(git.process)
        git.start()
        storage = _free_port()
        (work / "artifacts").mkdir()  # source-controller refuses a storage path that does not exist
        source = _controller(
            binaries["flux-source-controller"],
            real_flux_crds.kubeconfig,
            work / "source-controller.log",
            f"--storage-path={work / 'artifacts'}",
            f"--storage-addr=127.0.0.1:{storage}",
            f"--storage-adv-addr=127.0.0.1:{storage}",
        )
        started.append(source)
        kustomize = _controller(
            binaries["flux-kustomize-controller"], real_flux_crds.kubeconfig, work / "kustomize-controller.log"
        )
        started.append(kustomize)
    except (FluxUnavailable, OSError) as exc:
        for process in reversed(started):
            process.stop()
        shutil.rmtree(work, ignore_errors=True)
        pytest.fail(f"the real Flux controllers could not be provided: {exc}", pytrace=False)
    try:
        yield RealFlux(git, [source, kustomize])
    finally:
        for process in reversed(started):
            process.stop()
        shutil.rmtree(work, ignore_errors=True)

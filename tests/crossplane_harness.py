"""The real Crossplane core on the kube-apiserver harness: the `real_crossplane` fixture (and `crossplane`, per test).

scripts/backends.py builds Crossplane core v1 from its Go module (tools/crossplane) and Kubernetes' own garbage
collector in a small main (tools/kube-gc). They run here as processes, out of cluster, against the session's API
server with its admin kubeconfig:

- `crossplane core start` with webhooks off (no one could call them: the API server has no route to this
  process), no leader election (its default), metrics and health probes on free ports, a throwaway package cache,
  and a client certificate it loads at start for composition functions (none runs: the Composition here is a
  classic `mode: Resources` one, no function, no provider);
- the garbage collector, because Crossplane leaves the deletion of what an XR composed, and of the XR's and the
  claim's connection secrets, to Kubernetes (they carry the XR's or claim's controller reference). Without it
  nothing would be left for netweave to clean, but the composed objects would stay behind.

Crossplane's CRDs are every file of `cluster/crds/` of the same module version, read from its Go module zip (as
`core init` would install them; the package manager's controllers start with `core start` too and find no
package). Crossplane itself derives the claim and composite CRDs from the sample XRD, binds claims, selects the
Composition, composes, checks readiness, publishes the connection details and deletes; the tests only read
what it wrote. Both processes run for one test module at a time: the session's API-server outage tests
(tests/k8s: etcd compacted, the server restarted) left Crossplane v1.20.3's composite controller deaf to new
composite resources (a claim was bound, its XR never composed within 30 s), and the collector should not act
on the other tests' objects. Crossplane reconciles every XRD on the API server, and the sample one is the
only one. If anything cannot be built or started the fixture fails loudly with the processes' last log lines
(never a skip).
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.backend_cache import BackendUnavailable, Process, backends
from tests.crd_modules import install_crds, module_zip
from tests.k8s_harness import KubeCluster, _free_port

CROSSPLANE_MODULE = "github.com/crossplane/crossplane"
XP_GROUP, XP_VERSION = "apiextensions.crossplane.io", "v1"
GROUP, VERSION = "nf.example.org", "v1alpha1"
CLAIM_KIND, CLAIM_PLURAL = "NetworkSlice", "networkslices"
XR_KIND, XR_PLURAL = "XNetworkSlice", "xnetworkslices"
CONNECTION_KEYS = ("endpoint", "token")
COMPOSITION = "slices-edge"
NAMESPACE = "crossplane-system"
START_TIMEOUT = 300  # the collector syncs an informer per resource type first: slow on a loaded machine

XRD_CONFIG = {
    "group": GROUP,
    "version": VERSION,
    "claimKind": CLAIM_KIND,
    "claimPlural": CLAIM_PLURAL,
    "compositeKind": XR_KIND,
    "compositePlural": XR_PLURAL,
}

SAMPLE_XRD: dict[str, Any] = {
    "apiVersion": f"{XP_GROUP}/{XP_VERSION}",
    "kind": "CompositeResourceDefinition",
    "metadata": {"name": f"{XR_PLURAL}.{GROUP}"},
    "spec": {
        "group": GROUP,
        "names": {"kind": XR_KIND, "plural": XR_PLURAL},
        "claimNames": {"kind": CLAIM_KIND, "plural": CLAIM_PLURAL},
        "connectionSecretKeys": list(CONNECTION_KEYS),
        "versions": [
            {
                "name": VERSION,
                "served": True,
                "referenceable": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "description": "A network slice for a RAN function.",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {
                                    "parameters": {
                                        "type": "object",
                                        "properties": {
                                            "sliceType": {"type": "string", "enum": ["eMBB", "URLLC", "mMTC"]},
                                            "bandwidthMbps": {"type": "integer", "minimum": 1, "maximum": 100000},
                                            "site": {"type": "string"},
                                        },
                                        "required": ["sliceType"],
                                    }
                                },
                                "required": ["parameters"],
                            }
                        },
                    }
                },
            }
        ],
    },
}


def _annotation(key: str) -> str:
    return f"metadata.annotations[{GROUP}/{key}]"


def _from_parameter(name: str, key: str, *transforms: dict[str, Any]) -> dict[str, Any]:
    patch = {
        "type": "FromCompositeFieldPath",
        "fromFieldPath": f"spec.parameters.{name}",
        "toFieldPath": _annotation(key),
    }
    return {**patch, "transforms": list(transforms)} if transforms else patch


# A classic Composition: one composed object per slice that needs no provider. Crossplane v1 composes
# cluster-scoped objects only (an XR's resourceRefs carry no namespace), so it is a ClusterRole that reads the
# slices, carrying the slice's parameters as annotations. Its connection details are the slice's endpoint and
# a token (the role's uid: a value only the API server knows, to show that netweave never copies it).
SAMPLE_COMPOSITION: dict[str, Any] = {
    "apiVersion": f"{XP_GROUP}/{XP_VERSION}",
    "kind": "Composition",
    "metadata": {"name": COMPOSITION, "labels": {"tier": "edge"}},
    "spec": {
        "compositeTypeRef": {"apiVersion": f"{GROUP}/{VERSION}", "kind": XR_KIND},
        "mode": "Resources",
        "writeConnectionSecretsToNamespace": NAMESPACE,
        "resources": [
            {
                "name": "slice-reader",
                "base": {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "ClusterRole",
                    "metadata": {"annotations": {}},
                    "rules": [{"apiGroups": [GROUP], "resources": [CLAIM_PLURAL, XR_PLURAL], "verbs": ["get"]}],
                },
                "patches": [
                    _from_parameter("sliceType", "slice-type"),
                    _from_parameter("site", "site"),
                    _from_parameter(
                        "bandwidthMbps", "bandwidth-mbps", {"type": "convert", "convert": {"toType": "string"}}
                    ),
                    {
                        "type": "FromCompositeFieldPath",
                        "fromFieldPath": "metadata.name",
                        "toFieldPath": _annotation("endpoint"),
                        "transforms": [
                            {"type": "string", "string": {"type": "Format", "fmt": "https://%s.slices.example.org"}}
                        ],
                    },
                ],
                "connectionDetails": [
                    {"name": "endpoint", "type": "FromFieldPath", "fromFieldPath": _annotation("endpoint")},
                    {"name": "token", "type": "FromFieldPath", "fromFieldPath": "metadata.uid"},
                ],
                "readinessChecks": [{"type": "NonEmpty", "fieldPath": _annotation("endpoint")}],
            }
        ],
    },
}


class CrossplaneUnavailable(Exception):
    """Crossplane or the garbage collector could not be built or started."""


def crossplane_version() -> str:
    """The Crossplane version tools/crossplane pins: the binary's and its CRDs'."""
    return backends("version", "crossplane")


def crd_manifests(version: str) -> list[dict[str, Any]]:
    """Every CRD of `cluster/crds/` in Crossplane's module zip at `version` (what `core init` installs)."""
    import yaml

    prefix = f"{CROSSPLANE_MODULE}@{version}/cluster/crds/"
    with zipfile.ZipFile(module_zip(CROSSPLANE_MODULE, version)) as archive:
        names = sorted(n for n in archive.namelist() if n.startswith(prefix) and n.endswith(".yaml"))
        return [yaml.safe_load(archive.read(name)) for name in names]


def client_certificates(cluster: KubeCluster, directory: Path) -> Path:
    """ca.crt, tls.crt and tls.key in `directory`: the harness's test CA and a client certificate it signs, which
    `core start` loads for its composition-function clients whether or not a function ever runs (in a cluster
    `core init` makes them into a Secret)."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cluster.directory / "ca.crt", directory / "ca.crt")
    ca_key = str(cluster.directory / "ca.key")
    for argv in (
        ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tls.key", "-out", "tls.csr", "-subj", "/CN=crossplane"],
        ["x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", ca_key, "-CAcreateserial", "-out", "tls.crt"],
    ):
        done = subprocess.run(["openssl", *argv], cwd=directory, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise CrossplaneUnavailable(f"openssl {argv[0]} failed: {done.stderr[-1000:]}")
    return directory


@dataclass
class RealCrossplane:
    """The running Crossplane core and garbage collector, on `cluster`."""

    cluster: KubeCluster
    processes: list[Process]

    def check_alive(self) -> None:
        for process in self.processes:
            if not process.alive():
                raise CrossplaneUnavailable(f"{Path(process.argv[0]).name} exited:\n{process.tail()}")

    def logs(self) -> str:
        return "\n\n".join(f"== {Path(p.argv[0]).name}\n{p.tail(80)}" for p in self.processes)


def _binary(name: str) -> str:
    try:
        return backends("path", name)
    except BackendUnavailable as exc:
        raise CrossplaneUnavailable(str(exc)) from exc


def _wait(process: Process, ready: Any, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and process.alive():
        if ready():
            return
        time.sleep(0.2)
    raise CrossplaneUnavailable(f"{what} did not become ready:\n{process.tail()}")


def _healthy(port: int) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    return False


def start_garbage_collector(cluster: KubeCluster, work: Path) -> Process:
    process = Process([_binary("kube-gc"), f"--kubeconfig={cluster.kubeconfig}"], work / "kube-gc.log").start()
    _wait(process, lambda: "Proceeding to collect garbage" in process.tail(200), "the garbage collector")
    return process


def start_crossplane(cluster: KubeCluster, work: Path) -> Process:
    health = _free_port()
    process = Process(
        [
            _binary("crossplane"),
            "core",
            "start",
            "--enable-webhooks=false",
            f"--namespace={NAMESPACE}",
            f"--metrics-port={_free_port()}",
            f"--health-probe-port={health}",
            f"--tls-client-certs-dir={client_certificates(cluster, work / 'tls')}",
            f"--xpkg-cache-dir={work / 'xpkg'}",
            "--poll-interval=5s",
            "--debug",
        ],
        work / "crossplane.log",
        {"KUBECONFIG": str(cluster.kubeconfig)},
    ).start()
    _wait(process, lambda: _healthy(health), "crossplane core")
    return process


def offer_sample_xrd(cluster: KubeCluster, process: Process) -> None:
    """Create the sample XRD and Composition, and wait until Crossplane has established and offered the XRD
    (its claim and composite CRDs served)."""
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    api_client = cluster.api_client()
    objects = client.CustomObjectsApi(api_client)
    try:
        for plural, body in (("compositeresourcedefinitions", SAMPLE_XRD), ("compositions", SAMPLE_COMPOSITION)):
            try:
                objects.create_cluster_custom_object(XP_GROUP, XP_VERSION, plural, body)
            except ApiException as exc:
                if exc.status != 409:
                    raise

        def offered() -> bool:
            xrd = objects.get_cluster_custom_object(
                XP_GROUP, XP_VERSION, "compositeresourcedefinitions", SAMPLE_XRD["metadata"]["name"]
            )
            conditions = {c["type"]: c["status"] for c in (xrd.get("status") or {}).get("conditions") or []}
            if conditions.get("Established") != "True" or conditions.get("Offered") != "True":
                return False
            try:
                objects.list_cluster_custom_object(GROUP, VERSION, CLAIM_PLURAL)
                objects.list_cluster_custom_object(GROUP, VERSION, XR_PLURAL)
            except ApiException as exc:
                if exc.status != 404:
                    raise
                return False
            return True

        _wait(process, offered, "the sample XRD")
    finally:
        api_client.close()


@pytest.fixture(scope="module")
def real_crossplane(kube_cluster: KubeCluster) -> Iterator[RealCrossplane]:
    """Crossplane core and the garbage collector, running for one test module, with Crossplane's CRDs, the
    sample XRD (established and offered by Crossplane) and its Composition (both kept for the session)."""
    work = Path(tempfile.mkdtemp(prefix="netweave-crossplane-"))
    started: list[Process] = []
    try:
        bodies = crd_manifests(crossplane_version())
        install_crds(kube_cluster, bodies, [(XP_GROUP, XP_VERSION, "compositeresourcedefinitions")], NAMESPACE)
        started.append(start_garbage_collector(kube_cluster, work))
        started.append(start_crossplane(kube_cluster, work))
        offer_sample_xrd(kube_cluster, started[-1])
    except (CrossplaneUnavailable, BackendUnavailable, OSError) as exc:
        for process in reversed(started):
            process.stop()
        shutil.rmtree(work, ignore_errors=True)
        pytest.fail(f"the real Crossplane could not be provided: {exc}", pytrace=False)
    try:
        yield RealCrossplane(kube_cluster, started)
    finally:
        for process in reversed(started):
            process.stop()
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def crossplane(real_crossplane: RealCrossplane) -> Iterator[RealCrossplane]:
    """The session's Crossplane, checked alive before and after the test (a crash fails it with the logs). The
    processes' last log lines are printed after each test: pytest shows them when the test failed."""
    real_crossplane.check_alive()
    yield real_crossplane
    print(real_crossplane.logs())
    real_crossplane.check_alive()

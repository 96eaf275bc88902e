"""Flux on the real kube-apiserver harness: its own CRDs, and the test playing its source- and
kustomize-controllers.

The CRDs are Flux's published manifests (`config/crd/bases/`) read from the source-controller and
kustomize-controller Go module zips at the pinned version (tests/crd_modules.py). The real controllers run in
one end-to-end test (tests/flux_controllers.py, v1.9.0); everywhere else `FluxController` plays the two
controllers, at no build cost (plugins/dms/flux/README.md):

- a GitRepository whose generation it has not observed gets Flux's finalizer and the status source-controller
  writes after a fetch: an artifact (revision `<ref>@sha1:<commit>`, also for a commit on a branch, or
  `sha1:<commit>` for a commit alone), conditions Ready and ArtifactInStorage (reason Succeeded),
  observedGeneration;
- a Kustomization whose generation it has not observed, or whose source has an artifact revision it has not
  applied, gets the finalizer and the status kustomize-controller writes after an apply: Ready (reason
  ReconciliationSucceeded, "Applied revision: ..."), lastAppliedRevision, lastAttemptedRevision, inventory,
  history snapshot, observedGeneration;
- an object being deleted loses the finalizer (the real controller garbage-collects first);
- a suspended object (`spec.suspend`) is left alone, as Flux's controllers leave it.

Status is written through the status subresource, and the API server validates it against Flux's schema.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from typing import Any

import pytest

from tests.crd_modules import StandInController, install_crds, module_crds
from tests.k8s_harness import KubeCluster

FLUX_VERSION = "v1.10.1"  # source-controller and kustomize-controller (Flux v2.8)
SOURCE_MODULE = "github.com/fluxcd/source-controller"
KUSTOMIZE_MODULE = "github.com/fluxcd/kustomize-controller"
SOURCE = ("source.toolkit.fluxcd.io", "v1", "gitrepositories")
KUSTOMIZE = ("kustomize.toolkit.fluxcd.io", "v1", "kustomizations")
FINALIZER = "finalizers.fluxcd.io"
NAMESPACE = "flux-system"


HELM_CONTROLLER_MODULE = "github.com/fluxcd/helm-controller"
# helm-controller v1.6.4 is Flux v2.9's; the proxy refuses its newer module versions (1.6.5, 1.7.x: 403).
HELM_CONTROLLER_VERSION = "v1.6.4"
HELM_REPOSITORIES = ("source.toolkit.fluxcd.io", "v1", "helmrepositories")
HELM_RELEASES = ("helm.toolkit.fluxcd.io", "v2", "helmreleases")


@pytest.fixture(scope="session")
def flux_crds(kube_cluster: KubeCluster) -> KubeCluster:
    """Flux's CRDs for both kinds of deployment: GitRepository + Kustomization, HelmRepository + HelmRelease."""
    bodies = (
        module_crds(
            SOURCE_MODULE,
            FLUX_VERSION,
            [
                "config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml",
                "config/crd/bases/source.toolkit.fluxcd.io_helmrepositories.yaml",
            ],
        )
        + module_crds(
            KUSTOMIZE_MODULE, FLUX_VERSION, ["config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml"]
        )
        + module_crds(
            HELM_CONTROLLER_MODULE,
            HELM_CONTROLLER_VERSION,
            ["config/crd/bases/helm.toolkit.fluxcd.io_helmreleases.yaml"],
        )
    )
    install_crds(kube_cluster, bodies, [SOURCE, KUSTOMIZE, HELM_REPOSITORIES, HELM_RELEASES], NAMESPACE)
    return kube_cluster


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _condition(kind: str, reason: str, message: str, generation: int) -> dict[str, Any]:
    return {
        "type": kind,
        "status": "True",
        "reason": reason,
        "message": message,
        "observedGeneration": generation,
        "lastTransitionTime": _now(),
    }


def git_revision(url: str, ref: dict[str, str]) -> str:
    """The artifact revision a fetch of `ref` yields: the commit itself (on its branch when one is given, as
    source-controller clones the branch and checks the commit out of it), or a stand-in commit per (url, ref)."""
    if ref.get("commit"):
        return f"{ref['branch']}@sha1:{ref['commit']}" if ref.get("branch") else f"sha1:{ref['commit']}"
    name = ref.get("name") or ref.get("tag") or ref.get("branch") or "master"
    return f"{name}@sha1:{hashlib.sha1(f'{url} {name}'.encode()).hexdigest()}"


def fetched_status(repo: dict[str, Any]) -> dict[str, Any]:
    meta, spec = repo["metadata"], repo["spec"]
    revision = git_revision(spec["url"], spec.get("ref") or {})
    commit = revision.rpartition("sha1:")[2]
    path = f"gitrepository/{meta['namespace']}/{meta['name']}/{commit}.tar.gz"
    message = f"stored artifact for revision '{revision}'"
    return {
        "observedGeneration": meta["generation"],
        "artifact": {
            "path": path,
            "url": f"http://source-controller.flux-system.svc.cluster.local./{path}",
            "revision": revision,
            "digest": "sha256:" + hashlib.sha256(revision.encode()).hexdigest(),
            "lastUpdateTime": _now(),
            "size": 1024,
        },
        "conditions": [
            _condition("Ready", "Succeeded", message, meta["generation"]),
            _condition("ArtifactInStorage", "Succeeded", message, meta["generation"]),
        ],
    }


def applied_status(kust: dict[str, Any], revision: str) -> dict[str, Any]:
    meta, status = kust["metadata"], kust.get("status") or {}
    namespace = kust["spec"].get("targetNamespace", "")
    history = list(status.get("history") or [])
    now = _now()
    history.insert(
        0,
        {
            "digest": "sha256:" + hashlib.sha256(f"{revision} {kust['spec']}".encode()).hexdigest(),
            "firstReconciled": now,
            "lastReconciled": now,
            "lastReconciledDuration": "120ms",
            "lastReconciledStatus": "ReconciliationSucceeded",
            "totalReconciliations": 1,
            "metadata": {"revision": revision},
        },
    )
    return {
        "observedGeneration": meta["generation"],
        "lastAppliedRevision": revision,
        "lastAttemptedRevision": revision,
        "inventory": {"entries": [{"id": f"{namespace}_{meta['name']}_apps_Deployment", "v": "v1"}]},
        "history": history[:5],
        "conditions": [
            _condition("Ready", "ReconciliationSucceeded", f"Applied revision: {revision}", meta["generation"])
        ],
    }


class FluxController(StandInController):
    """The part of Flux's source- and kustomize-controllers netweave's tests need."""

    what = "Flux controllers"

    def _finalize(self, kind: tuple[str, str, str], obj: dict[str, Any]) -> bool:
        """Add the finalizer to a live object, drop it from one being deleted; True when it wrote."""
        meta = obj["metadata"]
        finalizers = list(meta.get("finalizers") or [])
        if meta.get("deletionTimestamp"):
            if FINALIZER not in finalizers:
                return True
            finalizers.remove(FINALIZER)
        elif FINALIZER in finalizers:
            return False
        else:
            finalizers.append(FINALIZER)
        self.objects.patch_namespaced_custom_object(
            *kind[:2], meta["namespace"], kind[2], meta["name"], {"metadata": {"finalizers": finalizers}}
        )
        return True

    def _status(self, kind: tuple[str, str, str], obj: dict[str, Any], status: dict[str, Any]) -> None:
        meta = obj["metadata"]
        self.objects.patch_namespaced_custom_object_status(
            *kind[:2], meta["namespace"], kind[2], meta["name"], {"status": status}
        )

    def reconcile(self) -> None:
        from kubernetes.client.rest import ApiException

        try:
            artifacts = {}
            for repo in self.objects.list_cluster_custom_object(*SOURCE).get("items") or []:
                if self._finalize(SOURCE, repo) or repo["spec"].get("suspend"):
                    continue
                status = repo.get("status") or {}
                if status.get("observedGeneration") != repo["metadata"]["generation"]:
                    self._status(SOURCE, repo, fetched_status(repo))
                    continue
                artifacts[(repo["metadata"]["namespace"], repo["metadata"]["name"])] = status["artifact"]["revision"]
            for kust in self.objects.list_cluster_custom_object(*KUSTOMIZE).get("items") or []:
                if self._finalize(KUSTOMIZE, kust) or kust["spec"].get("suspend"):
                    continue
                meta, status = kust["metadata"], kust.get("status") or {}
                ref = kust["spec"]["sourceRef"]
                revision = artifacts.get((ref.get("namespace", meta["namespace"]), ref["name"]))
                if revision and (
                    status.get("observedGeneration") != meta["generation"]
                    or status.get("lastAppliedRevision") != revision
                ):
                    self._status(KUSTOMIZE, kust, applied_status(kust, revision))
        except ApiException as exc:
            if exc.status not in (404, 409):  # gone, or changed meanwhile: next round
                raise


@pytest.fixture
def flux_controller(flux_crds: KubeCluster) -> Iterator[StandInController]:
    yield from FluxController(flux_crds).running()

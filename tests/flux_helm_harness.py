"""The Helm half of Flux on the real kube-apiserver harness: the test playing source-controller for
HelmRepositories and helm-controller for HelmReleases (plugins/dms/flux/README.md says why).

The CRDs are Flux's published manifests: the HelmRepository's from the source-controller module zip (with the
other Flux CRDs, tests/flux_harness.py) and the HelmRelease's from the helm-controller module zip at
tests/flux_harness.HELM_CONTROLLER_VERSION, installed by `flux_crds`. What the stand-ins write, as the real
controllers do:

- a HelmRepository of type `default` whose generation is not observed gets Flux's finalizer and an index
  artifact (revision `sha256:<digest>`), conditions Ready and ArtifactInStorage (reason Succeeded),
  observedGeneration. One of type `oci` is a static object: source-controller writes it nothing;
- a HelmRelease whose generation is not observed, once its source is ready, gets the finalizer and the status
  helm-controller writes after a successful install or upgrade: Ready and Released (InstallSucceeded or
  UpgradeSucceeded, "Helm install succeeded for release <ns>/<name>.v<n> with chart <chart>@<version>"), a
  release snapshot prepended to `history` (the Helm release revision, chart name and version, digests),
  lastAttemptedRevision (the chart version released), lastAttemptedGeneration, lastAttemptedConfigDigest,
  lastAttemptedReleaseAction, helmChart, storageNamespace, observedGeneration. A version range or an empty
  version resolves to RESOLVED (the stand-in repository's newest chart);
- an object being deleted loses the finalizer (the real controller uninstalls the release first).

Status goes through the status subresource, where the API server validates it against Flux's schema.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.crd_modules import StandInController
from tests.flux_harness import HELM_RELEASES, HELM_REPOSITORIES, FluxController, _condition, _now
from tests.k8s_harness import KubeCluster

EXACT = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]*)?$")
RESOLVED = "1.0.0"


def _digest(value: Any) -> str:
    return "sha256:" + hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def index_status(repo: dict[str, Any]) -> dict[str, Any]:
    meta = repo["metadata"]
    revision = _digest(repo["spec"]["url"])
    path = f"helmrepository/{meta['namespace']}/{meta['name']}/index-{revision.rpartition(':')[2]}.yaml"
    message = f"stored artifact: revision '{revision}'"
    return {
        "observedGeneration": meta["generation"],
        "url": f"http://source-controller.flux-system.svc.cluster.local./{path}",
        "artifact": {
            "path": path,
            "url": f"http://source-controller.flux-system.svc.cluster.local./{path}",
            "revision": revision,
            "digest": revision,
            "lastUpdateTime": _now(),
            "size": 2048,
        },
        "conditions": [
            _condition("Ready", "Succeeded", message, meta["generation"]),
            _condition("ArtifactInStorage", "Succeeded", message, meta["generation"]),
        ],
    }


def released_status(release: dict[str, Any]) -> dict[str, Any]:
    meta, spec, status = release["metadata"], release["spec"], release.get("status") or {}
    chart = spec["chart"]["spec"]
    requested = str(chart.get("version") or "")
    version = requested.lstrip("v") if EXACT.match(requested) else RESOLVED
    namespace = spec.get("targetNamespace") or meta["namespace"]
    name = spec.get("releaseName") or meta["name"]
    previous = list(status.get("history") or [])
    number = int(previous[0]["version"]) + 1 if previous else 1
    action = "upgrade" if previous else "install"
    reason = "UpgradeSucceeded" if previous else "InstallSucceeded"
    config = _digest(spec.get("values") or {})
    now = _now()
    snapshot = {
        "name": name,
        "namespace": namespace,
        "version": number,
        "chartName": chart["chart"],
        "chartVersion": version,
        "appVersion": version,
        "configDigest": config,
        "digest": _digest([name, number, chart["chart"], version, config]),
        "firstDeployed": previous[-1]["firstDeployed"] if previous else now,
        "lastDeployed": now,
        "status": "deployed",
    }
    for older in previous:
        older["status"] = "superseded"
    message = f"Helm {action} succeeded for release {namespace}/{name}.v{number} with chart {chart['chart']}@{version}"
    return {
        "observedGeneration": meta["generation"],
        "lastAttemptedGeneration": meta["generation"],
        "lastAttemptedRevision": version,
        "lastAttemptedConfigDigest": config,
        "lastAttemptedReleaseAction": action,
        "helmChart": f"{meta['namespace']}/{meta['namespace']}-{meta['name']}",
        "storageNamespace": namespace,
        "history": [snapshot, *previous][:5],
        "conditions": [
            _condition("Ready", reason, message, meta["generation"]),
            _condition("Released", reason, message, meta["generation"]),
        ],
    }


class FluxHelmController(FluxController):
    """The part of source-controller (HelmRepositories) and helm-controller netweave's tests need; the
    finalizer and status writes are FluxController's."""

    what = "Flux Helm controllers"

    def reconcile(self) -> None:
        from kubernetes.client.rest import ApiException

        try:
            ready = set()
            for repo in self.objects.list_cluster_custom_object(*HELM_REPOSITORIES).get("items") or []:
                key = (repo["metadata"]["namespace"], repo["metadata"]["name"])
                if repo["spec"].get("type") == "oci":  # static: the real controller writes it nothing
                    ready.add(key)
                    continue
                if self._finalize(HELM_REPOSITORIES, repo):
                    continue
                if (repo.get("status") or {}).get("observedGeneration") != repo["metadata"]["generation"]:
                    self._status(HELM_REPOSITORIES, repo, index_status(repo))
                    continue
                ready.add(key)
            for release in self.objects.list_cluster_custom_object(*HELM_RELEASES).get("items") or []:
                if self._finalize(HELM_RELEASES, release):
                    continue
                meta = release["metadata"]
                source = release["spec"]["chart"]["spec"]["sourceRef"]
                if (
                    release["spec"].get("suspend")
                    or (source.get("namespace", meta["namespace"]), source["name"]) not in ready
                ):
                    continue
                if (release.get("status") or {}).get("observedGeneration") != meta["generation"]:
                    self._status(HELM_RELEASES, release, released_status(release))
        except ApiException as exc:
            if exc.status not in (404, 409):  # gone, or changed meanwhile: next round
                raise


@pytest.fixture
def flux_helm_controller(flux_crds: KubeCluster) -> Iterator[StandInController]:
    yield from FluxHelmController(flux_crds).running()

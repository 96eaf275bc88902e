"""Fixtures for the O2dms API tests: a synced mock O-Cloud (its deployment managers), a DMS plugin instance,
Celery running tasks inline after each request's commit, and the test charts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from plugins.testing.dms import chart_directory_archive
from tests.argocd_harness import argo_controller, argocd_crds  # noqa: F401 - the Argo CD fixtures
from tests.argocd_rest_fake import argocd_server, argocd_swagger  # noqa: F401 - the fake Argo CD API server
from tests.crossplane_harness import XRD_CONFIG, crossplane, real_crossplane  # noqa: F401 - the real Crossplane
from tests.flux_controllers import real_flux, real_flux_crds, real_flux_helm  # noqa: F401 - the real Flux controllers
from tests.flux_harness import flux_controller, flux_crds  # noqa: F401 - the Flux fixtures
from tests.flux_helm_harness import flux_helm_controller  # noqa: F401 - the stand-in helm-controller
from tests.kwok_harness import kwok_node  # noqa: F401 - the kwok fixture, for the Helm logs tests

CHARTS = Path(__file__).resolve().parent.parent / "fixtures" / "charts"
LIFECYCLE = "O2dms_DeploymentLifecycle"


def chart(name: str) -> bytes:
    return chart_directory_archive(CHARTS / name)


@pytest.fixture
def run_tasks(run_tasks: Callable[[Callable[[], Any]], Any], settings: Any) -> Callable[[Callable[[], Any]], Any]:
    """The root `run_tasks`, with the deployment poll shortened so that inline operations settle fast."""
    settings.NETWEAVE_DMS_POLL_SECONDS = 0.05
    return run_tasks


@pytest.fixture
def manager(synced_mock: Any) -> Any:
    """A deployment manager of the mock O-Cloud."""
    from inventory.models import DeploymentManager

    return DeploymentManager.objects.order_by("name").first()


@pytest.fixture
def mock_dms(db: None, tmp_path: Path) -> Any:
    from plugins.models import PluginInstance, RoutingRule

    instance = PluginInstance.objects.create(
        name="mock-dms",
        category="dms",
        plugin_type="mock",
        is_default=True,
        config={"stateFile": str(tmp_path / "mock-dms.sqlite3"), "progressSeconds": 0},
    )
    RoutingRule.objects.create(
        name="charts", category="dms", priority=1, plugin_instance=instance, match_type="helm-chart"
    )
    return instance


def base(manager: Any) -> str:
    return f"/o2dms/v1/{manager.id}/{LIFECYCLE}"


# --- the Helm plugin against the real kube-apiserver (tests/k8s_harness.py) -----------------------------------

REPO = Path(__file__).resolve().parent.parent.parent
BACKENDS = REPO / "scripts" / "backends.py"


@pytest.fixture(scope="session")
def helm_binary() -> str:
    """The pinned helm CLI (tools/helm, built once into the machine-level backend cache by scripts/backends.py).
    Fails, never skips, if it cannot be provided."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, str(BACKENDS), "path", "helm"], capture_output=True, text=True, timeout=3600, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"the pinned helm CLI could not be provided: {done.stderr[-3000:]}", pytrace=False)
    return done.stdout.strip().splitlines()[-1]


def helm_config(cluster: Any, binary: str, chart_dir: Path, **overrides: Any) -> dict[str, Any]:
    return {
        "kubeconfig": str(cluster.kubeconfig),
        "helmBinary": binary,
        "chartDir": str(chart_dir),
        "timeout": "60s",
        "maxHistory": 20,
        **overrides,
    }


@pytest.fixture
def cluster_manager(db: None, kube_cluster: Any) -> Any:
    """The harness's cluster as an O2ims deployment manager, synced by the Kubernetes IMS plugin."""
    from inventory.models import DeploymentManager
    from inventory.sync import sync_instance
    from plugins.models import PluginInstance, Secret

    secret = Secret.objects.create(
        name="e2e-kubeconfig", provider=Secret.Provider.FILE, reference=str(kube_cluster.kubeconfig)
    )
    ims = PluginInstance.objects.create(
        name="e2e-cluster",
        category="ims",
        plugin_type="kubernetes",
        sync_interval=0,
        config={"kubeconfig": {"secretRef": secret.name}, "clusterName": "e2e-cluster"},
    )
    sync_instance(ims)
    return DeploymentManager.objects.get(plugin_instance=ims)


@pytest.fixture
def helm_dms(db: None, kube_cluster: Any, helm_binary: str, tmp_path: Path, cluster_manager: Any) -> Any:
    """A helm DMS PluginInstance on the harness's API server, serving that cluster's deployment manager only:
    routed by package type and the deployment manager (docs/decisions/0005-dms-routing.md), not a default."""
    from plugins.models import PluginInstance, RoutingRule

    instance = PluginInstance.objects.create(
        name="helm-e2e",
        category="dms",
        plugin_type="helm",
        config=helm_config(kube_cluster, helm_binary, tmp_path / "charts", namespace="netweave-e2e"),
    )
    RoutingRule.objects.create(
        name="charts-to-helm",
        category="dms",
        priority=1,
        plugin_instance=instance,
        match_type="helm-chart",
        conditions={"deploymentManager": cluster_manager.name},
    )
    return instance


# --- the kustomize plugin against the real kube-apiserver ----------------------------------------------------


@pytest.fixture(scope="session")
def kustomize_binary() -> str:
    """The pinned kustomize CLI, built once by scripts/backends.py (cached outside the repo). Fails, never skips."""
    import subprocess
    import sys

    command = [sys.executable, str(REPO / "scripts" / "backends.py"), "path", "kustomize"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600, check=False)
    if done.returncode != 0:
        pytest.fail(f"the pinned kustomize CLI could not be built: {done.stderr[-3000:]}", pytrace=False)
    return done.stdout.strip().splitlines()[-1]


def kustomize_config(cluster: Any, binary: str, package_dir: Path, **overrides: Any) -> dict[str, Any]:
    return {
        "kubeconfig": str(cluster.kubeconfig),
        "kustomizeBinary": binary,
        "packageDir": str(package_dir),
        "timeout": "60s",
        "maxHistory": 20,
        **overrides,
    }


@pytest.fixture
def kustomize_dms(db: None, kube_cluster: Any, kustomize_binary: str, tmp_path: Path, cluster_manager: Any) -> Any:
    """A kustomize DMS PluginInstance on the harness's API server, routed `kustomize` packages of that cluster's
    deployment manager by a routing rule (beside any helm rule)."""
    from plugins.models import PluginInstance, RoutingRule

    instance = PluginInstance.objects.create(
        name="kustomize-e2e",
        category="dms",
        plugin_type="kustomize",
        config=kustomize_config(kube_cluster, kustomize_binary, tmp_path / "overlays", namespace="netweave-e2e"),
    )
    RoutingRule.objects.create(
        name="overlays-to-kustomize",
        category="dms",
        priority=1,
        plugin_instance=instance,
        match_type="kustomize",
        conditions={"deploymentManager": cluster_manager.name},
    )
    return instance


@pytest.fixture
def argocd_dms(
    db: None, request: pytest.FixtureRequest, kube_cluster: Any, tmp_path: Path, cluster_manager: Any
) -> Any:
    """An argocd DMS PluginInstance (CRD mode) on the harness's API server, with the stand-in controller
    running; `git-repo` packages of the cluster's deployment manager are routed to it."""
    from plugins.models import PluginInstance, RoutingRule

    request.getfixturevalue("argo_controller")

    instance = PluginInstance.objects.create(
        name="argocd-e2e",
        category="dms",
        plugin_type="argocd",
        config={"kubeconfig": str(kube_cluster.kubeconfig), "packageDir": str(tmp_path / "refs")},
    )
    RoutingRule.objects.create(
        name="git-to-argocd",
        category="dms",
        priority=1,
        plugin_instance=instance,
        match_type="git-repo",
        conditions={"deploymentManager": cluster_manager.name, "gitOps": True},
    )
    return instance


@pytest.fixture
def flux_dms(db: None, request: pytest.FixtureRequest, kube_cluster: Any, tmp_path: Path, cluster_manager: Any) -> Any:
    """A flux DMS PluginInstance on the harness's API server, with the stand-in controllers running; `git-repo`
    references of the cluster's deployment manager with `gitOps: true` and the label gitops.engine=flux are
    routed to it."""
    request.getfixturevalue("flux_controller")
    return make_flux_dms(
        "flux-e2e", cluster_manager, kubeconfig=str(kube_cluster.kubeconfig), packageDir=str(tmp_path / "flux-refs")
    )


def heard_create_change_delete(receiver: Any) -> None:
    """The subscriber heard the deployment created (0) first, changed (1), and deleted (2) last."""
    bodies = receiver.wait_for(lambda b: any(n["notificationEventType"] == 2 for n in b))
    events = [n["notificationEventType"] for n in bodies]
    assert events[0] == 0
    assert 1 in events
    assert events[-1] == 2


def _flux_rule(instance: Any, match_type: str, priority: int, conditions: dict[str, Any]) -> Any:
    """A DMS routing rule to the flux `instance` (its labels: gitops.engine=flux); returns the instance."""
    from plugins.models import RoutingRule

    RoutingRule.objects.create(
        name=f"{match_type}-to-{instance.name}",
        category="dms",
        priority=priority,
        plugin_instance=instance,
        match_type=match_type,
        conditions={**conditions, "labels": {"gitops.engine": "flux"}},
    )
    return instance


def route_flux_charts(instance: Any, cluster_manager: Any) -> Any:
    """Also route `cluster_manager`'s charts (packageType helm-chart) labelled gitops.engine=flux to the flux
    `instance`, above the default rule to the helm plugin; returns the instance."""
    return _flux_rule(instance, "helm-chart", 2, {"deploymentManager": cluster_manager.name})


def make_flux_dms(name: str, cluster_manager: Any, **config: Any) -> Any:
    """A flux DMS PluginInstance `name` with `config`, and the rule that routes the `git-repo` references of
    `cluster_manager` with `gitOps: true` and the label gitops.engine=flux to it."""
    from plugins.models import PluginInstance

    instance = PluginInstance.objects.create(name=name, category="dms", plugin_type="flux", config=config)
    return _flux_rule(instance, "git-repo", 1, {"deploymentManager": cluster_manager.name, "gitOps": True})


@pytest.fixture
def crossplane_dms(
    db: None, request: pytest.FixtureRequest, kube_cluster: Any, tmp_path: Path, cluster_manager: Any
) -> Any:
    """A crossplane DMS PluginInstance (claims of the sample XRD) on the harness's API server, with the real
    Crossplane running; `crossplane-claim` templates of the cluster's deployment manager are routed to it."""
    from plugins.models import PluginInstance, RoutingRule

    request.getfixturevalue("crossplane")
    instance = PluginInstance.objects.create(
        name="crossplane-e2e",
        category="dms",
        plugin_type="crossplane",
        config={
            "kubeconfig": str(kube_cluster.kubeconfig),
            "xrd": XRD_CONFIG,
            "compositionSelector": {"tier": "edge"},
            "packageDir": str(tmp_path / "claims"),
        },
    )
    RoutingRule.objects.create(
        name="claims-to-crossplane",
        category="dms",
        priority=1,
        plugin_instance=instance,
        match_type="crossplane-claim",
        conditions={"deploymentManager": cluster_manager.name},
    )
    return instance

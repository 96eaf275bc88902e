"""Fixtures for the hardening tests (issue 13): the O2dms fixtures are reused, not copied."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deployments.conftest import base, chart, manager, mock_dms  # noqa: F401 - fixtures
from tests.notifications.conftest import allow_loopback, ims_instance  # noqa: F401 - fixtures
from tests.o2client import O2Client, json_of


@pytest.fixture
def world(
    synced_mock: Any,
    manager: Any,  # noqa: F811 - the imported fixture
    mock_dms: Any,  # noqa: F811 - the imported fixture
    o2: O2Client,
    run_tasks: Any,
) -> dict[str, str]:
    """Ids of real objects for the path parameters, so each view gets as far as reading its body."""
    from inventory.models import DeploymentManager, Resource, ResourcePool
    from plugins.models import PluginInstance, RoutingRule, Secret

    prometheus = PluginInstance.objects.create(
        name="prom",
        category="observability",
        plugin_type="prometheus",
        config={"prometheusUrl": "http://127.0.0.1:9", "alertmanagerUrl": "http://127.0.0.1:9"},
        sync_interval=15,
    )

    Secret.objects.create(name="prom", provider=Secret.Provider.ENV, reference="NETWEAVE_HARDENING_UNSET")
    rule = RoutingRule.objects.create(name="deep", category="ims", plugin_instance=prometheus, match_type="*")

    pool = ResourcePool.objects.order_by("id").first()
    resource = Resource.objects.order_by("id").first()
    assert pool is not None
    assert resource is not None
    assert isinstance(manager, DeploymentManager)
    lifecycle = base(manager)
    created = o2.post(f"{lifecycle}/NfDeploymentDescriptor", chart("netweave-demo"), content_type="application/gzip")
    descriptor = json_of(created)["id"]
    run_tasks(lambda: o2.post(f"{lifecycle}/NfDeployment", {"name": "nf-deep", "descriptorId": descriptor}))
    deployment = json_of(o2.get(f"{lifecycle}/NfDeployment"))[0]["id"]
    return {
        "resourcePoolId": str(pool.id),
        "resourceId": str(resource.id),
        "deploymentManagerId": str(manager.id),
        "descriptorId": descriptor,
        "deploymentId": deployment,
        "instanceName": "prom",
        "name": "prom",  # the admin extension's plugin instance and secret
        "ruleId": str(rule.pk),
    }

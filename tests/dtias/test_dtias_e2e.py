"""The DTIAS IMS plugin end to end: the fake DTIAS server on one side, netweave's admin and HTTP API on the other.

An instance added through the admin form syncs the tenant into O2 (paged lists); a pool created through the API
with the seed's `infrastructure.type: bare-metal` label is routed to DTIAS, becomes a resource group through an
asynchronous job and holds the servers DTIAS allocated; tokens are refreshed before they expire; a failed job is a
409 with DTIAS's reason; an outage keeps reads serving, turns health unhealthy and raises the backend alarm, which
the next good sync clears. The seed's routing rules also hold in the admin's routing simulator.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from inventory.models import Resource, ResourcePool, ResourceType
from inventory.sync import SyncFailed, sync_instance
from plugins import registry
from plugins.models import PluginInstance, RoutingRule
from tests.alarms.conftest import ALARMS
from tests.dtias.conftest import plugin_config
from tests.dtias.fake_dtias import FakeDTIASServer
from tests.o2client import O2Client, json_of
from tests.plugin_forms import add_url, plugin_form

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("forget_plugin_objects")]
V1 = "/o2ims-infrastructureInventory/v1"
EXT = "/netweave-ims-ext/v1/resourcePools"
BACKEND_ALARM = "netweave-ims-backend-unreachable"
BARE_METAL = {"infrastructure.type": "bare-metal"}


def seed_routing(dtias_instance: Any, vsphere_instance: Any | None = None) -> None:
    """The seed's example rules: bare metal to DTIAS (priority 95); VMware by label; the IMS default otherwise."""
    RoutingRule.objects.create(
        name="bare-metal-edge",
        category="ims",
        priority=95,
        plugin_instance=dtias_instance,
        conditions={"labels": BARE_METAL},
    )
    if vsphere_instance is not None:
        RoutingRule.objects.create(
            name="vmware",
            category="ims",
            priority=90,
            plugin_instance=vsphere_instance,
            conditions={"labels": {"infrastructure.type": "vmware"}},
        )


def test_instance_added_in_the_admin_syncs_the_tenant_into_o2(
    o2: O2Client, admin_client: Client, dtias: FakeDTIASServer
) -> None:
    config = {k: v for k, v in plugin_config(dtias).items() if k != "password"}
    response = admin_client.post(
        add_url("ims.dtias"),
        plugin_form("dtias-edge", config, {"password": dtias.state.password}, is_default="on"),
        follow=True,
    )
    assert response.status_code == 200
    instance = PluginInstance.objects.get(name="dtias-edge")
    assert dtias.state.password not in json.dumps(instance.config)
    assert registry.check_health(instance).healthy

    sync_instance(instance)
    server_pages = [p for m, p in dtias.state.requests if p.endswith("/inventory/servers")]
    assert len(server_pages) >= 3  # 12 servers, 5 a page
    (pool,) = json_of(o2.get(f"{V1}/resourcePools?all_fields"))
    assert pool["extensions"]["dtias.bareMetalCount"] == 12
    resources = json_of(o2.get(f"{V1}/resourcePools/{pool['resourcePoolId']}/resources?all_fields"))
    assert len(resources) == 12
    server = next(r for r in resources if r["extensions"]["dtias.serverId"] == "srv-00000")
    assert server["globalAssetId"] == "SVCTAG00000"
    assert server["extensions"]["dtias.provisioningState"] == "AVAILABLE"
    assert server["extensions"]["dtias.cpuCores"] == 32
    types = {t["name"]: t for t in json_of(o2.get(f"{V1}/resourceTypes?all_fields"))}
    assert set(types) == {"xr8620t-du", "r760-cu"}
    assert types["r760-cu"]["resourceKind"] == "PHYSICAL"
    (manager,) = json_of(o2.get(f"{V1}/deploymentManagers?all_fields"))
    assert manager["supportedLocations"] == ["dallas-edge-1"]
    # R005: the DTIAS site is a location and the O-Cloud site in it; the pool (its servers all there) is placed at it.
    (location,) = json_of(o2.get(f"{V1}/locations"))
    (site,) = json_of(o2.get(f"{V1}/oCloudSites"))
    assert (location["globalLocationId"], site["name"]) == ("dtias:dallas-edge-1", "dallas-edge-1")
    assert site["globalLocationId"] == location["globalLocationId"]
    assert pool["oCloudSiteId"] == site["oCloudSiteId"]
    assert sync_instance(instance).changed == 0


def test_verify_tls_off_is_a_warning_in_the_admin(admin_client: Client, dtias: FakeDTIASServer) -> None:
    config = {k: v for k, v in plugin_config(dtias).items() if k != "password"} | {"verifyTls": False}
    response = admin_client.post(
        add_url("ims.dtias"),
        plugin_form("dtias-lab", config, {"password": dtias.state.password}),
        follow=True,
    )
    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert any("verifyTls is off" in w for w in warnings), warnings


def test_bare_metal_pool_is_routed_to_dtias_and_made_by_a_job(
    o2: O2Client, dtias: FakeDTIASServer, make_dtias_instance: Any, make_mock_instance: Any
) -> None:
    make_mock_instance()  # the IMS default
    instance = make_dtias_instance(dtias, default=False)
    seed_routing(instance)
    sync_instance(instance)
    created = o2.post(
        EXT,
        {
            "name": "DU pool Dallas",
            "description": "far-edge DUs",
            "labels": BARE_METAL,
            "extensions": {
                "dtias.resourceSelectors": {"du": {"resourceProfileId": "xr8620t-du", "numResources": 3}},
            },
        },
    )
    assert created.status_code == 201, created.content
    pool = json_of(created)
    row = ResourcePool.objects.get(id=pool["resourcePoolId"])
    assert row.plugin_instance == instance
    group = dtias.state.groups[row.native_id]
    assert group["name"] == "DU pool Dallas"
    assert len(group["resourceSelectors"]["du"]["resources"]) == 3
    assert pool["extensions"]["dtias.bareMetalCount"] == 3
    assert pool["extensions"]["dtias.provisioningState"] == "ACTIVE"
    assert any(p.endswith("/jobs/" + j) for j in dtias.state.jobs for _, p in dtias.state.requests)

    sync_instance(instance)  # the servers now belong to the new pool
    members = json_of(o2.get(f"{V1}/resourcePools/{pool['resourcePoolId']}/resources"))
    assert len(members) == 3

    patched = o2.patch(f"{EXT}/{pool['resourcePoolId']}", {"description": "far-edge DUs, rack 2"})
    assert patched.status_code == 200, patched.content
    assert dtias.state.groups[row.native_id]["description"] == "far-edge DUs, rack 2"

    # More servers than are free: the job fails, DTIAS's reason is in the 409.
    refused = o2.post(
        EXT,
        {
            "name": "too big",
            "labels": BARE_METAL,
            "extensions": {"dtias.resourceSelectors": {"cu": {"resourceProfileId": "r760-cu", "numResources": 99}}},
        },
    )
    assert refused.status_code == 409, refused.content
    assert "99 servers of profile r760-cu requested, 6 free" in json_of(refused)["detail"]

    assert o2.delete(f"{EXT}/{pool['resourcePoolId']}").status_code == 204
    assert row.native_id not in dtias.state.groups
    sync_instance(instance)
    assert Resource.objects.filter(plugin_instance=instance, resource_pool__native_id="unallocated").count() == 12

    # Servers are physical: creating one through netweave is not supported (501).
    unallocated = ResourcePool.objects.get(plugin_instance=instance, native_id="unallocated")
    rtype = ResourceType.objects.filter(plugin_instance=instance).first()
    assert rtype is not None
    response = o2.post(f"{EXT}/{unallocated.id}/resources", {"resourceTypeId": str(rtype.id)})
    assert response.status_code == 501


def test_bad_pool_requests_name_the_field(o2: O2Client, dtias: FakeDTIASServer, make_dtias_instance: Any) -> None:
    instance = make_dtias_instance(dtias)
    cases = [
        ({}, "extensions.dtias.resourceSelectors"),
        (
            {"dtias.resourceSelectors": {"du": {"resourceProfileId": "x", "numResources": 0}}},
            "extensions.dtias.resourceSelectors.du.numResources",
        ),
        (
            {"dtias.resourceSelectors": {"du": {"numResources": 1}}},
            "extensions.dtias.resourceSelectors.du.resourceProfileId",
        ),
        ({"dtias.colour": "blue"}, "extensions.dtias.colour"),
    ]
    for extensions, field in cases:
        response = o2.post(EXT, {"name": "x", "pluginInstance": instance.name, "extensions": extensions})
        assert response.status_code == 400, (extensions, response.content)
        assert json_of(response)["additionalAttributes"]["field"] == field


def test_tokens_are_refreshed_before_they_expire(dtias: FakeDTIASServer) -> None:
    from plugins.ims.dtias.plugin import DTIASIMSPlugin

    dtias.state.token_seconds = 1.5
    plugin = DTIASIMSPlugin("tokens")
    plugin.initialize(plugin_config(dtias, tokenRefreshMarginSeconds=1.0))
    try:
        assert plugin.health().healthy
        first = plugin.client.token()
        time.sleep(0.7)  # within the margin of the expiry: the next call refreshes first, no 401 is met
        assert plugin.list_resource_pools()
        assert plugin.client.token() != first
        grants = [p for _, p in dtias.state.requests if p.endswith("/token/create")]
        assert len(grants) == 2
        unauthorized_before = len(dtias.state.requests)
        dtias.state.tokens.clear()  # tokens revoked server-side: a 401, then a new token and the call again
        assert plugin.list_resource_types()
        assert len(dtias.state.requests) > unauthorized_before
    finally:
        plugin.close()


def test_wrong_password_is_an_authentication_failure(dtias: FakeDTIASServer, make_dtias_instance: Any) -> None:
    from plugins.models import Secret
    from plugins.secrets import set_secret_value

    instance = make_dtias_instance(dtias)
    set_secret_value(Secret.objects.get(name="dtias-edge-password"), "not-the-password")
    status = registry.check_health(instance)
    assert not status.healthy
    assert status.message.startswith("authentication failed")
    assert "not-the-password" not in status.message


def test_outage_reads_serve_health_and_alarm(o2: O2Client, dtias: FakeDTIASServer, make_dtias_instance: Any) -> None:
    instance = make_dtias_instance(dtias)
    sync_instance(instance)
    before = json_of(o2.get(f"{V1}/resourcePools?all_fields"))
    port = dtias.server_address[1]
    dtias.stop()
    try:
        assert json_of(o2.get(f"{V1}/resourcePools?all_fields")) == before
        status = registry.check_health(instance)
        assert not status.healthy
        assert status.message.startswith("unreachable: DTIAS is unreachable")
        with pytest.raises(SyncFailed):
            sync_instance(instance)
        alarms = json_of(o2.get(f"{ALARMS}?filter=(eq,alarmDefinitionId,{BACKEND_ALARM})&all_fields"))
        assert [a["perceivedSeverity"] for a in alarms] == [1]
    finally:
        back = FakeDTIASServer(dtias.state, port).start()
    try:
        sync_instance(instance)
        alarms = json_of(o2.get(f"{ALARMS}?filter=(eq,alarmDefinitionId,{BACKEND_ALARM})&all_fields"))
        assert [a["perceivedSeverity"] for a in alarms] == [5]
    finally:
        back.stop()


def test_seed_routing_rules_in_the_routing_simulator(
    admin_client: Client, dtias: FakeDTIASServer, make_dtias_instance: Any, make_mock_instance: Any
) -> None:
    default = make_mock_instance()
    dtias_instance = make_dtias_instance(dtias, default=False)
    vsphere_instance = PluginInstance.objects.create(
        name="vsphere-enterprise", category="ims", plugin_type="vsphere", is_default=False, sync_interval=0, config={}
    )
    seed_routing(dtias_instance, vsphere_instance)
    url = reverse("admin:plugins_routingrule_simulate")

    def routed(labels: str) -> Any:
        return admin_client.get(url, {"category": "ims", "match_type": "*", "labels": labels}).context["outcome"]

    assert routed("infrastructure.type=bare-metal")["instance"] == dtias_instance
    assert routed("infrastructure.type=bare-metal")["rule"].name == "bare-metal-edge"
    assert routed("infrastructure.type=vmware")["instance"] == vsphere_instance
    assert routed("site=dallas")["instance"] == default

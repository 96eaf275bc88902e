"""The Azure AKS IMS plugin end to end: the fake ARM on one side, netweave's HTTP API and admin on the other.

Agent pools and their VMSS instances appear in O2 (with the region as R005 location, its zones as O-Cloud sites)
after a sync; scaling a pool through the write extension runs the agent pool PUT to Succeeded through the SDK's
poller and subscribers hear of the new nodes; routing rules send a new pool to Azure; the client secret (a Secret)
shows nowhere; throttling and an outage keep the inventory and raise the backend alarm.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from inventory import identity
from inventory.alarms import backend_health, lifecycle
from inventory.models import Resource, ResourcePool
from inventory.notifications.receiver import Receiver
from inventory.sync import SyncFailed, sync_instance
from plugins import registry
from plugins.models import RoutingRule
from tests.azure.conftest import CLUSTER, GROUP, REGION
from tests.azure.fake_arm import World
from tests.notifications.conftest import subscribe
from tests.o2client import O2Client, json_of, o2_list

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("forget_plugin_objects")]
V1 = "/o2ims-infrastructureInventory/v1"
EXT = "/netweave-ims-ext/v1/resourcePools"
ALARMS = "/o2ims-infrastructureMonitoring/v1/alarms"


def test_agent_pools_and_instances_appear_and_a_scale_reaches_arm_and_subscribers(
    o2: O2Client, arm: World, make_azure_instance: Any, receiver: Receiver, deliver: Any
) -> None:
    arm.add_cluster(GROUP, CLUSTER)
    arm.add_pool(GROUP, CLUSTER, "system", count=1, mode="System", zones=["1", "2", "3"])
    arm.add_pool(GROUP, CLUSTER, "cu", count=3, zones=["2"], vm_size="Standard_D8s_v5")
    instance = make_azure_instance()
    sync_instance(instance)
    # Paging was followed: three VMs, two per page.
    assert "VirtualMachineScaleSetVMs_List" in arm.follows

    pool_id = identity.object_uuid(instance.pk, identity.RESOURCE_POOL, f"{GROUP}/{CLUSTER}/cu")
    pool = json_of(o2.get(f"{V1}/resourcePools/{pool_id}?all_fields"))
    assert (pool["name"], pool["location"]) == ("cu", REGION)
    assert (pool["extensions"]["azure.count"], pool["extensions"]["azure.nodeCount"]) == (3, 3)
    nodes = o2_list(o2, f"{V1}/resourcePools/{pool_id}/resources")
    assert sorted(n["extensions"]["azure.instanceId"] for n in nodes) == ["0", "1", "2"]
    size = json_of(o2.get(f"{V1}/resourceTypes/{nodes[0]['resourceTypeId']}?all_fields"))
    assert (size["name"], size["extensions"]["azure.numberOfCores"]) == ("Standard_D8s_v5", 8)

    (location,) = o2_list(o2, f"{V1}/locations")
    sites = {s["name"]: s for s in o2_list(o2, f"{V1}/oCloudSites")}
    assert location["globalLocationId"] == REGION
    assert set(sites) == {f"{REGION}-1", f"{REGION}-2", f"{REGION}-3"}
    assert pool["oCloudSiteId"] == sites[f"{REGION}-2"]["oCloudSiteId"]
    assert sync_instance(instance).skipped  # nothing changed in Azure: the fingerprint matches

    subscribe(o2, receiver.url + "/smo", consumerSubscriptionId="smo-aks")
    arm.requests.clear()
    patched = deliver(lambda: o2.patch(f"{EXT}/{pool_id}", {"extensions": {"azure.count": 5}}))
    assert patched.status_code == 200, patched.content
    assert json_of(patched)["extensions"]["azure.nodeCount"] == 5
    assert arm.node_count(GROUP, CLUSTER, "cu") == 5
    # The long-running operation: the PUT, then its Azure-AsyncOperation status read until Succeeded.
    ops = arm.operation_ids()
    assert ops.count("AgentPools_CreateOrUpdate") == 1
    assert ops.count("AksOperationStatus_Get") >= 2
    deliver(lambda: sync_instance(instance))
    created = [b for b in receiver.bodies() if b["notificationEventType"] == 0]
    assert len(created) == 2
    assert {b["postObjectState"]["resourcePoolId"] for b in created} == {str(pool_id)}
    assert Resource.objects.filter(resource_pool_id=pool_id).count() == 5

    refused = o2.patch(f"{EXT}/{pool_id}", {"description": "AKS has none"})
    assert refused.status_code == 400
    assert json_of(refused)["additionalAttributes"]["field"] == "description"
    bad = o2.patch(f"{EXT}/{pool_id}", {"extensions": {"azure.count": -1}})
    assert bad.status_code == 400
    assert json_of(bad)["additionalAttributes"]["field"] == "extensions.azure.count"


def test_routing_rules_send_a_new_pool_to_azure_by_label_and_by_resource_type(
    o2: O2Client, arm: World, make_azure_instance: Any, make_mock_instance: Any
) -> None:
    arm.add_cluster(GROUP, CLUSTER)
    mock = make_mock_instance(default=True)
    cloud = make_azure_instance(default=False)
    sync_instance(cloud)
    RoutingRule.objects.create(
        name="azure-by-label",
        category="ims",
        priority=20,
        plugin_instance=cloud,
        conditions={"labels": {"cloud": "azure"}},
    )
    RoutingRule.objects.create(
        name="azure-by-type", category="ims", priority=10, plugin_instance=cloud, match_type="aks-agentpool"
    )
    extensions = {"azure.cluster": f"{GROUP}/{CLUSTER}", "azure.count": 2, "azure.zones": ["1"]}

    by_label = o2.post(EXT, {"name": "bylabel", "labels": {"cloud": "azure"}, "extensions": extensions})
    assert by_label.status_code == 201, by_label.content
    by_type = o2.post(EXT, {"name": "bytype", "resourceType": "aks-agentpool", "extensions": extensions})
    assert by_type.status_code == 201, by_type.content
    elsewhere = o2.post(EXT, {"name": "mock-pool", "extensions": {}})
    assert elsewhere.status_code == 201, elsewhere.content

    for response in (by_label, by_type):
        assert ResourcePool.objects.get(id=json_of(response)["resourcePoolId"]).plugin_instance == cloud
    assert ResourcePool.objects.get(id=json_of(elsewhere)["resourcePoolId"]).plugin_instance == mock
    assert sorted(arm.clusters[(GROUP, CLUSTER)]["pools"]) == ["bylabel", "bytype"]
    assert arm.node_count(GROUP, CLUSTER, "bylabel") == 2
    assert "AksOperationStatus_Get" in arm.operation_ids()  # 201 Created, then the operation polled

    # ARM refusing the request (a VM size it does not offer) is the caller's error, naming the field.
    refused = o2.post(
        EXT, {"name": "nosize", "labels": {"cloud": "azure"}, "extensions": {**extensions, "azure.vmSize": "Nope"}}
    )
    assert refused.status_code == 400, refused.content
    assert json_of(refused)["additionalAttributes"]["field"] == "extensions.azure.vmSize"
    unknown = o2.post(
        EXT, {"name": "nocluster", "labels": {"cloud": "azure"}, "extensions": {**extensions, "azure.cluster": "x/y"}}
    )
    assert unknown.status_code == 404, unknown.content


def test_throttling_and_an_outage_keep_the_inventory_and_raise_the_backend_alarm(
    o2: O2Client, admin_client: Any, arm: World, make_azure_instance: Any
) -> None:
    arm.add_cluster(GROUP, CLUSTER)
    arm.add_pool(GROUP, CLUSTER, "cu", count=2)
    instance = make_azure_instance(retryTotal=1)
    sync_instance(instance)
    before = set(Resource.objects.filter(plugin_instance=instance).values_list("id", flat=True))
    assert len(before) == 2

    # One 429: azure-core waits its Retry-After and retries; the sync does not notice.
    arm.throttle = 1
    sync_instance(instance)
    assert arm.throttle == 0

    # Throttled beyond the retries: the sync fails, the inventory stays, health and an alarm say why.
    arm.throttle = 100
    with pytest.raises(SyncFailed) as failed:
        sync_instance(instance)
    assert "throttling" in str(failed.value)
    assert set(Resource.objects.filter(plugin_instance=instance).values_list("id", flat=True)) == before
    instance.refresh_from_db()
    assert instance.health_ok is False
    alarms = [a for a in o2_list(o2, ALARMS) if a["extensions"].get("pluginInstance") == instance.name]
    assert len(alarms) == 1
    assert "throttling" in alarms[0]["extensions"]["message"]

    # An outage (503 everywhere): the same.
    arm.throttle, arm.down = 0, True
    with pytest.raises(SyncFailed) as failed:
        sync_instance(instance)
    assert "Azure is unreachable" in str(failed.value)
    assert set(Resource.objects.filter(plugin_instance=instance).values_list("id", flat=True)) == before
    for text in (str(failed.value), instance.health_message, *(a["extensions"]["message"] for a in alarms)):
        assert arm.client_secret not in text
    page = admin_client.get(reverse("admin:plugins_plugininstance_change", args=[instance.pk]))
    assert page.status_code == 200
    assert arm.client_secret not in page.content.decode()

    # Back: the next sync clears the alarm.
    arm.down = False
    registry.forget(instance.pk)
    sync_instance(instance)
    assert lifecycle.active_record(instance, backend_health.KEY) is None


def test_a_wrong_client_secret_is_unhealthy_and_says_so_without_the_secret(
    arm: World, make_azure_instance: Any
) -> None:
    arm.add_cluster(GROUP, CLUSTER)
    instance = make_azure_instance(clientSecret="not-the-secret~0123456789")
    status = registry.check_health(instance)
    assert not status.healthy
    assert status.message.startswith("authentication failed")
    assert "not-the-secret" not in status.message


def test_the_admin_takes_the_certificate_in_a_textarea_that_never_renders_it(
    admin_client: Any, arm: World, make_azure_instance: Any, client_certificate: str
) -> None:
    arm.add_cluster(GROUP, CLUSTER)
    instance = make_azure_instance(clientCertificate=client_certificate)
    assert registry.check_health(instance).healthy, instance.health_message  # the certificate's JWT was accepted
    page = admin_client.get(reverse("admin:plugins_plugininstance_change", args=[instance.pk])).content.decode()
    assert '<textarea name="secret__clientCertificate"' in page
    assert "PRIVATE KEY" not in page
    assert client_certificate.splitlines()[1] not in page

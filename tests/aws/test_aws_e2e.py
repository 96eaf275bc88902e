"""The AWS IMS plugin end to end: moto in server mode on one side, netweave's HTTP API and admin on the other.

Node groups and instances made in AWS appear in O2 after a sync with stable ids; a second poll of an unchanged
account skips the reconcile; scaling a pool through netweave's write extension changes the node group in EKS
and, once EKS's controller (played by the test) has acted, the next sync tells subscribers about the new nodes;
routing rules send a new pool to this cloud; an unreachable endpoint keeps the synced inventory and raises the
backend alarm; the secret access key shows nowhere.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from inventory import identity
from inventory.alarms import backend_health, lifecycle
from inventory.models import DeploymentManager, Resource, ResourcePool
from inventory.notifications.receiver import Receiver
from inventory.sync import SyncFailed, sync_instance
from plugins import registry
from plugins.models import RoutingRule
from tests.aws.conftest import ACCESS_KEY, NODE_ROLE, SECRET_KEY, AwsAccount, free_port
from tests.notifications.conftest import subscribe
from tests.o2client import O2Client, json_of, o2_list

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("forget_plugin_objects")]
V1 = "/o2ims-infrastructureInventory/v1"
EXT = "/netweave-ims-ext/v1/resourcePools"
ALARMS = "/o2ims-infrastructureMonitoring/v1/alarms"


def test_node_groups_and_instances_appear_after_a_sync_with_stable_ids(
    o2: O2Client, aws: AwsAccount, make_aws_instance: Any
) -> None:
    aws.create_cluster("ran-core")
    aws.create_nodegroup("ran-core", "cu", desired=2, instance_type="m5.large", labels={"o-ran/role": "cu"})
    aws.settle()
    bastion = aws.run_instances(1, "t3.micro", name="bastion")[0]
    instance = make_aws_instance()

    assert sync_instance(instance).changed > 0
    pool_id = identity.object_uuid(instance.pk, identity.RESOURCE_POOL, "ran-core/cu")
    pool = json_of(o2.get(f"{V1}/resourcePools/{pool_id}?all_fields"))
    assert pool["name"] == "cu"
    assert pool["location"] == "eu-west-1"
    assert pool["extensions"]["aws.cluster"] == "ran-core"
    assert pool["extensions"]["aws.desiredSize"] == 2
    assert pool["extensions"]["aws.labels"] == {"o-ran/role": "cu"}
    assert pool["extensions"]["aws.availabilityZones"] == ["eu-west-1a"]
    # R005: the region is the location, its zones the sites; the node group's one zone is its site.
    (location,) = o2_list(o2, f"{V1}/locations")
    sites = {s["name"]: s for s in o2_list(o2, f"{V1}/oCloudSites")}
    assert location["globalLocationId"] == "eu-west-1"
    assert {"eu-west-1a", "eu-west-1b"} <= set(sites)
    assert {s["globalLocationId"] for s in sites.values()} == {"eu-west-1"}
    assert pool["oCloudSiteId"] == sites["eu-west-1a"]["oCloudSiteId"]
    assert sites["eu-west-1a"]["extensions"]["aws.zoneId"]

    nodes = o2_list(o2, f"{V1}/resourcePools/{pool_id}/resources")
    assert sorted(n["extensions"]["aws.instanceId"] for n in nodes) == aws.instances_of("ran-core", "cu")
    assert {n["extensions"]["aws.site"]["name"] for n in nodes} == {"eu-west-1a"}
    large = json_of(o2.get(f"{V1}/resourceTypes/{nodes[0]['resourceTypeId']}?all_fields"))
    assert (large["name"], large["vendor"], large["resourceClass"]) == ("m5.large", "Amazon Web Services", "COMPUTE")
    assert large["extensions"]["aws.vcpus"] == 2

    unmanaged = identity.object_uuid(instance.pk, identity.RESOURCE_POOL, "unmanaged")
    outside = o2_list(o2, f"{V1}/resourcePools/{unmanaged}/resources")
    assert [(r["extensions"]["aws.instanceId"], r["description"]) for r in outside] == [(bastion, "bastion")]
    managers = o2_list(o2, f"{V1}/deploymentManagers")
    assert [m["name"] for m in managers] == ["EKS ran-core"]

    # The second poll finds the same describe results: the reconcile is skipped, ids stay.
    again = sync_instance(instance)
    assert again.skipped
    assert {r["resourceId"] for r in o2_list(o2, f"{V1}/resourcePools/{pool_id}/resources")} == {
        n["resourceId"] for n in nodes
    }


def test_scaling_a_pool_through_the_api_scales_the_node_group_and_subscribers_see_the_nodes(
    o2: O2Client, aws: AwsAccount, make_aws_instance: Any, receiver: Receiver, deliver: Any
) -> None:
    aws.create_cluster("ran-edge")
    aws.create_nodegroup("ran-edge", "du", desired=2, instance_type="c5.xlarge")
    aws.settle()
    instance = make_aws_instance()
    sync_instance(instance)
    pool = ResourcePool.objects.get(plugin_instance=instance, native_id="ran-edge/du")
    subscribe(o2, receiver.url + "/smo", consumerSubscriptionId="smo-aws")

    patched = deliver(lambda: o2.patch(f"{EXT}/{pool.id}", {"extensions": {"aws.desiredSize": 4}}))
    assert patched.status_code == 200, patched.content
    assert json_of(patched)["extensions"]["aws.desiredSize"] == 4
    assert aws.nodegroup_size("ran-edge", "du") == 4  # EKS's own API says so
    modified = [b for b in receiver.bodies() if b["notificationEventType"] == 1]
    assert [b["objectRef"].rsplit("/", 1)[-1] for b in modified] == [str(pool.id)]

    aws.settle()  # EKS's controller scales the Auto Scaling group: two more EC2 instances
    assert len(aws.instances_of("ran-edge", "du")) == 4
    deliver(lambda: sync_instance(instance))
    created = [b for b in receiver.bodies() if b["notificationEventType"] == 0]
    assert len(created) == 2
    assert {b["postObjectState"]["resourcePoolId"] for b in created} == {str(pool.id)}
    assert Resource.objects.filter(resource_pool=pool).count() == 4

    # Bad scaling values name the field; the derived pool cannot be written.
    bad = o2.patch(f"{EXT}/{pool.id}", {"extensions": {"aws.desiredSize": -1}})
    assert bad.status_code == 400
    assert json_of(bad)["additionalAttributes"]["field"] == "extensions.aws.desiredSize"
    read_only = o2.patch(f"{EXT}/{pool.id}", {"extensions": {"aws.cluster": "elsewhere"}})
    assert read_only.status_code == 400
    assert json_of(read_only)["additionalAttributes"]["field"] == "extensions.aws.cluster"
    unmanaged = ResourcePool.objects.get(plugin_instance=instance, native_id="unmanaged")
    assert o2.patch(f"{EXT}/{unmanaged.id}", {"description": "x"}).status_code == 400


def test_routing_rules_send_a_new_pool_to_aws_by_label_and_by_resource_type(
    o2: O2Client, aws: AwsAccount, make_aws_instance: Any, make_mock_instance: Any
) -> None:
    aws.create_cluster("ran-core")
    mock = make_mock_instance(default=True)
    cloud = make_aws_instance(default=False)
    RoutingRule.objects.create(
        name="aws-by-label", category="ims", priority=20, plugin_instance=cloud, conditions={"labels": {"cloud": "aws"}}
    )
    RoutingRule.objects.create(
        name="aws-by-type", category="ims", priority=10, plugin_instance=cloud, match_type="eks-nodegroup"
    )
    extensions = {"aws.cluster": "ran-core", "aws.subnets": aws.subnet_ids(1), "aws.nodeRole": NODE_ROLE}

    by_label = o2.post(EXT, {"name": "ng-label", "labels": {"cloud": "aws"}, "extensions": extensions})
    assert by_label.status_code == 201, by_label.content
    by_type = o2.post(EXT, {"name": "ng-type", "resourceType": "eks-nodegroup", "extensions": extensions})
    assert by_type.status_code == 201, by_type.content
    elsewhere = o2.post(EXT, {"name": "mock-pool", "extensions": {}})
    assert elsewhere.status_code == 201, elsewhere.content

    for response in (by_label, by_type):
        assert ResourcePool.objects.get(id=json_of(response)["resourcePoolId"]).plugin_instance == cloud
    assert ResourcePool.objects.get(id=json_of(elsewhere)["resourcePoolId"]).plugin_instance == mock
    assert sorted(aws.eks.list_nodegroups(clusterName="ran-core")["nodegroups"]) == ["ng-label", "ng-type"]

    # EKS refusing the request (no such cluster) is the caller's error, naming what was wrong.
    refused = o2.post(
        EXT, {"name": "ng-x", "labels": {"cloud": "aws"}, "extensions": {**extensions, "aws.cluster": "nope"}}
    )
    assert refused.status_code in (400, 404), refused.content


def test_an_unreachable_endpoint_keeps_the_inventory_and_raises_the_backend_alarm(
    o2: O2Client, admin_client: Any, aws: AwsAccount, make_aws_instance: Any
) -> None:
    aws.create_cluster("ran-core")
    aws.create_nodegroup("ran-core", "cu", desired=2)
    aws.settle()
    instance = make_aws_instance()
    sync_instance(instance)
    before = set(Resource.objects.filter(plugin_instance=instance).values_list("id", flat=True))
    assert len(before) == 2

    # The endpoint goes away (an outage, or a throttled account whose retries ran out): same answer.
    instance.config = {**instance.config, "endpointUrl": f"http://127.0.0.1:{free_port()}"}
    instance.save()
    registry.forget(instance.pk)
    with pytest.raises(SyncFailed) as failed:
        sync_instance(instance)
    assert "AWS is unreachable" in str(failed.value)
    assert SECRET_KEY not in str(failed.value)
    assert set(Resource.objects.filter(plugin_instance=instance).values_list("id", flat=True)) == before
    instance.refresh_from_db()
    assert instance.health_ok is False
    assert SECRET_KEY not in instance.health_message
    alarms = [a for a in o2_list(o2, ALARMS) if a["extensions"].get("pluginInstance") == instance.name]
    assert len(alarms) == 1
    assert "AWS is unreachable" in alarms[0]["extensions"]["message"]
    assert len(o2_list(o2, f"{V1}/resourcePools/{Resource.objects.first().resource_pool_id}/resources")) == 2

    page = admin_client.get(reverse("admin:plugins_plugininstance_change", args=[instance.pk]))
    assert page.status_code == 200
    assert SECRET_KEY not in page.content.decode()

    # Back: the next sync clears the alarm.
    instance.config = {**instance.config, "endpointUrl": aws.endpoint}
    instance.save()
    registry.forget(instance.pk)
    sync_instance(instance)
    assert lifecycle.active_record(instance, backend_health.KEY) is None


def test_role_assumption_through_sts(aws: AwsAccount, make_aws_instance: Any) -> None:
    """With roleArn, every call is signed with the temporary keys sts:AssumeRole returned, not the stored ones."""
    aws.create_cluster("ran-core")
    instance = make_aws_instance(roleArn="arn:aws:iam::123456789012:role/netweave-reader", externalId="o2ims")
    assert registry.check_health(instance).healthy, instance.health_message
    sync_instance(instance)
    assert list(DeploymentManager.objects.filter(plugin_instance=instance).values_list("native_id", flat=True)) == [
        "ran-core"
    ]
    credentials = registry.get_plugin(instance)._clients["eks"]._request_signer._credentials
    assert credentials.method == "sts-assume-role"
    assert credentials.get_frozen_credentials().access_key != ACCESS_KEY

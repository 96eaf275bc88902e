"""The OpenStack IMS plugin end to end: a real control plane on one side, netweave's HTTP API on the other.

Objects made directly in OpenStack appear in O2 after a sync with stable ids; pools and servers made through
netweave's write extension really exist in OpenStack; a server deleted in OpenStack leaves the inventory and
a subscriber is told; backend refusals become the right ProblemDetails; a wrong password shows in health.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from openstack.connection import Connection

from inventory import identity
from inventory.models import Resource, ResourcePool, ResourceType
from inventory.notifications.receiver import Receiver
from inventory.sync import sync_instance
from plugins import registry
from plugins.models import RoutingRule
from tests.notifications.conftest import subscribe
from tests.o2client import O2Client, json_of, o2_list
from tests.openstack.conftest import wait_gone

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("forget_plugin_objects")]
V1 = "/o2ims-infrastructureInventory/v1"
EXT = "/netweave-ims-ext/v1/resourcePools"


def boot(conn: Connection, name: str, catalogue: dict[str, Any], *, flavor: str = "nw.small", **attrs: Any) -> Any:
    server = conn.compute.create_server(
        name=name,
        flavor_id=catalogue["flavors"][flavor],
        image_id=catalogue["image"],
        networks="none",
        **attrs,
    )
    return conn.compute.wait_for_server(server, interval=0.25, wait=120)


def test_objects_made_in_openstack_appear_after_a_sync_with_stable_ids(
    o2: O2Client, os_admin: Connection, os_clean: dict[str, Any], make_openstack_instance: Any
) -> None:
    aggregate = os_admin.compute.create_aggregate(name="made-in-openstack", availability_zone="az-paris")
    os_admin.compute.add_host_to_aggregate(aggregate, "compute-1")
    os_admin.compute.set_aggregate_metadata(aggregate, site="paris")
    server = boot(os_admin, "vm-direct", os_clean, flavor="nw.large", availability_zone="az-paris")
    instance = make_openstack_instance()

    first = sync_instance(instance)
    assert first.changed > 0
    pool_id = identity.object_uuid(instance.pk, identity.RESOURCE_POOL, aggregate.uuid)
    pool = json_of(o2.get(f"{V1}/resourcePools/{pool_id}?all_fields"))
    assert pool["name"] == "made-in-openstack"
    assert pool["location"] == "az-paris"
    assert pool["extensions"]["openstack.hosts"] == ["compute-1"]
    assert pool["extensions"]["openstack.metadata"] == {"site": "paris"}

    resources = o2_list(o2, f"{V1}/resourcePools/{pool_id}/resources")
    assert [r["extensions"]["openstack.name"] for r in resources] == ["vm-direct"]
    resource = resources[0]
    assert resource["resourceId"] == str(identity.object_uuid(instance.pk, identity.RESOURCE, server.id))
    assert resource["extensions"]["openstack.status"] == "ACTIVE"
    assert resource["extensions"]["openstack.host"] == "compute-1"
    assert resource["extensions"]["openstack.availabilityZone"] == "az-paris"
    assert resource["extensions"]["openstack.imageId"] == os_clean["image"]

    large = json_of(o2.get(f"{V1}/resourceTypes/{resource['resourceTypeId']}?all_fields"))
    assert large["name"] == "nw.large"
    assert large["resourceKind"] == "LOGICAL"
    assert large["resourceClass"] == "COMPUTE"
    assert large["extensions"]["openstack.vcpus"] == 4
    assert large["extensions"]["openstack.ramMiB"] == 4096
    assert large["extensions"]["openstack.diskGiB"] == 20
    assert large["extensions"]["openstack.extraSpecs"] == {"hw:cpu_policy": "dedicated"}
    managers = o2_list(o2, f"{V1}/deploymentManagers")
    assert [m["name"] for m in managers] == ["OpenStack RegionOne"]
    assert "az-paris" in managers[0]["supportedLocations"]

    # R005: the region is the location, its availability zones the sites; the aggregate's pool is at its zone.
    (location,) = o2_list(o2, f"{V1}/locations")
    assert location["globalLocationId"] == "RegionOne"
    sites = {s["name"]: s for s in o2_list(o2, f"{V1}/oCloudSites")}
    assert sites["az-paris"]["globalLocationId"] == "RegionOne"
    assert sites["az-paris"]["oCloudSiteId"] in location["oCloudSiteIds"]
    assert pool["oCloudSiteId"] == sites["az-paris"]["oCloudSiteId"]
    assert sites["az-paris"]["resourcePools"] == [str(pool_id)]

    ids_before = {r["resourceId"] for r in o2_list(o2, f"{V1}/resourcePools/{pool_id}/resources")}
    again = sync_instance(instance)
    assert again.changed == 0
    assert {r["resourceId"] for r in o2_list(o2, f"{V1}/resourcePools/{pool_id}/resources")} == ids_before

    # A change made in OpenStack shows after the next sync, on the same O2 id.
    os_admin.compute.set_aggregate_metadata(aggregate, site="paris-2")
    sync_instance(instance)
    pool = json_of(o2.get(f"{V1}/resourcePools/{pool_id}?all_fields"))
    assert pool["extensions"]["openstack.metadata"] == {"site": "paris-2"}


def test_pool_and_server_made_through_netweave_exist_in_openstack(
    o2: O2Client, os_admin: Connection, os_clean: dict[str, Any], make_openstack_instance: Any
) -> None:
    instance = make_openstack_instance()
    sync_instance(instance)
    created = o2.post(
        EXT,
        {
            "name": "far-edge-lisbon",
            "description": "RAN far edge",
            "location": "az-lisbon",
            "extensions": {"openstack.hosts": ["compute-2"], "openstack.metadata": {"tier": "far-edge"}},
        },
    )
    assert created.status_code == 201, created.content
    pool = json_of(created)
    native = ResourcePool.objects.get(id=pool["resourcePoolId"]).native_id
    aggregate = next(a for a in os_admin.compute.aggregates() if a.uuid == native)
    assert aggregate.name == "far-edge-lisbon"
    assert aggregate.availability_zone == "az-lisbon"
    assert aggregate.hosts == ["compute-2"]
    assert aggregate.metadata["tier"] == "far-edge"
    assert json_of(o2.get(created["Location"]))["name"] == "far-edge-lisbon"

    small = ResourceType.objects.get(plugin_instance=instance, name="nw.small")
    booted = o2.post(
        f"{EXT}/{pool['resourcePoolId']}/resources",
        {
            "resourceTypeId": str(small.id),
            "description": "vDU for cell 7",
            "extensions": {"openstack.imageId": os_clean["image"], "openstack.name": "vdu-7"},
        },
    )
    assert booted.status_code == 201, booted.content
    resource = json_of(booted)
    server = os_admin.compute.get_server(Resource.objects.get(id=resource["resourceId"]).native_id)
    assert (server.name, server.status, server.compute_host) == ("vdu-7", "ACTIVE", "compute-2")
    assert server.flavor.original_name == "nw.small"
    listed = o2_list(o2, f"{V1}/resourcePools/{pool['resourcePoolId']}/resources")
    assert [r["resourceId"] for r in listed] == [resource["resourceId"]]
    assert listed[0]["description"] == "vDU for cell 7"

    # Hosts are replaced through PATCH; a pool that still holds hosts cannot be deleted (Nova's rule): 409.
    assert o2.delete(f"{EXT}/{pool['resourcePoolId']}/resources/{resource['resourceId']}").status_code == 204
    assert os_admin.compute.find_server(server.id, ignore_missing=True) is None
    assert o2.delete(f"{EXT}/{pool['resourcePoolId']}").status_code == 409
    patched = o2.patch(f"{EXT}/{pool['resourcePoolId']}", {"extensions": {"openstack.hosts": []}})
    assert patched.status_code == 200, patched.content
    assert json_of(patched)["extensions"]["openstack.hosts"] == []
    assert o2.delete(f"{EXT}/{pool['resourcePoolId']}").status_code == 204
    assert native not in {a.uuid for a in os_admin.compute.aggregates()}
    assert o2.get(created["Location"]).status_code == 404


def test_server_deleted_in_openstack_leaves_the_inventory_and_the_subscriber_is_told(
    o2: O2Client,
    os_admin: Connection,
    os_clean: dict[str, Any],
    make_openstack_instance: Any,
    receiver: Receiver,
    deliver: Any,
) -> None:
    server = boot(os_admin, "vm-short-lived", os_clean)
    instance = make_openstack_instance()
    sync_instance(instance)
    resource_id = identity.object_uuid(instance.pk, identity.RESOURCE, server.id)
    pool_id = Resource.objects.get(id=resource_id).resource_pool_id
    assert o2.get(f"{V1}/resourcePools/{pool_id}/resources/{resource_id}").status_code == 200

    subscribe(o2, receiver.url + "/smo", consumerSubscriptionId="smo-openstack")
    os_admin.compute.delete_server(server)
    wait_gone(os_admin, server.id)
    deliver(lambda: sync_instance(instance))

    assert o2.get(f"{V1}/resourcePools/{pool_id}/resources/{resource_id}").status_code == 404
    deletes = [b for b in receiver.bodies() if b["notificationEventType"] == 2]
    assert [b["priorObjectState"]["resourceId"] for b in deletes] == [str(resource_id)]
    assert deletes[0]["consumerSubscriptionId"] == "smo-openstack"
    assert deletes[0]["priorObjectState"]["extensions"]["openstack.name"] == "vm-short-lived"


def test_backend_refusals_become_problem_details(
    o2: O2Client, os_admin: Connection, os_clean: dict[str, Any], make_openstack_instance: Any
) -> None:
    doomed = os_admin.compute.create_flavor(name="nw.doomed", vcpus=1, ram=256, disk=1)
    main = make_openstack_instance()
    quota = make_openstack_instance("openstack-quota", default=False, projectName="netweave-quota")
    for instance in (main, quota):
        sync_instance(instance)
    pool = ResourcePool.objects.get(plugin_instance=main, native_id="unassigned")

    # A flavor deleted in OpenStack after the last sync: Nova no longer knows it -> 400 naming the field.
    os_admin.compute.delete_flavor(doomed)
    gone = ResourceType.objects.get(plugin_instance=main, name="nw.doomed")
    response = o2.post(
        f"{EXT}/{pool.id}/resources",
        {"resourceTypeId": str(gone.id), "extensions": {"openstack.imageId": os_clean["image"]}},
    )
    assert response.status_code == 400
    assert json_of(response)["additionalAttributes"]["field"] == "resource_type_id"

    # No image -> 400 naming it; an unknown extension -> 400 naming it.
    small = ResourceType.objects.get(plugin_instance=main, name="nw.small")
    response = o2.post(f"{EXT}/{pool.id}/resources", {"resourceTypeId": str(small.id)})
    assert response.status_code == 400
    assert json_of(response)["additionalAttributes"]["field"] == "extensions.openstack.imageId"

    # Quota: the quota project may run one server; the second boot is refused by Nova -> 409.
    quota_pool = ResourcePool.objects.get(plugin_instance=quota, native_id="unassigned")
    quota_small = ResourceType.objects.get(plugin_instance=quota, name="nw.small")
    body = {"resourceTypeId": str(quota_small.id), "extensions": {"openstack.imageId": os_clean["image"]}}
    assert o2.post(f"{EXT}/{quota_pool.id}/resources", body).status_code == 201
    refused = o2.post(f"{EXT}/{quota_pool.id}/resources", body)
    assert refused.status_code == 409, refused.content
    assert "quota" in json_of(refused)["detail"].lower()
    assert len(list(os_admin.compute.servers(all_projects=True))) == 1


def test_wrong_password_shows_in_health_and_writes_answer_502(
    o2: O2Client, admin_client: Any, os_clean: dict[str, Any], make_openstack_instance: Any
) -> None:
    good = make_openstack_instance()
    sync_instance(good)
    pool = ResourcePool.objects.get(plugin_instance=good, native_id="unassigned")
    bad = make_openstack_instance("openstack-wrong-password", default=False, password="not-the-password")

    response = admin_client.post(
        reverse("admin:plugins_plugininstance_changelist"),
        {"action": "test_connection", "_selected_action": [str(good.pk), str(bad.pk)]},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any(m.startswith("openstack-ims: healthy") for m in messages), messages
    assert any(m.startswith("openstack-wrong-password: unhealthy: authentication failed") for m in messages), messages
    bad.refresh_from_db()
    assert bad.health_ok is False
    assert bad.health_message.startswith("authentication failed")
    assert "not-the-password" not in bad.health_message

    # Writes routed to the instance with the wrong password answer 502; the secret is not in the answer.
    RoutingRule.objects.create(
        name="to-bad", category="ims", priority=10, plugin_instance=bad, conditions={"labels": {"site": "bad"}}
    )
    refused = o2.post(EXT, {"name": "never-made", "labels": {"site": "bad"}})
    assert refused.status_code == 502, refused.content
    assert "not-the-password" not in refused.content.decode()
    small = ResourceType.objects.get(plugin_instance=good, name="nw.small")
    body = {"resourceTypeId": str(small.id), "extensions": {"openstack.imageId": os_clean["image"]}}
    assert o2.post(f"{EXT}/{pool.id}/resources", body).status_code == 201  # the good instance is unaffected


def test_two_instances_side_by_side_with_routing_by_labels(
    o2: O2Client, os_admin: Connection, os_clean: dict[str, Any], make_openstack_instance: Any
) -> None:
    """Two projects of the cloud as two plugin instances (see the README for why not two regions): routing
    rules send a pool write by its labels, and each instance boots into its own project."""
    main = make_openstack_instance("openstack-main")
    beta = make_openstack_instance("openstack-beta", default=False, projectName="netweave-beta")
    RoutingRule.objects.create(
        name="beta-sites",
        category="ims",
        priority=100,
        plugin_instance=beta,
        conditions={"labels": {"tenant": "beta"}},
    )
    for instance in (main, beta):
        sync_instance(instance)

    to_beta = json_of(
        o2.post(EXT, {"name": "beta-pool", "location": "az-beta", "labels": {"tenant": "beta"}, "extensions": {}})
    )
    to_main = json_of(o2.post(EXT, {"name": "main-pool", "location": "az-main", "extensions": {}}))
    assert ResourcePool.objects.get(id=to_beta["resourcePoolId"]).plugin_instance == beta
    assert ResourcePool.objects.get(id=to_main["resourcePoolId"]).plugin_instance == main
    assert {"beta-pool", "main-pool"} <= {a.name for a in os_admin.compute.aggregates()}

    for instance in (main, beta):
        pool = ResourcePool.objects.get(plugin_instance=instance, native_id="unassigned")
        small = ResourceType.objects.get(plugin_instance=instance, name="nw.small")
        response = o2.post(
            f"{EXT}/{pool.id}/resources",
            {"resourceTypeId": str(small.id), "extensions": {"openstack.imageId": os_clean["image"]}},
        )
        assert response.status_code == 201, response.content
    projects = {s.project_id for s in os_admin.compute.servers(all_projects=True)}
    assert projects == {os_admin.current_project_id, os_clean["projects"]["netweave-beta"]}
    for instance in (main, beta):
        sync_instance(instance)
        assert Resource.objects.filter(plugin_instance=instance).count() == 1


def test_token_revoked_or_expired_is_renewed(
    os_admin: Connection, os_clean: dict[str, Any], plugin_config: dict[str, Any]
) -> None:
    from plugins.ims.openstack.plugin import OpenStackIMSPlugin

    plugin = OpenStackIMSPlugin("reauth")
    plugin.initialize(plugin_config)
    try:
        assert plugin.health().healthy
        token = plugin.conn.session.get_token()
        os_admin.identity.delete("/auth/tokens", headers={"X-Subject-Token": token})
        assert plugin.list_resource_pools()  # 401 with the revoked token -> keystoneauth re-authenticates
        assert plugin.conn.session.get_token() != token
    finally:
        plugin.close()


def test_application_credential_instead_of_a_password(
    o2: O2Client, os_admin: Connection, os_clean: dict[str, Any], make_openstack_instance: Any
) -> None:
    """An operator may give an application credential (id + secret) instead of user, password and project."""
    from plugins.models import Secret
    from plugins.secrets import secret_ref, set_secret_value

    user = os_admin.identity.find_user("admin")
    credential = os_admin.identity.create_application_credential(user, name="netweave-test", unrestricted=False)
    try:
        instance = make_openstack_instance()
        secret = set_secret_value(Secret(name="openstack-app-secret"), credential.secret)
        instance.config = {
            key: value for key, value in instance.config.items() if key not in ("username", "password", "projectName")
        } | {"applicationCredentialId": credential.id, "applicationCredentialSecret": secret_ref(secret.name)}
        instance.save()
        assert registry.check_health(instance).healthy, instance.health_message
        boot(os_admin, "vm-for-app-credential", os_clean)
        sync_instance(instance)
        names = [
            r["extensions"]["openstack.name"] for r in o2_list(o2, f"{V1}/resourcePools/{_pool(instance)}/resources")
        ]
        assert names == ["vm-for-app-credential"]
    finally:
        os_admin.identity.delete_application_credential(user, credential)


def _pool(instance: Any) -> str:
    return str(ResourcePool.objects.get(plugin_instance=instance, native_id="unassigned").id)

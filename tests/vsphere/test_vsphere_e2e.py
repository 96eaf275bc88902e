"""The vSphere IMS plugin end to end: vcsim on one side, netweave's admin and HTTP API on the other.

An instance added through the admin form syncs vCenter into O2 (every response validated against the OpenAPI
document); pools and VMs made through netweave's write extension exist in vCenter with their reservations and
limits; a routing rule sends pool writes labelled `infrastructure.type: vmware` to the vSphere instance, in the
admin's routing simulator and in the API; refusals are ProblemDetails naming the field.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pyVmomi import vim

from inventory.models import Resource, ResourcePool, ResourceType
from inventory.sync import sync_instance
from plugins import registry
from plugins.models import PluginInstance, RoutingRule
from tests.o2client import O2Client, json_of, o2_list
from tests.plugin_forms import add_url, plugin_form
from tests.vsphere.conftest import Admin
from tests.vsphere.harness import Vcsim

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("forget_plugin_objects")]
V1 = "/o2ims-infrastructureInventory/v1"
EXT = "/netweave-ims-ext/v1/resourcePools"


def add_through_admin(admin_client: Client, sim: Vcsim, name: str, **config: Any) -> Any:
    """Configure an instance as an operator does: the admin's add form, the password typed as a credential."""
    settings = {"vcenterUrl": sim.url, "username": sim.username, "ocloudId": "ocloud-vsphere-demo", **config}
    return admin_client.post(
        add_url("ims.vsphere"),
        plugin_form(name, settings, {"password": sim.password}, is_default="on"),
        follow=True,
    )


def test_instance_added_in_the_admin_syncs_vcenter_into_o2(o2: O2Client, admin_client: Client, vcsim: Vcsim) -> None:
    response = add_through_admin(admin_client, vcsim, "vsphere-lab", caBundle=vcsim.ca_file)
    assert response.status_code == 200
    assert not [m for m in response.context["messages"] if m.level_tag == "warning"]
    instance = PluginInstance.objects.get(name="vsphere-lab")
    assert vcsim.password not in json.dumps(instance.config)
    status = registry.check_health(instance)
    assert status.healthy, status.message

    first = sync_instance(instance)
    assert first.changed > 0
    pools = {p["name"]: p for p in o2_list(o2, f"{V1}/resourcePools")}
    assert set(pools) == {"DC0_C0", "DC0_H0"}
    cluster = pools["DC0_C0"]
    assert cluster["location"] == "DC0"
    assert cluster["extensions"]["vsphere.kind"] == "cluster"
    assert cluster["extensions"]["vsphere.hostCount"] == 3

    resources = o2_list(o2, f"{V1}/resourcePools/{cluster['resourcePoolId']}/resources")
    by_name = {r["extensions"]["vsphere.name"]: r for r in resources}
    assert {"DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2", "DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1"} <= set(by_name)
    vm = by_name["DC0_C0_RP0_VM0"]
    host = next(r for r in resources if r["extensions"]["vsphere.moid"] == vm["extensions"]["vsphere.host"])
    assert vm["parentId"] == host["resourceId"]  # a VM is a child of its ESXi host
    assert host["extensions"]["vsphere.kind"] == "host"
    vm_type = json_of(o2.get(f"{V1}/resourceTypes/{vm['resourceTypeId']}?all_fields"))
    assert (vm_type["resourceKind"], vm_type["resourceClass"]) == ("LOGICAL", "COMPUTE")
    host_type = json_of(o2.get(f"{V1}/resourceTypes/{host['resourceTypeId']}?all_fields"))
    assert host_type["resourceKind"] == "PHYSICAL"

    (manager,) = o2_list(o2, f"{V1}/deploymentManagers")
    assert manager["supportedLocations"] == ["DC0"]
    assert manager["extensions"]["vsphere.locations"] == [{"locationId": "datacenter-1", "name": "DC0"}]
    assert {s["name"] for s in manager["extensions"]["vsphere.sites"]} == {"DC0_C0", "DC0_H0"}

    # R005: the datacenter is a location, its cluster and standalone host are sites, each pool is at its site.
    (location,) = o2_list(o2, f"{V1}/locations")
    assert location["name"] == "DC0"
    assert location["globalLocationId"].endswith(":datacenter-1")
    sites = {site["name"]: site for site in o2_list(o2, f"{V1}/oCloudSites")}
    assert set(sites) == {"DC0_C0", "DC0_H0"}
    assert {site["globalLocationId"] for site in sites.values()} == {location["globalLocationId"]}
    assert cluster["oCloudSiteId"] == sites["DC0_C0"]["oCloudSiteId"]
    assert pools["DC0_H0"]["oCloudSiteId"] == sites["DC0_H0"]["oCloudSiteId"]
    assert sync_instance(instance).changed == 0


def test_insecure_flag_is_accepted_with_a_warning(admin_client: Client, vcsim: Vcsim) -> None:
    response = add_through_admin(admin_client, vcsim, "vsphere-insecure", insecureSkipVerify=True)
    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert any("insecureSkipVerify is on" in w and "lab only" in w for w in warnings), warnings
    status = registry.check_health(PluginInstance.objects.get(name="vsphere-insecure"))
    assert status.healthy, status.message
    assert "NOT verified" in status.message


def test_unverified_certificate_is_unhealthy_with_the_reason(vcsim: Vcsim, make_vsphere_instance: Any) -> None:
    instance = make_vsphere_instance(vcsim, caBundle="")  # the system's CAs do not know the simulator's
    status = registry.check_health(instance)
    assert not status.healthy
    assert "the TLS certificate of vCenter could not be verified" in status.message
    assert vcsim.password not in status.message


def test_wrong_password_is_an_authentication_failure(vcsim: Vcsim, make_vsphere_instance: Any) -> None:
    from plugins.models import Secret
    from plugins.secrets import set_secret_value

    instance = make_vsphere_instance(vcsim)
    set_secret_value(Secret.objects.get(name="vsphere-ims-password"), "not-the-password")
    status = registry.check_health(instance)
    assert not status.healthy
    assert status.message.startswith("authentication failed")
    assert "not-the-password" not in status.message


def test_pools_and_vms_made_through_the_api_exist_in_vcenter(
    o2: O2Client, vc: Admin, vcsim: Vcsim, make_vsphere_instance: Any, make_mock_instance: Any
) -> None:
    make_mock_instance()  # the IMS default: only the routing rule sends VMware work to vSphere
    instance = make_vsphere_instance(vcsim, default=False)
    RoutingRule.objects.create(
        name="vmware-by-label",
        category="ims",
        priority=90,
        plugin_instance=instance,
        conditions={"labels": {"infrastructure.type": "vmware"}},
    )
    sync_instance(instance)
    cluster = ResourcePool.objects.get(plugin_instance=instance, name="DC0_C0")

    created = o2.post(
        EXT,
        {
            "name": "far-edge-rp",
            "description": "RAN far edge",
            "globalLocationId": "geo:38.72,-9.14",
            "labels": {"infrastructure.type": "vmware"},
            "extensions": {
                "vsphere.parentPool": cluster.native_id,
                "vsphere.cpuAllocation": {"reservation": 500, "limit": 4000, "shares": "high"},
                "vsphere.memoryAllocation": {"reservation": 1024, "limit": 8192, "expandableReservation": False},
            },
        },
    )
    assert created.status_code == 201, created.content
    pool = json_of(created)
    row = ResourcePool.objects.get(id=pool["resourcePoolId"])
    assert row.plugin_instance == instance
    rp = next(p for p in vc.all(vim.ResourcePool) if p._moId == row.native_id)
    assert rp.name == "far-edge-rp"
    assert (rp.config.cpuAllocation.reservation, rp.config.cpuAllocation.limit) == (500, 4000)
    assert rp.config.cpuAllocation.shares.level == "high"
    assert (rp.config.memoryAllocation.reservation, rp.config.memoryAllocation.limit) == (1024, 8192)
    assert rp.config.memoryAllocation.expandableReservation is False
    assert (pool["description"], pool["globalLocationId"], pool["location"]) == (
        "RAN far edge",
        "geo:38.72,-9.14",
        "DC0",
    )

    patched = o2.patch(
        f"{EXT}/{pool['resourcePoolId']}",
        {"name": "far-edge-rp-2", "extensions": {"vsphere.cpuAllocation": {"reservation": 250, "limit": 4000}}},
    )
    assert patched.status_code == 200, patched.content
    assert rp.name == "far-edge-rp-2"
    assert rp.config.cpuAllocation.reservation == 250
    assert rp.config.memoryAllocation.reservation == 1024  # left out of the request: kept

    # A VM of an existing shape, in the new pool.
    shape = ResourceType.objects.get(plugin_instance=instance, native_id="vm-shape:1vcpu-32mib")
    booted = o2.post(
        f"{EXT}/{pool['resourcePoolId']}/resources",
        {"resourceTypeId": str(shape.id), "description": "vDU 7", "extensions": {"vsphere.name": "vdu-7"}},
    )
    assert booted.status_code == 201, booted.content
    resource = json_of(booted)
    vm = vc.vm("vdu-7")
    assert vm.resourcePool._moId == row.native_id
    assert (vm.config.hardware.numCPU, vm.config.hardware.memoryMB, vm.config.annotation) == (1, 32, "vDU 7")
    assert [r["resourceId"] for r in o2_list(o2, f"{V1}/resourcePools/{pool['resourcePoolId']}/resources")] == [
        resource["resourceId"]
    ]

    refused = o2.delete(f"{EXT}/{pool['resourcePoolId']}")  # vCenter would move the VM up: netweave refuses
    assert refused.status_code == 409, refused.content
    assert "vdu-7" in json_of(refused)["detail"]
    assert o2.delete(f"{EXT}/{pool['resourcePoolId']}/resources/{resource['resourceId']}").status_code == 204
    assert "vdu-7" not in {v.name for v in vc.all(vim.VirtualMachine)}
    assert o2.delete(f"{EXT}/{pool['resourcePoolId']}").status_code == 204
    assert row.native_id not in {p._moId for p in vc.all(vim.ResourcePool)}
    assert o2.get(f"{V1}/resourcePools/{pool['resourcePoolId']}").status_code == 404
    # Without the label the default (mock) instance takes the pool.
    other = json_of(o2.post(EXT, {"name": "not-vmware", "extensions": {}}))
    assert ResourcePool.objects.get(id=other["resourcePoolId"]).plugin_instance.plugin_type == "mock"


def test_bad_writes_are_problem_details_naming_the_field(
    o2: O2Client, vcsim: Vcsim, make_vsphere_instance: Any
) -> None:
    instance = make_vsphere_instance(vcsim)
    sync_instance(instance)
    cluster = ResourcePool.objects.get(plugin_instance=instance, name="DC0_C0")
    cases = [
        (
            {"name": "x", "extensions": {"vsphere.cpuAllocation": {"reservation": -5}}},
            "extensions.vsphere.cpuAllocation.reservation",
        ),
        (
            {"name": "x", "extensions": {"vsphere.cpuAllocation": {"reservation": 10, "limit": 5}}},
            "extensions.vsphere.cpuAllocation.limit",
        ),
        ({"name": "x", "extensions": {"vsphere.parentPool": "domain-c999"}}, "extensions.vsphere.parentPool"),
        ({"name": "x", "extensions": {"vsphere.colour": "blue"}}, "extensions.vsphere.colour"),
    ]
    for body, field in cases:
        response = o2.post(EXT, {**body, "pluginInstance": instance.name})
        assert response.status_code == 400, (body, response.content)
        assert json_of(response)["additionalAttributes"]["field"] == field
    host_type = ResourceType.objects.filter(plugin_instance=instance, native_id__startswith="host-model:").first()
    assert host_type is not None
    response = o2.post(f"{EXT}/{cluster.id}/resources", {"resourceTypeId": str(host_type.id)})
    assert response.status_code == 400
    assert json_of(response)["additionalAttributes"]["field"] == "resource_type_id"
    host = Resource.objects.filter(resource_pool=cluster, native_id__startswith="host-").first()
    assert host is not None
    assert o2.delete(f"{EXT}/{cluster.id}/resources/{host.id}").status_code == 400
    assert o2.delete(f"{EXT}/{cluster.id}").status_code == 400  # clusters are not deleted through netweave


def test_routing_simulator_sends_vmware_labels_to_vsphere(
    admin_client: Client, vcsim: Vcsim, make_vsphere_instance: Any, make_mock_instance: Any
) -> None:
    make_mock_instance()
    instance = make_vsphere_instance(vcsim, default=False)
    RoutingRule.objects.create(
        name="vmware-by-label",
        category="ims",
        priority=90,
        plugin_instance=instance,
        conditions={"labels": {"infrastructure.type": "vmware"}},
    )
    url = reverse("admin:plugins_routingrule_simulate")
    vmware = admin_client.get(url, {"category": "ims", "match_type": "*", "labels": "infrastructure.type=vmware"})
    assert vmware.context["outcome"]["instance"] == instance
    other = admin_client.get(url, {"category": "ims", "match_type": "*", "labels": "infrastructure.type=openstack"})
    assert other.context["outcome"]["instance"].plugin_type == "mock"


def test_vm_cloned_from_a_template_type(o2: O2Client, vc: Admin, vcsim: Vcsim, make_vsphere_instance: Any) -> None:
    template = vc.create_vm("ubuntu-template", cpus=2, memory_mib=128)
    template.MarkAsTemplate()
    try:
        instance = make_vsphere_instance(vcsim)
        sync_instance(instance)
        rtype = ResourceType.objects.get(plugin_instance=instance, native_id=f"vm-template:{template._moId}")
        assert rtype.name == "ubuntu-template"
        assert rtype.extensions["vsphere.vcpus"] == 2
        cluster = ResourcePool.objects.get(plugin_instance=instance, name="DC0_C0")
        response = o2.post(
            f"{EXT}/{cluster.id}/resources",
            {
                "resourceTypeId": str(rtype.id),
                "description": "from the template",
                "extensions": {"vsphere.name": "vm-7"},
            },
        )
        assert response.status_code == 201, response.content
        clone = vc.vm("vm-7")
        assert (clone.config.hardware.numCPU, clone.config.hardware.memoryMB) == (2, 128)
        assert clone.config.annotation == "from the template"
        resource = json_of(response)
        assert o2.delete(f"{EXT}/{cluster.id}/resources/{resource['resourceId']}").status_code == 204
    finally:
        vc.wait(template.Destroy_Task())


def test_one_session_is_reused_and_renewed_when_vcenter_drops_it(vc: Admin, vcsim: Vcsim) -> None:
    from plugins.ims.vsphere.plugin import VSphereIMSPlugin

    plugin = VSphereIMSPlugin("session")
    plugin.initialize(vcsim.plugin_config())
    try:
        for _ in range(3):
            assert plugin.health().healthy
            assert plugin.list_resource_pools()
        assert plugin.connection.logins == 1  # every call on the one session
        assert vc.terminate_other_sessions() >= 1  # an administrator ends it (or it times out)
        assert plugin.list_resource_pools()  # NotAuthenticated -> one new login -> the call again
        assert plugin.connection.logins == 2
    finally:
        plugin.close()


def test_one_datacenter_of_a_larger_vcenter(o2: O2Client, vcsim_large: Vcsim, make_vsphere_instance: Any) -> None:
    instance = make_vsphere_instance(vcsim_large, datacenter="DC1")
    sync_instance(instance)
    pools = o2_list(o2, f"{V1}/resourcePools")
    assert {p["extensions"]["vsphere.datacenter"] for p in pools} == {"DC1"}
    kinds = sorted(p["extensions"]["vsphere.kind"] for p in pools)
    assert kinds.count("cluster") == 2
    assert kinds.count("resourcePool") == 4  # 2 per cluster
    (manager,) = o2_list(o2, f"{V1}/deploymentManagers")
    assert manager["supportedLocations"] == ["DC1"]
    names = {r.extensions["vsphere.name"] for r in Resource.objects.filter(plugin_instance=instance)}
    assert names
    assert all(name.startswith("DC1_") for name in names)

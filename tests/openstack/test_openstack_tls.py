"""The OpenStack IMS plugin over HTTPS: `verifyTls` and `caBundle` against the harness's TLS Keystone.

The harness serves the real Keystone over HTTPS too (OS_AUTH_URL_TLS), with a certificate signed by a CA it
makes at start (OS_CACERT_TLS). An instance that trusts that CA (caBundle) or verifies nothing (verifyTls:
false, labs only) syncs the cloud into O2; one that verifies against the system's CAs is unhealthy, says the
certificate could not be verified, and its failed sync raises the O-Cloud's backend alarm; a caBundle that is
not a readable PEM file is refused when the instance is configured, naming the key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from inventory.sync import SyncFailed, sync_instance
from plugins import registry
from plugins.models import PluginInstance
from tests.o2client import O2Client, json_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("forget_plugin_objects")]
V1 = "/o2ims-infrastructureInventory/v1"
ALARMS = "/o2ims-infrastructureMonitoring/v1/alarms"
BACKEND_ALARM = "netweave-ims-backend-unreachable"
UNVERIFIED = "the TLS certificate of OpenStack could not be verified"


def add_through_admin(admin_client: Client, cloud: dict[str, str], name: str, **tls: Any) -> Any:
    """Configure an instance as an operator does: the admin's add form, the password typed as a credential."""
    config = {
        "authUrl": cloud["OS_AUTH_URL_TLS"],
        "username": cloud["OS_USERNAME"],
        "projectName": cloud["OS_PROJECT_NAME"],
        "region": cloud["OS_REGION_NAME"],
        **tls,
    }
    return admin_client.post(
        reverse("admin:plugins_plugininstance_add") + "?type=ims.openstack",
        {
            "name": name,
            "enabled": "on",
            "is_default": "on",
            "sync_interval": "0",
            **{f"config__{key}": value for key, value in config.items()},
            "secret__password": cloud["OS_PASSWORD"],
        },
    )


def all_hosts(pools: list[dict[str, Any]]) -> set[str]:
    return {host for pool in pools for host in pool["extensions"].get("openstack.hosts", [])}


@pytest.mark.parametrize(
    "tls",
    [
        pytest.param({"verifyTls": True, "caBundle": "OS_CACERT_TLS"}, id="verified-with-the-ca-bundle"),
        pytest.param({"verifyTls": False}, id="not-verified-labs-only"),
    ],
)
def test_https_keystone_is_used_with_the_ca_bundle_or_without_verification(
    o2: O2Client, admin_client: Client, openstack_cloud: dict[str, str], os_clean: dict[str, Any], tls: dict[str, Any]
) -> None:
    if "caBundle" in tls:
        tls = {**tls, "caBundle": openstack_cloud["OS_CACERT_TLS"]}
    response = add_through_admin(admin_client, openstack_cloud, "openstack-tls", **tls)
    assert response.status_code == 302, response.content.decode()[:3000]
    instance = PluginInstance.objects.get(name="openstack-tls")
    assert instance.config["authUrl"].startswith("https://")

    status = registry.check_health(instance)
    assert status.healthy, status.message
    result = sync_instance(instance)
    assert result.changed > 0

    managers = json_of(o2.get(f"{V1}/deploymentManagers?all_fields"))
    assert [m["name"] for m in managers] == ["OpenStack RegionOne"]
    types = {t["name"] for t in json_of(o2.get(f"{V1}/resourceTypes?all_fields"))}
    assert {"nw.small", "nw.large"} <= types
    pools = json_of(o2.get(f"{V1}/resourcePools?all_fields"))
    assert all_hosts(pools) == set(openstack_cloud["NETWEAVE_OPENSTACK_COMPUTE_HOSTS"].split())
    assert json_of(o2.get(f"{ALARMS}?filter=(eq,alarmDefinitionId,{BACKEND_ALARM})")) == []


def test_a_certificate_the_system_cas_do_not_vouch_for_is_unhealthy_and_raises_the_backend_alarm(
    o2: O2Client, openstack_cloud: dict[str, str], make_openstack_instance: Any, settings: Any
) -> None:
    # verifyTls left at its default (true), no caBundle: the system's CAs, none of which signed the certificate
    instance = make_openstack_instance("openstack-tls-unverified", authUrl=openstack_cloud["OS_AUTH_URL_TLS"])

    status = registry.check_health(instance)
    assert not status.healthy
    instance.refresh_from_db()
    assert instance.health_ok is False
    assert UNVERIFIED in instance.health_message
    assert "(unable to get local issuer certificate)" in instance.health_message  # OpenSSL's reason
    assert "set caBundle" in instance.health_message

    with pytest.raises(SyncFailed) as failed:
        sync_instance(instance)
    assert UNVERIFIED in str(failed.value)
    instance.refresh_from_db()
    assert instance.last_sync_ok is False
    for message in (instance.health_message, instance.last_sync_summary, str(failed.value)):
        assert "Traceback" not in message
        assert openstack_cloud["OS_PASSWORD"] not in message

    (alarm,) = json_of(o2.get(f"{ALARMS}?filter=(eq,alarmDefinitionId,{BACKEND_ALARM})&all_fields"))
    assert alarm["resourceId"] == str(settings.NETWEAVE_OCLOUD["oCloudId"])
    assert alarm["extensions"]["pluginInstance"] == "openstack-tls-unverified"
    assert alarm["extensions"]["message"].startswith(f"sync failed: {UNVERIFIED}")
    assert openstack_cloud["OS_PASSWORD"] not in json.dumps(alarm)
    assert json_of(o2.get(f"{V1}/resourcePools")) == []  # nothing was read over the unverified connection


def test_a_ca_bundle_of_another_ca_does_not_verify_the_certificate(
    openstack_cloud: dict[str, str], make_openstack_instance: Any
) -> None:
    import certifi  # the public CAs: none of them signed the harness's certificate

    instance = make_openstack_instance(
        "openstack-tls-other-ca", authUrl=openstack_cloud["OS_AUTH_URL_TLS"], caBundle=certifi.where()
    )
    status = registry.check_health(instance)
    assert not status.healthy
    assert UNVERIFIED in status.message


@pytest.mark.parametrize(
    ("bundle", "expected"),
    [
        pytest.param("missing.pem", "Cannot read {path}: No such file or directory.", id="no-such-file"),
        pytest.param("server.key", "{path} holds no PEM certificate.", id="a-key-not-a-certificate"),
    ],
)
def test_a_ca_bundle_that_is_not_a_readable_pem_file_is_refused_naming_the_key(
    admin_client: Client, openstack_cloud: dict[str, str], bundle: str, expected: str
) -> None:
    path = Path(openstack_cloud["OS_CACERT_TLS"]).with_name(bundle)
    response = add_through_admin(admin_client, openstack_cloud, "openstack-bad-ca", caBundle=str(path))
    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors["config__caBundle"])  # the caBundle input's own error
    assert expected.format(path=path) in errors, errors
    assert not PluginInstance.objects.filter(name="openstack-bad-ca").exists()

"""The native_k8sapi DMS profile end to end, against a real kube-apiserver: what each `profileCredential` hands
out through the HTTP API, and that the ServiceAccount token it hands out really works on the API server, for
exactly what the operator's Role allows."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from kubernetes import client
from kubernetes.client.rest import ApiException

from inventory.sync import sync_instance
from plugins import registry
from tests.k8s.objects import KubeObjects, unique
from tests.k8s_harness import KubeCluster
from tests.o2client import O2Client, json_of

INV = "/o2ims-infrastructureInventory/v1"
PROFILE_KEYS = {
    "cluster_api_endpoint",
    "cluster_ca_cert",
    "credential_type",
    "admin_user",
    "admin_client_cert",
    "admin_client_key",
    "admin_token",
    "admin_token_expiration",
}
#: What the SMO may do in its own namespace, and nothing else.
SMO_RULES = [{"apiGroups": [""], "resources": ["pods", "configmaps"], "verbs": ["get", "list", "create", "delete"]}]

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_role(make_api_token: Callable[..., str]) -> Callable[[str], O2Client]:
    """An O2 client whose API token carries one role (`deployer`, `reader`, ...)."""

    def make(role: str) -> O2Client:
        return O2Client(Client(HTTP_AUTHORIZATION=f"Bearer {make_api_token(role)}"))

    return make


@pytest.fixture
def instances(make_k8s_instance: Callable[..., Any]) -> Iterator[Callable[..., Any]]:
    """Plugin instances with a profile config, synced (so their deployment manager exists); forgotten afterwards."""
    made: list[Any] = []

    def make(**config: Any) -> Any:
        instance = make_k8s_instance(unique("k8s-profile"), **config)
        made.append(instance)
        sync_instance(instance)
        return instance

    yield make
    for instance in made:
        registry.forget(instance.pk)


def _profile_path(instance: Any) -> str:
    """The native_k8sapi profile URL of the deployment manager (the cluster) the instance's sync created."""
    from inventory.models import DeploymentManager

    dm = DeploymentManager.objects.get(plugin_instance=instance)
    return f"{INV}/deploymentManagers/{dm.pk}?profile=native_k8sapi"


def _client_with_token(data: dict[str, Any], tmp_path: Path) -> client.ApiClient:
    """The SMO's side: a client built only from the profile data (endpoint, CA, bearer token)."""
    ca = tmp_path / "profile-ca.crt"
    ca.write_text(data["cluster_ca_cert"])
    configuration = client.Configuration()
    configuration.host = data["cluster_api_endpoint"]
    configuration.ssl_ca_cert = str(ca)
    configuration.api_key = {"BearerToken": data["admin_token"]}
    configuration.api_key_prefix = {"BearerToken": "Bearer"}
    return client.ApiClient(configuration)


def _status(call: Callable[[], Any]) -> int:
    try:
        call()
    except ApiException as exc:
        return int(exc.status)
    return 200


def test_service_account_token_grants_what_the_role_allows_and_nothing_more(
    as_role: Callable[[str], O2Client],
    kube: KubeObjects,
    kube_cluster: KubeCluster,
    instances: Callable[..., Any],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    namespace = unique("smo")
    kube.create_service_account_with_role(namespace, "smo", SMO_RULES)
    instance = instances(profileServiceAccount=f"{namespace}/smo", profileTokenSeconds=600)
    deployer = as_role("deployer")

    with caplog.at_level(logging.DEBUG):
        answer = json_of(deployer.get(_profile_path(instance)))
    data = answer["extensions"]["profileData"]
    assert answer["extensions"]["profileName"] == "native_k8sapi"
    assert set(data) == PROFILE_KEYS
    assert data["credential_type"] == "serviceAccountToken"
    assert data["cluster_api_endpoint"] == kube_cluster.server
    assert data["cluster_ca_cert"] == (kube_cluster.directory / "ca.crt").read_text()
    assert data["admin_user"] == f"system:serviceaccount:{namespace}:smo"
    assert data["admin_token"]
    assert data["admin_token_expiration"].endswith("Z")
    # netweave's own credential is not handed out, and the token is in no log record.
    assert (data["admin_client_cert"], data["admin_client_key"]) == ("", "")
    assert not any(data["admin_token"] in record.getMessage() for record in caplog.records)

    smo = _client_with_token(data, tmp_path)
    core = client.CoreV1Api(smo)
    # What the Role allows, in its namespace: it works.
    assert core.list_namespaced_pod(namespace).items == []
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "smo-settings"}, "data": {"a": "1"}})
    assert core.read_namespaced_config_map("smo-settings", namespace).data == {"a": "1"}
    # Anything else: 403 from the API server.
    assert _status(lambda: core.list_node()) == 403
    assert _status(lambda: core.list_secret_for_all_namespaces()) == 403
    assert _status(lambda: core.list_namespaced_secret(namespace)) == 403
    assert _status(lambda: core.list_namespaced_pod("default")) == 403
    assert _status(lambda: client.RbacAuthorizationV1Api(smo).list_namespaced_role(namespace)) == 403
    # Each request is a fresh token: netweave keeps none.
    again = json_of(deployer.get(_profile_path(instance)))["extensions"]["profileData"]
    assert again["admin_token"] != data["admin_token"]


def test_the_default_hands_out_no_credential(
    as_role: Callable[[str], O2Client], kube_cluster: KubeCluster, instances: Callable[..., Any]
) -> None:
    instance = instances()
    deployer = as_role("deployer")
    data = json_of(deployer.get(_profile_path(instance)))["extensions"]["profileData"]
    assert set(data) == PROFILE_KEYS
    assert data["credential_type"] == "none"
    assert data["cluster_api_endpoint"] == kube_cluster.server
    assert data["cluster_ca_cert"] == (kube_cluster.directory / "ca.crt").read_text()
    assert [data[k] for k in sorted(PROFILE_KEYS - {"cluster_api_endpoint", "cluster_ca_cert", "credential_type"})] == [
        ""
    ] * 5


def test_the_kubeconfig_client_certificate_only_when_opted_in(
    o2: O2Client, as_role: Callable[[str], O2Client], kube_cluster: KubeCluster, instances: Callable[..., Any]
) -> None:
    instance = instances(profileCredential="kubeconfigClientCertificate")
    deployer = as_role("deployer")
    path = _profile_path(instance)
    data = json_of(deployer.get(path))["extensions"]["profileData"]
    assert data["credential_type"] == "kubeconfigClientCertificate"
    assert data["cluster_api_endpoint"] == kube_cluster.server
    assert data["admin_user"] == "netweave-admin"
    assert data["admin_client_cert"] == (kube_cluster.directory / "admin.crt").read_text()
    assert data["admin_client_key"].startswith("-----BEGIN")
    assert (data["admin_token"], data["admin_token_expiration"]) == ("", "")
    # It is netweave's own certificate, the one in its kubeconfig.
    assert base64.b64encode(data["admin_client_cert"].encode()).decode() in kube_cluster.kubeconfig_text()

    dm_path = path.split("?")[0]
    plain = json_of(o2.get(f"{dm_path}?all_fields"))
    assert "profileData" not in plain.get("extensions", {})
    unsupported = o2.get(f"{dm_path}?profile=sol018")
    assert unsupported.status_code == 404
    assert "sol018" in json_of(unsupported)["detail"]


@pytest.mark.parametrize("missing", ["account", "namespace"])
def test_a_missing_service_account_is_a_problem_naming_the_config_key(
    as_role: Callable[[str], O2Client], kube: KubeObjects, instances: Callable[..., Any], missing: str
) -> None:
    namespace = unique("smo")
    if missing == "account":
        kube.create_service_account_with_role(namespace, "smo", SMO_RULES)
    instance = instances(profileServiceAccount=f"{namespace}/ghost")
    response = as_role("deployer").get(_profile_path(instance))
    assert response.status_code == 503
    problem = json_of(response)
    assert "profileServiceAccount" in problem["detail"]
    assert f"{namespace}/ghost" in problem["detail"]


def test_a_reader_gets_no_profile(
    as_role: Callable[[str], O2Client], kube: KubeObjects, instances: Callable[..., Any]
) -> None:
    namespace = unique("smo")
    kube.create_service_account_with_role(namespace, "smo", SMO_RULES)
    instance = instances(profileServiceAccount=f"{namespace}/smo")
    reader = as_role("reader")
    path = _profile_path(instance)
    refused = reader.get(path)
    assert refused.status_code == 403
    assert "admin_token" not in refused.content.decode()
    assert reader.get(path.split("?")[0]).status_code == 200

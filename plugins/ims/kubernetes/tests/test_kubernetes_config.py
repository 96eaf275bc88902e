"""The config class: defaults, the kubeconfig/inCluster rule, durations, and that sample.yaml documents every key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from plugins.ims.kubernetes.config import KUBECONFIG_CLIENT_CERTIFICATE, KubernetesConfig, parse_duration
from plugins.ims.kubernetes.plugin import KubernetesIMSPlugin
from plugins.ims.openshift.config import OpenShiftConfig
from plugins.sdk.errors import InvalidRequest

HERE = Path(__file__).resolve().parents[1]


def test_defaults_follow_the_seed() -> None:
    serializer = KubernetesConfig(data={"kubeconfig": "apiVersion: v1"})
    assert serializer.is_valid(), serializer.errors
    data = serializer.validated_data
    assert (data["namespace"], data["enableInformers"], data["resyncPeriod"], data["poolMode"]) == (
        "default",
        True,
        "30s",
        "auto",
    )
    openshift = OpenShiftConfig(data={"inCluster": True})
    assert openshift.is_valid(), openshift.errors
    assert openshift.validated_data["namespace"] == "openshift-machine-api"
    assert openshift.validated_data["poolMode"] == "machineSets"


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({}, "kubeconfig"),
        ({"inCluster": True, "kubeconfig": "x"}, "inCluster"),
        ({"inCluster": True, "resyncPeriod": "soon"}, "resyncPeriod"),
        ({"inCluster": True, "resyncPeriod": "0s"}, "resyncPeriod"),
        ({"inCluster": True, "poolMode": "zones"}, "poolMode"),
        ({"inCluster": True, "kubeconfigPath": "/x"}, "kubeconfigPath"),
    ],
)
def test_bad_config_names_the_field(config: dict[str, object], field: str) -> None:
    serializer = KubernetesConfig(data=config)
    assert not serializer.is_valid()
    assert field in serializer.errors


def test_a_secret_reference_counts_as_a_kubeconfig() -> None:
    serializer = KubernetesConfig(data={}, context={"secret_refs": frozenset({"kubeconfig"})})
    assert serializer.is_valid(), serializer.errors


def test_durations() -> None:
    assert [parse_duration(v) for v in ("30s", "5m", "1h", "500ms", 12, "2")] == [30, 300, 3600, 0.5, 12, 2]


def test_an_unusable_kubeconfig_is_refused_without_echoing_it() -> None:
    plugin = KubernetesIMSPlugin("bad")
    with pytest.raises(InvalidRequest) as caught:
        plugin.initialize({"kubeconfig": "users: [{name: u, user: {token: s3cr3t-token}}]\ncurrent-context: nope"})
    assert caught.value.field == "kubeconfig"
    assert "s3cr3t" not in caught.value.detail


@pytest.mark.parametrize(
    ("folder", "config_class", "plugin_type"),
    [
        ("kubernetes", KubernetesConfig, "kubernetes"),
        ("openshift", OpenShiftConfig, "openshift"),
    ],
)
def test_sample_yaml_documents_every_key(folder: str, config_class: type, plugin_type: str) -> None:
    document = yaml.safe_load((HERE.parent / folder / "sample.yaml").read_text())
    (block,) = document["plugins"]["ims"]
    assert block["type"] == plugin_type
    assert set(block["config"]) == set(config_class().fields)
    config = {**block["config"], "kubeconfig": "apiVersion: v1"}
    serializer = config_class(data=config)
    assert serializer.is_valid(), serializer.errors


@pytest.mark.parametrize(
    ("config", "credential"),
    [
        ({}, "none"),
        ({"profileServiceAccount": "smo/deployer"}, "serviceAccountToken"),
        ({"profileCredential": "kubeconfigClientCertificate"}, "kubeconfigClientCertificate"),
        ({"profileCredential": "none"}, "none"),
    ],
)
def test_the_profile_credential_defaults_to_none_unless_a_service_account_is_named(
    config: dict[str, object], credential: str
) -> None:
    serializer = KubernetesConfig(data={"kubeconfig": "apiVersion: v1", **config})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["profileCredential"] == credential
    assert serializer.validated_data["profileTokenSeconds"] == 3600


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"profileCredential": "serviceAccountToken"}, "profileServiceAccount"),
        ({"profileServiceAccount": "smo"}, "profileServiceAccount"),
        ({"profileServiceAccount": "SMO/Deployer"}, "profileServiceAccount"),
        ({"profileServiceAccount": "smo/deployer", "profileCredential": "none"}, "profileServiceAccount"),
        ({"profileServiceAccount": "smo/deployer", "profileTokenSeconds": 599}, "profileTokenSeconds"),
        ({"profileCredential": "adminToken"}, "profileCredential"),
        (
            {"inCluster": True, "kubeconfig": "", "profileCredential": KUBECONFIG_CLIENT_CERTIFICATE},
            "profileCredential",
        ),
    ],
)
def test_bad_profile_config_names_the_field(config: dict[str, object], field: str) -> None:
    serializer = KubernetesConfig(data={"kubeconfig": "apiVersion: v1", **config})
    assert not serializer.is_valid()
    assert field in serializer.errors

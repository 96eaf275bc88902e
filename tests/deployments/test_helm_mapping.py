"""The Helm plugin's pure mapping: helm's JSON and error messages to SDK objects and errors."""

from __future__ import annotations

import datetime as dt

import pytest

from plugins.dms.helm import mapping
from plugins.dms.helm.config import HelmConfig, duration_seconds
from plugins.sdk.errors import AuthenticationFailed, BackendUnavailable, Conflict, InvalidRequest, NotFound


@pytest.mark.parametrize(
    ("stderr", "error", "field"),
    [
        ("Error: INSTALLATION FAILED: cannot re-use a name that is still in use", Conflict, "name"),
        ("Error: release has no 99 version", InvalidRequest, "revision"),
        (
            'Error: parse error at (c/templates/x.yaml:5): function "data" not defined\n\nUse --debug flag',
            InvalidRequest,
            "chart",
        ),
        (
            "Error: execution error at (c/templates/d.yaml:20:21): values image.repository is required",
            InvalidRequest,
            "values",
        ),
        (
            'Error: looks like "http://x/" is not a valid chart repository or cannot be reached',
            InvalidRequest,
            "artifactRepoUrl",
        ),
        ("Error: release: not found", NotFound, None),
        ("Error: uninstall: Release not loaded: nf: release: not found", NotFound, None),
        (
            'Error: Kubernetes cluster unreachable: Get "https://127.0.0.1:1/version": connection refused',
            BackendUnavailable,
            None,
        ),
        ("Error: Unauthorized", AuthenticationFailed, None),
    ],
)
def test_helm_errors_become_precise_sdk_errors(stderr: str, error: type, field: str | None) -> None:
    mapped = mapping.error_for(stderr, operation="install")
    assert type(mapped) is error
    assert mapped.field == field
    assert mapped.detail.startswith("helm install: ")
    assert "Use --debug" not in mapped.detail


def test_unrecognised_failure_is_a_gateway_error() -> None:
    mapped = mapping.error_for("Error: something new", operation="upgrade")
    assert isinstance(mapped, mapping.HelmFailed)
    assert mapped.status == 502


def test_release_and_history_mapping() -> None:
    release = {
        "name": "nf",
        "namespace": "ns",
        "version": 3,
        "info": {"status": "deployed", "description": "Upgrade complete"},
        "config": {"replicaCount": 2},
        "chart": {"metadata": {"name": "demo", "version": "0.1.0"}},
    }
    deployment = mapping.to_deployment(release, mapping.chart_of(release))
    assert deployment.native_id == "ns/nf"
    assert deployment.package_id == "demo-0.1.0"
    assert deployment.revision == 3
    assert dict(deployment.values) == {"replicaCount": 2}
    entry = mapping.to_revision(
        {"revision": 1, "updated": "2026-11-26T05:09:26.614683594Z", "status": "superseded", "chart": "demo-0.1.0"}
    )
    assert entry.updated == dt.datetime(2026, 11, 26, 5, 9, 26, 614683, tzinfo=dt.UTC)
    assert mapping.split_release_id("ns/nf") == ("ns", "nf")
    with pytest.raises(NotFound):
        mapping.split_release_id("no-namespace")


def test_config_validation() -> None:
    assert duration_seconds("1h30m") == 5400
    config = HelmConfig(data={"timeout": "soon", "chartRepository": "ftp://x", "maxHistory": -1, "extra": 1})
    assert not config.is_valid()
    assert set(config.errors) == {"extra"}  # unknown keys are named first
    config = HelmConfig(data={"timeout": "soon", "chartRepository": "ftp://x", "maxHistory": -1})
    assert not config.is_valid()
    assert set(config.errors) == {"timeout", "chartRepository", "maxHistory"}
    assert HelmConfig(data={}).is_valid()

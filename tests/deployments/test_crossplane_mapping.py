"""The Crossplane plugin's pure parts (unit stage): the phase from Synced/Ready, the claim body, netweave's own
revision record, the claim template checks and the config's claim-mode rule."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plugins.dms.crossplane import mapping
from plugins.dms.crossplane.plugin import CrossplaneDMSPlugin
from plugins.dms.crossplane.template import inspect_claim_template
from plugins.sdk.dms import DeploymentPhase
from plugins.sdk.errors import InvalidRequest, NotFound

XRD = {
    "group": "nf.example.org",
    "version": "v1alpha1",
    "claimKind": "NetworkSlice",
    "claimPlural": "networkslices",
    "compositeKind": "XNetworkSlice",
    "compositePlural": "xnetworkslices",
}


def claim(generation: int = 1, conditions: list[dict[str, Any]] | None = None, entries: int = 1) -> dict[str, Any]:
    history = [{"revision": n + 1, "package": "p", "values": {}, "parameters": {}} for n in range(entries)]
    return {
        "kind": "NetworkSlice",
        "metadata": {
            "name": "a",
            "namespace": "ran",
            "generation": generation,
            "annotations": {mapping.REVISIONS_ANNOTATION: json.dumps(history)},
        },
        "spec": {"writeConnectionSecretToRef": {"name": "a-connection"}, "resourceRef": {"name": "a-x1"}},
        "status": {"conditions": conditions or []},
    }


SYNCED = {"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "observedGeneration": 1}


def cond(kind: str, status: str, reason: str, generation: int = 1, message: str = "") -> dict[str, Any]:
    return {"type": kind, "status": status, "reason": reason, "observedGeneration": generation, "message": message}


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (claim(), DeploymentPhase.PENDING_INSTALL),
        (
            claim(conditions=[SYNCED, cond("Ready", "True", "Available")]),
            "deployed",
        ),
        (
            claim(2, [SYNCED, cond("Ready", "True", "Available")], 2),
            "pending-upgrade",
        ),
        (
            claim(conditions=[SYNCED, cond("Ready", "False", "Waiting")]),
            "pending-install",
        ),
        (claim(conditions=[cond("Synced", "False", "ReconcileError", message="boom")]), DeploymentPhase.FAILED),
        (claim(conditions=[cond("Synced", "False", "ReconcilePaused")]), DeploymentPhase.UNKNOWN),
        (
            claim(conditions=[SYNCED, cond("Ready", "False", "Unavailable")]),
            "failed",
        ),
    ],
)
def test_phase_follows_synced_and_ready(obj: dict[str, Any], expected: str) -> None:
    assert mapping.phase(obj) == expected


def test_status_names_the_connection_secret_and_the_failing_message() -> None:
    status = mapping.to_status(claim(conditions=[cond("Synced", "False", "ReconcileError", message="no composition")]))
    assert status.message == "no composition"
    assert status.details["connectionSecret"] == "ran/a-connection"
    assert status.details["compositeResource"] == "a-x1"


def test_claim_body_and_composite_body() -> None:
    config = {"xrd": XRD, "resource": "claim", "compositionRef": "slices-edge", "writeConnectionSecrets": True}
    body = mapping.resource_body(
        config=config, name="a", namespace="ran", package_id="p", template_spec={}, params={"x": 1}, history="[]"
    )
    assert body["kind"] == "NetworkSlice"
    assert body["metadata"]["namespace"] == "ran"
    assert body["spec"] == {
        "parameters": {"x": 1},
        "compositionRef": {"name": "slices-edge"},
        "writeConnectionSecretToRef": {"name": "a-connection"},
    }
    composite = mapping.resource_body(
        config={**config, "resource": "composite", "connectionSecretNamespace": "xp"},
        name="a",
        namespace="ran",
        package_id="p",
        template_spec={"compositionSelector": {"matchLabels": {"tier": "core"}}},
        params={},
        history="[]",
    )
    assert composite["kind"] == "XNetworkSlice"
    assert "namespace" not in composite["metadata"]
    assert composite["spec"]["compositionSelector"] == {"matchLabels": {"tier": "core"}}  # the template wins
    assert composite["spec"]["writeConnectionSecretToRef"] == {"name": "a-connection", "namespace": "xp"}


def test_revisions_are_bounded_and_restorable() -> None:
    entries: list[dict[str, Any]] = []
    for revision in range(1, 6):
        text = mapping.with_revision(entries, mapping.revision_entry(revision, "p", {"n": revision}, {}, "Upgrade"), 3)
        entries = json.loads(text)
    assert [e["revision"] for e in entries] == [3, 4, 5]
    obj = {"metadata": {"annotations": {mapping.REVISIONS_ANNOTATION: json.dumps(entries)}}}
    assert mapping.revision_to_restore(obj, 4)["values"] == {"n": 4}
    with pytest.raises(InvalidRequest):
        mapping.revision_to_restore(obj, 1)


def test_native_ids() -> None:
    assert mapping.split_native_id("ran/a", namespaced=True) == ("ran", "a")
    assert mapping.split_native_id("a", namespaced=False) == ("", "a")
    with pytest.raises(InvalidRequest):
        mapping.split_native_id("a", namespaced=True)
    with pytest.raises(NotFound):
        mapping.split_native_id("ran/a", namespaced=False)


TEMPLATE = b"apiVersion: nf.example.org/v1alpha1\nkind: NetworkSlice\nmetadata:\n  name: small\n"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"a: &a [*a]\n", "recursive"),
        (b"x: [" * 40 + b"]" * 40, "nests"),
        (TEMPLATE + b"status: {}\n", "top-level key 'status'"),
        (TEMPLATE + b"spec: {resourceRef: {name: x}}\n", "spec.resourceRef"),
        (TEMPLATE + b"spec: {compositionRef: {name: x, kind: y}}\n", "compositionRef"),
        (TEMPLATE + b"spec: {compositionSelector: {matchLabels: {a: 1}}}\n", "not strings"),
        (TEMPLATE.replace(b"small", b"Not_A_Name"), "metadata.name"),
        (TEMPLATE.replace(b"NetworkSlice", b"Pod"), "is a Pod"),
    ],
)
def test_claim_templates_are_checked(content: bytes, words: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        inspect_claim_template(
            content, max_bytes=64 * 1024, api_version="nf.example.org/v1alpha1", kinds=("NetworkSlice",)
        )
    assert words in refused.value.detail
    assert refused.value.field == "chart"


def test_claim_template_version_from_its_annotation() -> None:
    content = TEMPLATE + b"  annotations: {netweave.io/version: 2.1.0}\nspec: {parameters: {sliceType: eMBB}}\n"
    template = inspect_claim_template(content, max_bytes=64 * 1024)
    assert (template.name, template.version) == ("small", "2.1.0")
    assert template.spec == {"parameters": {"sliceType": "eMBB"}}


def test_claim_mode_needs_the_claim_names() -> None:
    with pytest.raises(InvalidRequest) as refused:
        CrossplaneDMSPlugin("x").validated_config({"xrd": {**XRD, "claimKind": ""}})
    assert refused.value.field == "xrd"
    assert CrossplaneDMSPlugin("x").validated_config({"xrd": {**XRD, "claimKind": ""}, "resource": "composite"})

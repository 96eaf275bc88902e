"""Crossplane on the real kube-apiserver harness: its own CRDs, a sample XRD, and the test playing Crossplane.

Crossplane's CRDs (CompositeResourceDefinition, Composition) come from the Go module zip of
`github.com/crossplane/crossplane/v2` at the pinned version (`cluster/crds/`), fetched from the Go module proxy
into the Go module cache like Argo CD's (tests/argocd_harness.py). The sample XRD and Composition are
validated by the API server against those CRDs.

Crossplane core is not run (plugins/dms/crossplane/README.md says why), so the test plays it:

- the XRD controller: `composite_crd` / `claim_crd` derive the composite resource and claim CRDs from the XRD
  as Crossplane v2.0.0's `internal/xcrd` does (base schema, the XRD version's schema merged in, Crossplane's
  own spec and status properties for the legacy cluster scope, printer columns, categories, owner reference),
  and the XRD's status gets the Established and Offered conditions and its controllers' type references;
- the claim and composite reconcilers (`CrossplaneController`): a claim gets Crossplane's finalizer, a bound
  composite resource (claimRef, the claim's parameters and composition choice, labels) and `resourceRef`;
  the composite resource selects its Composition (ref, else selector, else the only one of its type); both get
  Synced/Ready conditions with `observedGeneration` (Ready `Creating` first, then `Available`), and the claim's
  connection details are published to the secret its writeConnectionSecretToRef names (owned by the claim).
  A deleted claim's composite resource is deleted, its connection secret removed (the garbage collector's part,
  no controller manager runs here) and the finalizer dropped; a deleted composite resource unpublishes its
  connection secret and drops its finalizer.

Every write goes through the API server, so the generated CRDs' schemas check the shapes written.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import time
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from tests.crd_modules import StandInController, module_crds
from tests.k8s_harness import KubeCluster

CROSSPLANE_MODULE = "github.com/crossplane/crossplane/v2"
CROSSPLANE_VERSION = "v2.0.0"
CRD_FILES = (
    "apiextensions.crossplane.io_compositeresourcedefinitions.yaml",
    "apiextensions.crossplane.io_compositions.yaml",
)
XP_GROUP, XP_VERSION = "apiextensions.crossplane.io", "v1"
GROUP, VERSION = "nf.example.org", "v1alpha1"
CLAIM_KIND, CLAIM_PLURAL = "NetworkSlice", "networkslices"
XR_KIND, XR_PLURAL = "XNetworkSlice", "xnetworkslices"
CLAIM_FINALIZER = "finalizer.apiextensions.crossplane.io"
XR_FINALIZER = "composite.apiextensions.crossplane.io"
CONNECTION_KEYS = ("endpoint", "token")
COMPOSITION = "slices-edge"

XRD_CONFIG = {
    "group": GROUP,
    "version": VERSION,
    "claimKind": CLAIM_KIND,
    "claimPlural": CLAIM_PLURAL,
    "compositeKind": XR_KIND,
    "compositePlural": XR_PLURAL,
}

SAMPLE_XRD: dict[str, Any] = {
    "apiVersion": f"{XP_GROUP}/{XP_VERSION}",
    "kind": "CompositeResourceDefinition",
    "metadata": {"name": f"{XR_PLURAL}.{GROUP}"},
    "spec": {
        "group": GROUP,
        "names": {"kind": XR_KIND, "plural": XR_PLURAL},
        "claimNames": {"kind": CLAIM_KIND, "plural": CLAIM_PLURAL},
        "connectionSecretKeys": list(CONNECTION_KEYS),
        "versions": [
            {
                "name": VERSION,
                "served": True,
                "referenceable": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "description": "A network slice for a RAN function.",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {
                                    "parameters": {
                                        "type": "object",
                                        "properties": {
                                            "sliceType": {"type": "string", "enum": ["eMBB", "URLLC", "mMTC"]},
                                            "bandwidthMbps": {"type": "integer", "minimum": 1, "maximum": 100000},
                                            "site": {"type": "string"},
                                        },
                                        "required": ["sliceType"],
                                    }
                                },
                                "required": ["parameters"],
                            }
                        },
                    }
                },
            }
        ],
    },
}

SAMPLE_COMPOSITION: dict[str, Any] = {
    "apiVersion": f"{XP_GROUP}/{XP_VERSION}",
    "kind": "Composition",
    "metadata": {"name": COMPOSITION, "labels": {"tier": "edge"}},
    "spec": {
        "compositeTypeRef": {"apiVersion": f"{GROUP}/{VERSION}", "kind": XR_KIND},
        "mode": "Pipeline",
        "pipeline": [{"step": "compose", "functionRef": {"name": "function-patch-and-transform"}}],
    },
}


def crd_manifests() -> list[dict[str, Any]]:
    return module_crds(CROSSPLANE_MODULE, CROSSPLANE_VERSION, [f"cluster/crds/{name}" for name in CRD_FILES])


# --- the XRD controller's CRD derivation (Crossplane v2.0.0 internal/xcrd), legacy cluster scope ---------------


def _string_map() -> dict[str, Any]:
    return {"type": "object", "additionalProperties": {"type": "string"}}


def _name_ref() -> dict[str, Any]:
    return {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}


def _selector() -> dict[str, Any]:
    return {"type": "object", "required": ["matchLabels"], "properties": {"matchLabels": _string_map()}}


def _enum(values: tuple[str, ...], default: str | None = None) -> dict[str, Any]:
    prop: dict[str, Any] = {"type": "string", "enum": list(values)}
    if default:
        prop["default"] = default
    return prop


def _strings(*names: str) -> dict[str, Any]:
    return {name: {"type": "string"} for name in names}


def _composition_props(update_default: str | None) -> dict[str, Any]:
    return {
        "compositionRef": _name_ref(),
        "compositionSelector": _selector(),
        "compositionRevisionRef": _name_ref(),
        "compositionRevisionSelector": _selector(),
        "compositionUpdatePolicy": _enum(("Automatic", "Manual"), update_default),
    }


def _status_props() -> dict[str, Any]:
    condition = {
        "type": "object",
        "required": ["lastTransitionTime", "reason", "status", "type"],
        "properties": {
            "lastTransitionTime": {"type": "string", "format": "date-time"},
            **_strings("message", "reason", "status", "type"),
            "observedGeneration": {"type": "integer", "format": "int64"},
        },
    }
    return {
        "conditions": {
            "description": "Conditions of the resource.",
            "type": "array",
            "x-kubernetes-list-map-keys": ["type"],
            "x-kubernetes-list-type": "map",
            "items": condition,
        },
        "connectionDetails": {
            "type": "object",
            "properties": {"lastPublishedTime": {"type": "string", "format": "date-time"}},
        },
        "claimConditionTypes": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
    }


def _columns(third: tuple[str, str]) -> list[dict[str, Any]]:
    return [
        {"name": "SYNCED", "type": "string", "jsonPath": ".status.conditions[?(@.type=='Synced')].status"},
        {"name": "READY", "type": "string", "jsonPath": ".status.conditions[?(@.type=='Ready')].status"},
        {"name": third[0], "type": "string", "jsonPath": third[1]},
        {"name": "AGE", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    ]


def _version(xrd_version: Mapping[str, Any], spec_props: dict[str, Any], columns: list[dict[str, Any]]) -> dict:
    schema = (xrd_version.get("schema") or {}).get("openAPIV3Schema") or {}
    x_spec = (schema.get("properties") or {}).get("spec") or {}
    x_status = (schema.get("properties") or {}).get("status") or {}
    spec: dict[str, Any] = {"type": "object", "properties": {**spec_props, **(x_spec.get("properties") or {})}}
    for key in ("required", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-validations", "oneOf"):
        if x_spec.get(key):
            spec[key] = x_spec[key]
    if x_spec.get("description"):
        spec["description"] = x_spec["description"]
    status: dict[str, Any] = {"type": "object", "properties": {**_status_props(), **(x_status.get("properties") or {})}}
    for key in ("required", "x-kubernetes-validations", "oneOf", "description"):
        if x_status.get(key):
            status[key] = x_status[key]
    root: dict[str, Any] = {
        "type": "object",
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 63}}},
            "spec": spec,
            "status": status,
        },
    }
    if schema.get("description"):
        root["description"] = schema["description"]
    version: dict[str, Any] = {
        "name": xrd_version["name"],
        "served": xrd_version["served"],
        "storage": xrd_version["referenceable"],
        "schema": {"openAPIV3Schema": root},
        "subresources": {"status": {}},
        "additionalPrinterColumns": [*(xrd_version.get("additionalPrinterColumns") or []), *columns],
    }
    if xrd_version.get("deprecated"):
        version["deprecated"] = True
    return version


def _crd(xrd: Mapping[str, Any], name: str, names: Mapping[str, Any], category: str, scope: str) -> dict:
    meta = xrd["metadata"]
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": name,
            "labels": dict(meta.get("labels") or {}),
            "ownerReferences": [
                {
                    "apiVersion": f"{XP_GROUP}/{XP_VERSION}",
                    "kind": "CompositeResourceDefinition",
                    "name": meta["name"],
                    "uid": meta["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "group": xrd["spec"]["group"],
            "scope": scope,
            "names": {**names, "categories": [*(names.get("categories") or []), category]},
        },
    }


def composite_crd(xrd: Mapping[str, Any]) -> dict[str, Any]:
    """The composite resource's CRD (ForCompositeResource), for an XRD of the legacy cluster scope."""
    spec = xrd["spec"]
    crd = _crd(xrd, xrd["metadata"]["name"], spec["names"], "composite", "Cluster")
    props = {
        **_composition_props(spec.get("defaultCompositionUpdatePolicy")),
        "resourceRefs": {
            "type": "array",
            "x-kubernetes-list-type": "atomic",
            "items": {
                "type": "object",
                "required": ["apiVersion", "kind"],
                "properties": _strings("apiVersion", "name", "namespace", "kind"),
            },
        },
        "claimRef": {
            "type": "object",
            "required": ["apiVersion", "kind", "namespace", "name"],
            "properties": _strings("apiVersion", "kind", "namespace", "name"),
        },
        "writeConnectionSecretToRef": {
            "type": "object",
            "required": ["name", "namespace"],
            "properties": _strings("name", "namespace"),
        },
    }
    columns = _columns(("COMPOSITION", ".spec.compositionRef.name"))
    columns.insert(3, {**_columns(("", ".spec.compositionRevisionRef.name"))[2], "name": "COMPOSITIONREVISION"})
    columns[3]["priority"] = 1
    crd["spec"]["versions"] = [_version(v, props, columns) for v in spec["versions"]]
    return crd


def claim_crd(xrd: Mapping[str, Any]) -> dict[str, Any]:
    """The claim's CRD (ForCompositeResourceClaim): namespaced, named after the claim names."""
    spec = xrd["spec"]
    names = spec["claimNames"]
    crd = _crd(xrd, f"{names['plural']}.{spec['group']}", names, "claim", "Namespaced")
    props = {
        **_composition_props(None),
        "compositeDeletePolicy": _enum(("Background", "Foreground"), spec.get("defaultCompositeDeletePolicy")),
        "resourceRef": {
            "type": "object",
            "required": ["apiVersion", "kind", "name"],
            "properties": _strings("apiVersion", "kind", "name"),
        },
        "writeConnectionSecretToRef": _name_ref(),
    }
    columns = _columns(("CONNECTION-SECRET", ".spec.writeConnectionSecretToRef.name"))
    crd["spec"]["versions"] = [_version(v, props, columns) for v in spec["versions"]]
    return crd


# --- fixtures ------------------------------------------------------------------------------------------------


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _established(api: Any, names: list[str]) -> None:
    deadline = time.monotonic() + 60
    for name in names:
        while not any(
            c.type == "Established" and c.status == "True"
            for c in api.read_custom_resource_definition(name).status.conditions or []
        ):
            assert time.monotonic() < deadline, f"CRD {name} not established"
            time.sleep(0.2)


def _create(call: Any, *args: Any) -> Any:
    from kubernetes.client.rest import ApiException

    try:
        return call(*args)
    except ApiException as exc:
        if exc.status != 409:
            raise
        return None


@pytest.fixture(scope="session")
def crossplane_xrd(kube_cluster: KubeCluster) -> KubeCluster:
    """Crossplane's CRDs, the sample XRD and Composition, and the CRDs Crossplane would derive from the XRD."""
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    api_client = kube_cluster.api_client()
    crds = client.ApiextensionsV1Api(api_client)
    objects = client.CustomObjectsApi(api_client)
    manifests = crd_manifests()
    for body in manifests:
        _create(crds.create_custom_resource_definition, body)
    _established(crds, [m["metadata"]["name"] for m in manifests])
    deadline = time.monotonic() + 60
    while True:  # Established can precede the API being served for a moment
        try:
            _create(
                objects.create_cluster_custom_object, XP_GROUP, XP_VERSION, "compositeresourcedefinitions", SAMPLE_XRD
            )
            break
        except ApiException as exc:
            if exc.status != 404 or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    _create(objects.create_cluster_custom_object, XP_GROUP, XP_VERSION, "compositions", SAMPLE_COMPOSITION)
    xrd = objects.get_cluster_custom_object(
        XP_GROUP, XP_VERSION, "compositeresourcedefinitions", SAMPLE_XRD["metadata"]["name"]
    )
    derived = [composite_crd(xrd), claim_crd(xrd)]
    for body in derived:
        _create(crds.create_custom_resource_definition, body)
    _established(crds, [d["metadata"]["name"] for d in derived])
    generation = xrd["metadata"]["generation"]
    xrd["status"] = {
        "conditions": [
            {
                "type": kind,
                "status": "True",
                "reason": reason,
                "lastTransitionTime": _now(),
                "observedGeneration": generation,
            }
            for kind, reason in (
                ("Established", "WatchingCompositeResource"),
                ("Offered", "WatchingCompositeResourceClaim"),
            )
        ],
        "controllers": {
            "compositeResourceType": {"apiVersion": f"{GROUP}/{VERSION}", "kind": XR_KIND},
            "compositeResourceClaimType": {"apiVersion": f"{GROUP}/{VERSION}", "kind": CLAIM_KIND},
        },
    }
    objects.replace_cluster_custom_object_status(
        XP_GROUP, XP_VERSION, "compositeresourcedefinitions", xrd["metadata"]["name"], xrd
    )
    while True:
        try:
            objects.list_cluster_custom_object(GROUP, VERSION, CLAIM_PLURAL)
            objects.list_cluster_custom_object(GROUP, VERSION, XR_PLURAL)
            break
        except ApiException as exc:
            if exc.status != 404:
                raise
            assert time.monotonic() < deadline, "claims not served after their CRD was established"
            time.sleep(0.2)
    with contextlib.suppress(ApiException):
        client.CoreV1Api(api_client).create_namespace({"metadata": {"name": "crossplane-system"}})
    api_client.close()
    return kube_cluster


# --- the claim and composite reconcilers --------------------------------------------------------------------


def _condition(kind: str, status: str, reason: str, generation: int, message: str = "") -> dict[str, Any]:
    entry = {
        "type": kind,
        "status": status,
        "reason": reason,
        "lastTransitionTime": _now(),
        "observedGeneration": generation,
    }
    if message:
        entry["message"] = message
    return entry


def _synced_at(obj: Mapping[str, Any]) -> int:
    for entry in (obj.get("status") or {}).get("conditions") or []:
        if entry.get("type") == "Synced":
            return int(entry.get("observedGeneration") or 0)
    return 0


def _ready(obj: Mapping[str, Any]) -> str:
    for entry in (obj.get("status") or {}).get("conditions") or []:
        if entry.get("type") == "Ready":
            return str(entry.get("reason", ""))
    return ""


class CrossplaneController(StandInController):
    """The part of Crossplane core netweave's tests need (claim binding, composition selection, conditions,
    connection secrets, deletion), as a polling thread."""

    what = "Crossplane"

    def __init__(self, cluster: KubeCluster) -> None:
        from kubernetes import client

        super().__init__(cluster)
        self.core = client.CoreV1Api(self.api_client)

    def reconcile(self) -> None:
        from kubernetes.client.rest import ApiException

        for claim in self.objects.list_cluster_custom_object(GROUP, VERSION, CLAIM_PLURAL).get("items") or []:
            try:
                if claim["metadata"].get("deletionTimestamp"):
                    self.delete_claim(claim)
                else:
                    self.sync_claim(claim)
            except ApiException as exc:
                if exc.status not in (404, 409):  # gone, or changed meanwhile: next round
                    raise
        for xr in self.objects.list_cluster_custom_object(GROUP, VERSION, XR_PLURAL).get("items") or []:
            try:
                if xr["metadata"].get("deletionTimestamp"):
                    self.delete_composite(xr)
                else:
                    self.compose(xr)
            except ApiException as exc:
                if exc.status not in (404, 409):
                    raise

    # -- composite resources

    def select_composition(self, xr: Mapping[str, Any]) -> str:
        spec = xr["spec"]
        if spec.get("compositionRef"):
            return str(spec["compositionRef"]["name"])
        listed = self.objects.list_cluster_custom_object(XP_GROUP, XP_VERSION, "compositions").get("items") or []
        labels = ((spec.get("compositionSelector") or {}).get("matchLabels")) or {}
        matching = [
            c["metadata"]["name"]
            for c in listed
            if c["spec"]["compositeTypeRef"] == {"apiVersion": xr["apiVersion"], "kind": xr["kind"]}
            and all((c["metadata"].get("labels") or {}).get(k) == v for k, v in labels.items())
        ]
        return sorted(matching)[0] if matching else ""

    def compose(self, xr: dict[str, Any]) -> None:
        meta = xr["metadata"]
        if XR_FINALIZER not in (meta.get("finalizers") or []):
            meta["finalizers"] = [*(meta.get("finalizers") or []), XR_FINALIZER]
            xr = self.objects.replace_cluster_custom_object(GROUP, VERSION, XR_PLURAL, meta["name"], xr)
            meta = xr["metadata"]
        if _synced_at(xr) == meta["generation"] and _ready(xr) == "Available":
            return
        if not xr["spec"].get("compositionRef"):
            chosen = self.select_composition(xr)
            if chosen:
                xr["spec"]["compositionRef"] = {"name": chosen}
                xr = self.objects.replace_cluster_custom_object(GROUP, VERSION, XR_PLURAL, meta["name"], xr)
        generation = xr["metadata"]["generation"]
        status = dict(xr.get("status") or {})
        if not xr["spec"].get("compositionRef"):
            synced = _condition("Synced", "False", "ReconcileError", generation, "cannot select Composition")
            ready = _condition("Ready", "False", "Creating", generation)
        else:
            synced = _condition("Synced", "True", "ReconcileSuccess", generation)
            ready = _condition(
                "Ready",
                "True" if _ready(xr) == "Creating" else "False",
                "Available" if _ready(xr) == "Creating" else "Creating",
                generation,
            )
        status["conditions"] = [synced, ready]
        if ready["status"] == "True":
            status["connectionDetails"] = {"lastPublishedTime": _now()}
            self.publish(xr, xr["spec"].get("writeConnectionSecretToRef"))
        xr["status"] = status
        self.objects.replace_cluster_custom_object_status(GROUP, VERSION, XR_PLURAL, xr["metadata"]["name"], xr)

    def delete_composite(self, xr: dict[str, Any]) -> None:
        """Unpublish the connection details, then let the composite resource go."""
        from kubernetes.client.rest import ApiException

        meta = xr["metadata"]
        if XR_FINALIZER not in (meta.get("finalizers") or []):
            return
        ref = xr["spec"].get("writeConnectionSecretToRef")
        if ref:
            with contextlib.suppress(ApiException):
                self.core.delete_namespaced_secret(ref["name"], ref["namespace"])
        meta["finalizers"] = [f for f in meta["finalizers"] if f != XR_FINALIZER]
        self.objects.replace_cluster_custom_object(GROUP, VERSION, XR_PLURAL, meta["name"], xr)

    def publish(self, owner: Mapping[str, Any], ref: Mapping[str, Any] | None) -> None:
        """Write the connection details to the secret `ref` names, owned (as controller) by `owner`."""
        if not ref:
            return
        meta = owner["metadata"]
        namespace = ref.get("namespace") or meta.get("namespace")
        secret = {
            "metadata": {
                "name": ref["name"],
                "namespace": namespace,
                "ownerReferences": [
                    {
                        "apiVersion": owner["apiVersion"],
                        "kind": owner["kind"],
                        "name": meta["name"],
                        "uid": meta["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "type": "connection.crossplane.io/v1alpha1",
            "stringData": {"endpoint": f"https://{meta['name']}.slices.example.org", "token": uuid.uuid4().hex},
        }
        if _create(self.core.create_namespaced_secret, namespace, secret) is None:
            self.core.replace_namespaced_secret(ref["name"], namespace, secret)

    # -- claims

    def sync_claim(self, claim: dict[str, Any]) -> None:
        meta = claim["metadata"]
        if CLAIM_FINALIZER not in (meta.get("finalizers") or []):
            meta["finalizers"] = [*(meta.get("finalizers") or []), CLAIM_FINALIZER]
            claim = self.objects.replace_namespaced_custom_object(
                GROUP, VERSION, meta["namespace"], CLAIM_PLURAL, meta["name"], claim
            )
            meta = claim["metadata"]
        xr = self.bound_composite(claim)
        if xr is None:
            return
        if not claim["spec"].get("resourceRef"):
            claim["spec"]["resourceRef"] = {
                "apiVersion": xr["apiVersion"],
                "kind": XR_KIND,
                "name": xr["metadata"]["name"],
            }
            claim = self.objects.replace_namespaced_custom_object(
                GROUP, VERSION, meta["namespace"], CLAIM_PLURAL, meta["name"], claim
            )
        generation = claim["metadata"]["generation"]
        xr_ready = _ready(xr) == "Available" and _synced_at(xr) == xr["metadata"]["generation"]
        want = "Available" if xr_ready else "Waiting"
        if _synced_at(claim) == generation and _ready(claim) == want:
            return
        status = dict(claim.get("status") or {})
        if xr_ready:
            ready = _condition("Ready", "True", "Available", generation)
            self.publish(claim, claim["spec"].get("writeConnectionSecretToRef"))
            status["connectionDetails"] = {"lastPublishedTime": _now()}
        else:
            ready = _condition(
                "Ready", "False", "Waiting", generation, "Claim is waiting for composite resource to become Ready"
            )
        status["conditions"] = [_condition("Synced", "True", "ReconcileSuccess", generation), ready]
        claim["status"] = status
        self.objects.replace_namespaced_custom_object_status(
            GROUP, VERSION, claim["metadata"]["namespace"], CLAIM_PLURAL, claim["metadata"]["name"], claim
        )

    def bound_composite(self, claim: Mapping[str, Any]) -> dict[str, Any] | None:
        """Create (first time) or sync the claim's composite resource: parameters and composition choice."""
        from kubernetes.client.rest import ApiException

        meta, spec = claim["metadata"], claim["spec"]
        name = (spec.get("resourceRef") or {}).get("name") or f"{meta['name']}-{uuid.uuid4().hex[:5]}"
        wanted = {
            k: copy.deepcopy(spec[k]) for k in ("parameters", "compositionRef", "compositionSelector") if k in spec
        }
        try:
            xr = self.objects.get_cluster_custom_object(GROUP, VERSION, XR_PLURAL, name)
        except ApiException as exc:
            if exc.status != 404:
                raise
            body = {
                "apiVersion": f"{GROUP}/{VERSION}",
                "kind": XR_KIND,
                "metadata": {
                    "name": name,
                    "labels": {
                        "crossplane.io/claim-name": meta["name"],
                        "crossplane.io/claim-namespace": meta["namespace"],
                    },
                },
                "spec": {
                    **wanted,
                    "claimRef": {
                        "apiVersion": claim["apiVersion"],
                        "kind": claim["kind"],
                        "namespace": meta["namespace"],
                        "name": meta["name"],
                    },
                },
            }
            return dict(self.objects.create_cluster_custom_object(GROUP, VERSION, XR_PLURAL, body))
        if any(xr["spec"].get(k) != v for k, v in wanted.items()):
            xr["spec"].update(wanted)
            xr = self.objects.replace_cluster_custom_object(GROUP, VERSION, XR_PLURAL, name, xr)
        return dict(xr)

    def delete_claim(self, claim: dict[str, Any]) -> None:
        from kubernetes.client.rest import ApiException

        meta = claim["metadata"]
        if CLAIM_FINALIZER not in (meta.get("finalizers") or []):
            return
        ref = claim["spec"].get("resourceRef")
        if ref:
            with contextlib.suppress(ApiException):
                self.objects.delete_cluster_custom_object(GROUP, VERSION, XR_PLURAL, ref["name"])
        secret = claim["spec"].get("writeConnectionSecretToRef")
        if secret:  # the garbage collector's part: the secret is owned by the claim
            with contextlib.suppress(ApiException):
                self.core.delete_namespaced_secret(secret["name"], meta["namespace"])
        meta["finalizers"] = [f for f in meta["finalizers"] if f != CLAIM_FINALIZER]
        self.objects.replace_namespaced_custom_object(
            GROUP, VERSION, meta["namespace"], CLAIM_PLURAL, meta["name"], claim
        )


@pytest.fixture
def crossplane_controller(crossplane_xrd: KubeCluster) -> Iterator[StandInController]:
    yield from CrossplaneController(crossplane_xrd).running()

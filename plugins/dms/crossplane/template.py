"""Claim templates: the packages of the Crossplane plugin, checked before anything keeps them.

A claim template is one YAML document shaped like the claim (or composite resource) it deploys:

    apiVersion: nf.example.org/v1alpha1      # the XRD's group/version
    kind: NetworkSlice                       # its claim kind (or composite kind)
    metadata:
      name: slice-small                      # the package's name
      annotations: {netweave.io/version: "1.0.0", description: "..."}
    spec:
      parameters: {...}                      # defaults; a deployment's values replace keys of it
      compositionRef: {name: ...}            # optional, else the instance's config decides

It is read through plugins.sdk.untrusted with bounds (size, nesting, node and alias counts), so a small upload
cannot take the process down; it is a single document, not an archive, so nothing is ever unpacked. Only the
keys above are accepted: a template cannot smuggle a `writeConnectionSecretToRef` or a `resourceRef` into
the objects netweave writes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from plugins.sdk.errors import InvalidRequest
from plugins.sdk.untrusted import YamlLimits, load_yaml

PACKAGE_TYPE = "crossplane-claim"
VERSION_ANNOTATION = "netweave.io/version"
SPEC_KEYS = frozenset({"parameters", "compositionRef", "compositionSelector", "compositionUpdatePolicy"})
NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,62}$")
WHAT = "The claim template"


@dataclass(frozen=True)
class ClaimTemplate:
    """What a claim template says. `version` is its `netweave.io/version` annotation, else `sha-` and the
    first 12 hex digits of the document's SHA-256."""

    api_version: str
    kind: str
    name: str
    version: str
    description: str = ""
    spec: Mapping[str, Any] = field(default_factory=dict)


def _bad(detail: str, field_name: str) -> InvalidRequest:
    return InvalidRequest(f"{WHAT} {detail}", field=field_name)


def _mapping(value: Any, what: str, field_name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _bad(f"has a '{what}' that is not a mapping.", field_name)
    return dict(value)


def _check_spec(spec: Mapping[str, Any], field_name: str) -> None:
    unknown = sorted(set(spec) - SPEC_KEYS)
    if unknown:
        raise _bad(f"sets spec.{unknown[0]}; a template may set only {', '.join(sorted(SPEC_KEYS))}.", field_name)
    _mapping(spec.get("parameters"), "spec.parameters", field_name)
    ref = _mapping(spec.get("compositionRef"), "spec.compositionRef", field_name)
    if ref and (set(ref) != {"name"} or not isinstance(ref["name"], str) or not ref["name"]):
        raise _bad("has a spec.compositionRef that is not {name: <Composition>}.", field_name)
    selector = _mapping(spec.get("compositionSelector"), "spec.compositionSelector", field_name)
    if selector:
        labels = selector.get("matchLabels")
        if set(selector) != {"matchLabels"} or not isinstance(labels, Mapping):
            raise _bad("has a spec.compositionSelector that is not {matchLabels: {...}}.", field_name)
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
            raise _bad("has compositionSelector labels that are not strings.", field_name)
    if spec.get("compositionUpdatePolicy") not in (None, "Automatic", "Manual"):
        raise _bad("has a compositionUpdatePolicy other than Automatic or Manual.", field_name)


def inspect_claim_template(
    content: bytes,
    *,
    max_bytes: int,
    field_name: str = "chart",
    api_version: str = "",
    kinds: tuple[str, ...] = (),
) -> ClaimTemplate:
    """Validate a claim template (and, when given, that it is of `api_version` and one of `kinds`); raises
    InvalidRequest naming `field_name` and what is wrong."""
    if not content:
        raise _bad("is empty.", field_name)
    limits = YamlLimits(max_bytes=max_bytes, max_depth=32, max_nodes=20_000, max_aliases=100)
    body = load_yaml(content, source="the claim template", limits=limits, field_name=field_name)
    if not isinstance(body, Mapping):
        raise _bad("must be a YAML mapping (a claim: apiVersion, kind, metadata, spec).", field_name)
    unknown = sorted(set(body) - {"apiVersion", "kind", "metadata", "spec"})
    if unknown:
        raise _bad(f"has a top-level key '{unknown[0]}'; only apiVersion, kind, metadata and spec.", field_name)
    version_of_api, kind = body.get("apiVersion"), body.get("kind")
    if not isinstance(version_of_api, str) or "/" not in version_of_api or not isinstance(kind, str) or not kind:
        raise _bad("needs apiVersion (<group>/<version>) and kind.", field_name)
    if api_version and version_of_api != api_version:
        raise _bad(f"is of {version_of_api}; this instance deploys {api_version}.", field_name)
    if kinds and kind not in kinds:
        raise _bad(f"is a {kind}; this instance deploys {' or '.join(kinds)}.", field_name)
    metadata = _mapping(body.get("metadata"), "metadata", field_name)
    name = metadata.get("name")
    if not isinstance(name, str) or len(name) > 53 or not NAME.match(name):
        raise _bad("needs metadata.name: a DNS label of at most 53 characters.", field_name)
    annotations = _mapping(metadata.get("annotations"), "metadata.annotations", field_name)
    version = str(annotations.get(VERSION_ANNOTATION) or f"sha-{hashlib.sha256(content).hexdigest()[:12]}")
    if not VERSION.match(version):
        raise _bad(f"has a {VERSION_ANNOTATION} annotation that is not a version ('{version[:40]}').", field_name)
    spec = _mapping(body.get("spec"), "spec", field_name)
    _check_spec(spec, field_name)
    return ClaimTemplate(
        api_version=version_of_api,
        kind=kind,
        name=name,
        version=version,
        description=str(annotations.get("description") or ""),
        spec=spec,
    )

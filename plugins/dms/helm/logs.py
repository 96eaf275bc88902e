"""Pure functions for a release's workload logs: which pods belong to a release, what to ask the API server for
each container, and how the answer is laid out.

A release's pods, in its namespace, are those carrying Helm's conventional `app.kubernetes.io/instance=<release>`
label, and those the pod selector of a workload of the release's manifest (Deployment, StatefulSet, DaemonSet,
ReplicaSet, Job) matches, as `kubectl logs deployment/<name>` finds them, so a chart that does not follow the
label convention still has its pods found; of the latter, a pod controlled by another chart's workload (the
selectors of two charts may overlap) is left out, by its ownerReferences.

The body is plain text: for every pod (sorted by name) and container, a header line, then the container's last
lines; a pod or container that has no log to give says why in one line instead (not scheduled yet, container
waiting), so the caller sees every pod of the release and nothing is silently left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from plugins.sdk.dms import LogOptions
from plugins.sdk.untrusted import YamlLimits, load_yaml_all

INSTANCE_LABEL = "app.kubernetes.io/instance"
WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"})
LIMIT_BYTES_PER_CONTAINER = 1024 * 1024  # a container's share of the body; tailLines bounds it too
MAX_BODY_BYTES = 16 * 1024 * 1024  # the whole answer: a release with many pods stops here, and says so
# A rendered manifest can be much larger than a values file, but it stays bounded like any untrusted YAML.
MANIFEST_LIMITS = YamlLimits(max_bytes=32 * 1024 * 1024, max_nodes=2_000_000)
TRUNCATED = (
    "(the answer stops here: {pods} more pod(s) not read, the answer's limit of {limit} bytes is reached; "
    "ask for fewer tailLines or one container)"
)
NO_PODS = "no pods of release {namespace}/{release} exist (none scheduled yet, or the workloads run none)"

_OPERATORS = {"In": "in", "NotIn": "notin"}


def selector_string(selector: Mapping[str, Any] | None) -> str:
    """A `LabelSelector` object (matchLabels, matchExpressions) as the `labelSelector` query syntax; "" when
    the selector is missing or selects nothing expressible."""
    if not selector:
        return ""
    terms = [f"{key}={value}" for key, value in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key", ""), expression.get("operator", "")
        values = ",".join(str(v) for v in expression.get("values") or [])
        if operator in _OPERATORS:
            terms.append(f"{key} {_OPERATORS[operator]} ({values})")
        elif operator == "Exists":
            terms.append(key)
        elif operator == "DoesNotExist":
            terms.append(f"!{key}")
    return ",".join(terms)


@dataclass(frozen=True)
class Workload:
    """A pod-running object of the release's manifest: its kind, name and pod selector (query syntax)."""

    kind: str
    name: str
    selector: str


def instance_selector(release: str) -> str:
    return f"{INSTANCE_LABEL}={release}"


def release_workloads(manifest: str, namespace: str) -> list[Workload]:
    """The workloads the manifest puts in `namespace` (Deployments, StatefulSets, ...), with their selectors."""
    workloads = []
    # The manifest is rendered from an uploaded chart: read it with the same bounds as any untrusted YAML.
    for document in load_yaml_all(manifest or "", source="the release manifest", limits=MANIFEST_LIMITS):
        if not isinstance(document, Mapping) or document.get("kind") not in WORKLOAD_KINDS:
            continue
        meta = document.get("metadata") or {}
        if (meta.get("namespace") or namespace) != namespace:
            continue
        selector = selector_string((document.get("spec") or {}).get("selector"))
        workloads.append(Workload(str(document["kind"]), str(meta.get("name", "")), selector))
    return workloads


def controller_of(obj: Mapping[str, Any]) -> tuple[str, str] | None:
    """(kind, name) of the object's controller (its ownerReference with `controller: true`), if any."""
    for owner in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if owner.get("controller"):
            return str(owner.get("kind", "")), str(owner.get("name", ""))
    return None


def needs_replicaset_owners(pods: Iterable[Mapping[str, Any]], workloads: Iterable[Workload]) -> bool:
    """Whether some pod is controlled by a ReplicaSet the manifest does not name (a Deployment's, presumably):
    only then must the ReplicaSets' own owners be read."""
    named = {w.name for w in workloads if w.kind == "ReplicaSet"}
    return any((c := controller_of(pod)) is not None and c[0] == "ReplicaSet" and c[1] not in named for pod in pods)


def owned_by_release(
    pod: Mapping[str, Any], workloads: Iterable[Workload], replicaset_owners: Mapping[str, str]
) -> bool:
    """Whether a pod that a workload's selector matched belongs to the release. Selectors of different charts
    may overlap, so the pod's controller decides: one of the release's workloads, or a ReplicaSet of one of its
    Deployments (`replicaset_owners`: ReplicaSet name -> its Deployment's name). A pod without a controller,
    made by hand, counts, as `kubectl logs deployment/<name>` would show it too."""
    controller = controller_of(pod)
    if controller is None:
        return True
    kind, name = controller
    owners = {(w.kind, w.name) for w in workloads}
    if (kind, name) in owners:
        return True
    return kind == "ReplicaSet" and ("Deployment", replicaset_owners.get(name, "")) in owners


def log_query(options: LogOptions, container: str) -> dict[str, Any]:
    """Keyword arguments of `CoreV1Api.read_namespaced_pod_log` for one container."""
    query: dict[str, Any] = {
        "container": container,
        "tail_lines": options.tail_lines,
        "limit_bytes": LIMIT_BYTES_PER_CONTAINER,
    }
    if options.since_seconds is not None:
        query["since_seconds"] = options.since_seconds
    return query


def header(pod: Mapping[str, Any], container: str = "") -> str:
    """The line above a container's log (or above the note of a pod that has none), in the style of `tail`."""
    meta = pod.get("metadata") or {}
    where = f"pod {meta.get('namespace', '')}/{meta.get('name', '')}"
    return f"==> {where} container {container} <==" if container else f"==> {where} <=="


def containers(pod: Mapping[str, Any], wanted: str) -> list[str]:
    """The pod's container names (init containers first, as they run), or only `wanted` when it names one."""
    spec = pod.get("spec") or {}
    names = [c.get("name", "") for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]]
    return [name for name in names if not wanted or name == wanted]


def _statuses(pod: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    status = pod.get("status") or {}
    entries = [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]
    return {entry.get("name", ""): entry for entry in entries}


def pod_note(pod: Mapping[str, Any]) -> str:
    """Why the whole pod has no logs to give ("" when its containers may have some)."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    if not spec.get("nodeName"):
        return f"not scheduled to a node yet (phase {status.get('phase') or 'Pending'}): no logs"
    return ""


def container_note(pod: Mapping[str, Any], container: str) -> str:
    """Why a container has no log yet ("" when it has run: running or terminated, or restarted before)."""
    entry = _statuses(pod).get(container)
    if entry is None:
        return "not started yet (no container status on the node): no logs"
    state = entry.get("state") or {}
    if "running" in state or "terminated" in state or int(entry.get("restartCount") or 0) > 0:
        return ""
    waiting = state.get("waiting") or {}
    reason = waiting.get("reason") or "waiting"
    return f"not running yet ({reason}): no logs"


def section(title: str, body: bytes | str) -> bytes:
    """One header line and its text, ending with a newline."""
    text = body.encode() if isinstance(body, str) else body
    if text and not text.endswith(b"\n"):
        text += b"\n"
    return title.encode() + b"\n" + text


def sorted_pods(pods: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The pods without repeats (several selectors may find the same pod), by name."""
    unique = {str((pod.get("metadata") or {}).get("name", "")): pod for pod in pods}
    return [unique[name] for name in sorted(unique)]

"""Pure functions for a release's workload logs: which pods belong to a release, what to ask the API server for
each container, and how the answer is laid out.

A release's pods are found the way `kubectl logs deployment/<name>` finds them: by label selector. Two kinds of
selector are used, in the release's namespace: Helm's conventional `app.kubernetes.io/instance=<release>` label,
and the pod selector of each workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job) in the release's
manifest, so a chart that does not follow the label convention still has its pods found.

The body is plain text: for every pod (sorted by name) and container, a header line, then the container's last
lines; a pod or container that has no log to give says why in one line instead (not scheduled yet, container
waiting), so the caller sees every pod of the release and nothing is silently left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from plugins.sdk.dms import LogOptions

INSTANCE_LABEL = "app.kubernetes.io/instance"
WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"})
LIMIT_BYTES_PER_CONTAINER = 1024 * 1024  # a container's share of the body; tailLines bounds it too
MAX_BODY_BYTES = 16 * 1024 * 1024  # the whole answer: a release with many pods stops here, and says so
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


def release_selectors(manifest: str, release: str, namespace: str) -> list[str]:
    """The label selectors whose pods (in `namespace`) make up the release: the instance label first, then the
    pod selector of every workload the manifest puts in that namespace, without repeats."""
    selectors = [f"{INSTANCE_LABEL}={release}"]
    for document in yaml.safe_load_all(manifest or ""):
        if not isinstance(document, Mapping) or document.get("kind") not in WORKLOAD_KINDS:
            continue
        if ((document.get("metadata") or {}).get("namespace") or namespace) != namespace:
            continue
        selector = selector_string((document.get("spec") or {}).get("selector"))
        if selector and selector not in selectors:
            selectors.append(selector)
    return selectors


def log_query(options: LogOptions, container: str) -> dict[str, Any]:
    """Keyword arguments of `CoreV1Api.read_namespaced_pod_log` for one container."""
    return {"container": container, "tail_lines": options.tail_lines, "limit_bytes": LIMIT_BYTES_PER_CONTAINER}


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

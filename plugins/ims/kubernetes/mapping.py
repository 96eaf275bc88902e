"""Kubernetes API objects -> O2 inventory objects: pure functions over the API server's JSON (camelCase dicts).

The whole inventory is derived from one `Snapshot` (every Node, Machine, MachineSet and StorageClass by name),
so listing, getting and watching all agree: the watcher keeps a snapshot up to date and re-derives it.

Native ids carry what they name: `machineset/<name>` and `nodepool/<label value>` (pools), `machine/<name>`
and `node/<name>` (resources), `storageclass/<name>` and `instancetype/<flavour>` (resource types), and
`cluster` (the deployment manager). A Node managed by a Machine is one resource, `machine/<name>`, so its O2 id
does not change when the Machine, provisioning, gets its Node.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import partial
from typing import Any

from kubernetes.utils.quantity import parse_quantity

from plugins.sdk.ims import (
    DeploymentManager,
    Inventory,
    Location,
    OCloudSite,
    Resource,
    ResourceClass,
    ResourceKind,
    ResourcePool,
    ResourceType,
)

Obj = dict[str, Any]
Snapshot = dict[str, dict[str, Obj]]  # source key ("nodes", ...) -> object name -> object

CLUSTER_ID = "cluster"
UNASSIGNED_POOL = "unassigned"
UNSPECIFIED_FLAVOUR = "unspecified"
ANNOTATION_DESCRIPTION = "netweave.io/description"
ANNOTATION_LOCATION = "netweave.io/location"
ANNOTATION_GLOBAL_LOCATION = "netweave.io/global-location-id"
LABEL_POOL = "netweave.io/pool"  # on Machines netweave creates: the MachineSet (pool) they belong to
LABEL_MACHINESET = "machine.openshift.io/cluster-api-machineset"
LABEL_MACHINE_INSTANCE_TYPE = "machine.openshift.io/instance-type"
NODE_INSTANCE_TYPE_LABELS = ("node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type")
ANNOTATION_DEFAULT_STORAGE_CLASS = "storageclass.kubernetes.io/is-default-class"
LABEL_REGION = "topology.kubernetes.io/region"
LABEL_ZONE = "topology.kubernetes.io/zone"


@dataclass(frozen=True)
class Options:
    """What the mapping needs besides the objects."""

    prefix: str = "kubernetes"  # extension keys are "<prefix>.<key>"
    namespace: str = "default"
    pool_label: str = "netweave.io/pool"
    machine_set_pools: bool = True
    label_pools: bool = True
    cluster_name: str = ""
    server: str = ""
    version: Mapping[str, Any] = field(default_factory=dict)
    ocloud_id: str = ""
    machine_api: bool = True

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}"


# ---------------------------------------------------------------------------------------------- memo


class Memo:
    """Results of the costly per-object steps, reused while their inputs are the very same API objects.

    The informer replaces an object's dict when the object changes and keeps it otherwise, so after one Node
    event only that Node is mapped again: re-deriving 5,000 Nodes costs a tenth of mapping them all. Inputs are
    compared by identity for dicts (the memo keeps them alive, so an id is never reused) and by value otherwise.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], tuple[tuple[Any, ...], Any]] = {}
        self._used: set[tuple[str, str]] = set()

    def get(self, key: tuple[str, str], inputs: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        self._used.add(key)
        hit = self._entries.get(key)
        if hit is not None and all(
            (a is b) if isinstance(a, dict) else (a == b) for a, b in zip(hit[0], inputs, strict=True)
        ):
            return hit[1]
        value = compute()
        self._entries[key] = (inputs, value)
        return value

    def prune(self) -> None:
        """Forget what the last derivation did not ask for (deleted objects)."""
        self._entries = {k: v for k, v in self._entries.items() if k in self._used}
        self._used = set()


def _no_memo(key: tuple[str, str], inputs: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    return compute()


# ---------------------------------------------------------------------------------------------- small helpers


def meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def name_of(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("name", ""))


def labels_of(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict(meta(obj).get("labels") or {})


def annotations_of(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict(meta(obj).get("annotations") or {})


def number(quantity: Any) -> int | float:
    """A Kubernetes quantity ("3800m", "16Gi") as a JSON number (int when whole)."""
    try:
        value = parse_quantity(quantity)
    except (ValueError, TypeError):
        return 0
    return int(value) if value == value.to_integral_value() else float(value)


def quantities(block: Mapping[str, Any] | None) -> dict[str, int | float]:
    return {str(k): number(v) for k, v in sorted((block or {}).items())}


def machine_set_pool_id(name: str) -> str:
    return f"machineset/{name}"


def label_pool_id(value: str) -> str:
    return f"nodepool/{value}"


def machine_resource_id(name: str) -> str:
    return f"machine/{name}"


def node_resource_id(name: str) -> str:
    return f"node/{name}"


def instance_type_id(flavour: str) -> str:
    return f"instancetype/{flavour}"


def storage_class_type_id(name: str) -> str:
    return f"storageclass/{name}"


# ---------------------------------------------------------------------------------------------- pools


def pool_from_machine_set(ms: Mapping[str, Any], options: Options) -> ResourcePool:
    annotations = annotations_of(ms)
    spec = ms.get("spec") or {}
    status = ms.get("status") or {}
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    k = options.key
    extensions: dict[str, Any] = {
        k("kind"): "MachineSet",
        k("namespace"): str(meta(ms).get("namespace", "")),
        k("replicas"): int(spec.get("replicas", 1) if spec.get("replicas") is not None else 1),
        k("readyReplicas"): int(status.get("readyReplicas") or 0),
        k("availableReplicas"): int(status.get("availableReplicas") or 0),
        k("labels"): labels_of(ms),
    }
    flavour = template_labels.get(LABEL_MACHINE_INSTANCE_TYPE)
    if flavour:
        extensions[k("instanceType")] = str(flavour)
    return ResourcePool(
        native_id=machine_set_pool_id(name_of(ms)),
        name=name_of(ms),
        description=annotations.get(ANNOTATION_DESCRIPTION, ""),
        global_location_id=annotations.get(ANNOTATION_GLOBAL_LOCATION, ""),
        location=annotations.get(ANNOTATION_LOCATION, ""),
        extensions=extensions,
    )


def pool_from_label(value: str, members: int, options: Options) -> ResourcePool:
    return ResourcePool(
        native_id=label_pool_id(value),
        name=value,
        description=f"Nodes labelled {options.pool_label}={value}",
        extensions={
            options.key("kind"): "NodeLabel",
            options.key("nodeSelector"): {options.pool_label: value},
            options.key("nodes"): members,
        },
    )


def unassigned_pool(members: int, options: Options) -> ResourcePool:
    return ResourcePool(
        native_id=UNASSIGNED_POOL,
        name=UNASSIGNED_POOL,
        description="Nodes and Machines that no MachineSet owns and no pool label names",
        extensions={options.key("kind"): "Unassigned", options.key("nodes"): members},
    )


# ---------------------------------------------------------------------------------------------- types


def type_from_storage_class(sc: Mapping[str, Any], options: Options) -> ResourceType:
    name = name_of(sc)
    provisioner = str(sc.get("provisioner", ""))
    k = options.key
    return ResourceType(
        native_id=storage_class_type_id(name),
        name=name,
        description=f"StorageClass {name} (provisioner {provisioner})",
        vendor=provisioner,
        model=name,
        resource_kind=ResourceKind.LOGICAL,
        resource_class=ResourceClass.STORAGE,
        extensions={
            k("kind"): "StorageClass",
            k("provisioner"): provisioner,
            k("parameters"): dict(sc.get("parameters") or {}),
            k("reclaimPolicy"): str(sc.get("reclaimPolicy", "Delete")),
            k("volumeBindingMode"): str(sc.get("volumeBindingMode", "Immediate")),
            k("allowVolumeExpansion"): bool(sc.get("allowVolumeExpansion", False)),
            k("default"): annotations_of(sc).get(ANNOTATION_DEFAULT_STORAGE_CLASS) == "true",
        },
    )


def type_from_flavour(flavour: str, options: Options) -> ResourceType:
    known = flavour != UNSPECIFIED_FLAVOUR
    return ResourceType(
        native_id=instance_type_id(flavour),
        name=flavour,
        description=f"Machine flavour {flavour}" if known else "Nodes and Machines without an instance-type label",
        model=flavour if known else "",
        resource_kind=ResourceKind.UNDEFINED,
        resource_class=ResourceClass.COMPUTE,
        extensions={options.key("kind"): "InstanceType", options.key("instanceType"): flavour if known else ""},
    )


def flavour_of(node: Mapping[str, Any] | None, machine: Mapping[str, Any] | None) -> str:
    for labels, keys in (
        (labels_of(node) if node else {}, NODE_INSTANCE_TYPE_LABELS),
        (labels_of(machine) if machine else {}, (LABEL_MACHINE_INSTANCE_TYPE,)),
    ):
        for key in keys:
            if labels.get(key):
                return str(labels[key])
    return UNSPECIFIED_FLAVOUR


# ---------------------------------------------------------------------------------------------- resources


def machine_set_of(machine: Mapping[str, Any], machine_sets: Mapping[str, Any]) -> str | None:
    """The MachineSet a Machine belongs to: its owner, else netweave's pool label, else the machineset label."""
    for owner in meta(machine).get("ownerReferences") or []:
        if owner.get("kind") == "MachineSet" and owner.get("name") in machine_sets:
            return str(owner["name"])
    labels = labels_of(machine)
    for key in (LABEL_POOL, LABEL_MACHINESET):
        if labels.get(key) in machine_sets:
            return str(labels[key])
    return None


def node_name_of(machine: Mapping[str, Any]) -> str | None:
    ref = (machine.get("status") or {}).get("nodeRef") or {}
    return str(ref["name"]) if ref.get("name") else None


def _node_extensions(node: Mapping[str, Any], options: Options) -> dict[str, Any]:
    status = node.get("status") or {}
    spec = node.get("spec") or {}
    info = status.get("nodeInfo") or {}
    capacity = quantities(status.get("capacity"))
    conditions = {
        str(c.get("type")): {"status": str(c.get("status", "")), "reason": str(c.get("reason", ""))}
        for c in status.get("conditions") or []
    }
    k = options.key
    return {
        k("nodeName"): name_of(node),
        k("ready"): conditions.get("Ready", {}).get("status") == "True",
        k("cpu"): capacity.get("cpu", 0),
        k("memoryBytes"): capacity.get("memory", 0),
        k("capacity"): capacity,
        k("allocatable"): quantities(status.get("allocatable")),
        k("conditions"): conditions,
        k("addresses"): [
            {"type": str(a.get("type", "")), "address": str(a.get("address", ""))}
            for a in status.get("addresses") or []
        ],
        k("labels"): labels_of(node),
        k("unschedulable"): bool(spec.get("unschedulable", False)),
        k("kubeletVersion"): str(info.get("kubeletVersion", "")),
        k("osImage"): str(info.get("osImage", "")),
        k("architecture"): str(info.get("architecture", "")),
    }


def resource_from(
    node: Mapping[str, Any] | None, machine: Mapping[str, Any] | None, pool_id: str, options: Options
) -> Resource:
    """One resource: a Node, a Machine, or a Machine joined with the Node it runs."""
    if node is None and machine is None:
        raise ValueError("a resource needs a node or a machine")
    extensions: dict[str, Any] = _node_extensions(node, options) if node is not None else {}
    provider_id = ""
    if machine is not None:
        mstatus = machine.get("status") or {}
        extensions[options.key("machineName")] = name_of(machine)
        extensions[options.key("machinePhase")] = str(mstatus.get("phase", ""))
        provider_id = str((machine.get("spec") or {}).get("providerID") or "")
        native_id = machine_resource_id(name_of(machine))
        annotation = annotations_of(machine).get(ANNOTATION_DESCRIPTION)
        description = annotation or (
            f"Machine {name_of(machine)}" + (f" running node {name_of(node)}" if node is not None else "")
        )
    else:
        assert node is not None
        native_id = node_resource_id(name_of(node))
        description = f"Node {name_of(node)}"
    if node is not None:
        provider_id = provider_id or str((node.get("spec") or {}).get("providerID") or "")
        system_uuid = str(((node.get("status") or {}).get("nodeInfo") or {}).get("systemUUID") or "")
    else:
        system_uuid = ""
    if provider_id:
        extensions[options.key("providerID")] = provider_id
    return Resource(
        native_id=native_id,
        resource_type_id=instance_type_id(flavour_of(node, machine)),
        resource_pool_id=pool_id,
        description=description,
        global_asset_id=provider_id or system_uuid,
        extensions=extensions,
    )


# ---------------------------------------------------------------------------------------------- cluster


def allocatable(node: Mapping[str, Any]) -> dict[str, Decimal]:
    found = {}
    for key, value in ((node.get("status") or {}).get("allocatable") or {}).items():
        try:
            found[str(key)] = parse_quantity(value)
        except (ValueError, TypeError):
            continue
    return found


def deployment_manager(
    nodes: Iterable[Mapping[str, Any]], options: Options, memo: Memo | None = None
) -> DeploymentManager:
    """The cluster itself: its API endpoint, version and the nodes' summed capacity."""
    count = 0
    totals: dict[str, Decimal] = {}
    regions: set[str] = set()
    cached = memo.get if memo is not None else _no_memo
    for node in nodes:
        count += 1
        for key, value in cached(("allocatable", name_of(node)), (node,), partial(allocatable, node)).items():
            totals[key] = totals.get(key, Decimal(0)) + value
        region = labels_of(node).get(LABEL_REGION)
        if region:
            regions.add(region)
    capacity: dict[str, Any] = {"nodes": count}
    capacity.update({key: int(v) if v == v.to_integral_value() else float(v) for key, v in sorted(totals.items())})
    git_version = str(options.version.get("gitVersion", ""))
    extensions: dict[str, Any] = {
        options.key("version"): git_version,
        options.key("platform"): str(options.version.get("platform", "")),
        options.key("machineApi"): options.machine_api,
    }
    if options.ocloud_id:
        extensions[options.key("ocloudId")] = options.ocloud_id
    name = options.cluster_name or CLUSTER_ID
    return DeploymentManager(
        native_id=CLUSTER_ID,
        name=name,
        description=f"Kubernetes cluster {name}" + (f" ({git_version})" if git_version else ""),
        service_uri=options.server,
        supported_locations=tuple(sorted(regions)),
        capabilities={
            "kubernetesVersion": git_version,
            "profiles": ["native_k8sapi"],
            "machineApi": options.machine_api,
        },
        capacity=capacity,
        extensions=extensions,
    )


# ---------------------------------------------------------------------------------------------- R005 places


def topology(nodes: Iterable[Mapping[str, Any]], options: Options) -> tuple[list[Location], list[OCloudSite]]:
    """Locations from the nodes' `topology.kubernetes.io/region` labels, sites from their `.../zone` labels
    (a zone's location is the region its nodes name). Nodes without the labels place nothing."""
    regions: set[str] = set()
    zone_regions: dict[str, set[str]] = {}
    for node in nodes:
        labels = labels_of(node)
        region, zone = labels.get(LABEL_REGION, ""), labels.get(LABEL_ZONE, "")
        if region:
            regions.add(region)
        if zone:
            zone_regions.setdefault(zone, set()).update({region} if region else set())
    k = options.key
    locations = [
        Location(
            global_location_id=region,
            name=region,
            description=f"Kubernetes region {region} ({LABEL_REGION})",
            extensions={k("label"): LABEL_REGION},
        )
        for region in sorted(regions)
    ]
    sites = [
        OCloudSite(
            native_id=zone,
            name=zone,
            description=f"Kubernetes zone {zone} ({LABEL_ZONE})",
            # A zone is in one region; a zone whose nodes disagree names none rather than pick one.
            global_location_id=next(iter(found)) if len(found) == 1 else "",
            extensions={k("label"): LABEL_ZONE},
        )
        for zone, found in sorted(zone_regions.items())
    ]
    return locations, sites


# ---------------------------------------------------------------------------------------------- the whole inventory

ExtraTypes = Callable[[Snapshot, Options], list[ResourceType]]


def derive(
    snapshot: Snapshot, options: Options, extra_types: ExtraTypes | None = None, memo: Memo | None = None
) -> Inventory:
    """Every O2 object the snapshot describes (`memo`: reuse the mapping of objects that did not change)."""
    cached = memo.get if memo is not None else _no_memo
    nodes = snapshot.get("nodes", {})
    machines = snapshot.get("machines", {}) if options.machine_api else {}
    machine_sets = snapshot.get("machinesets", {}) if options.machine_api and options.machine_set_pools else {}

    pools: dict[str, ResourcePool] = {
        machine_set_pool_id(name): pool_from_machine_set(ms, options) for name, ms in machine_sets.items()
    }
    label_members: dict[str, int] = {}
    unassigned = 0
    resources: list[Resource] = []
    managed_nodes: set[str] = set()

    pool_zones: dict[str, set[str]] = {}

    def zone_of(node: Mapping[str, Any] | None, pool_id: str) -> None:
        zone = labels_of(node).get(LABEL_ZONE, "") if node is not None else ""
        pool_zones.setdefault(pool_id, set()).add(zone)

    def place(node: Mapping[str, Any] | None) -> str:
        nonlocal unassigned
        value = labels_of(node).get(options.pool_label) if node is not None and options.label_pools else None
        if value:
            label_members[value] = label_members.get(value, 0) + 1
            return label_pool_id(value)
        unassigned += 1
        return UNASSIGNED_POOL

    for machine in machines.values():
        node_name = node_name_of(machine)
        node = nodes.get(node_name) if node_name else None
        if node is not None:
            managed_nodes.add(node_name or "")
        ms = machine_set_of(machine, machine_sets)
        pool_id = machine_set_pool_id(ms) if ms else place(node)
        zone_of(node, pool_id)
        resources.append(
            cached(
                ("machine", name_of(machine)),
                (node or "", machine, pool_id),
                partial(resource_from, node, machine, pool_id, options),
            )
        )
    for node_name, node in nodes.items():
        if node_name not in managed_nodes:
            pool_id = place(node)
            zone_of(node, pool_id)
            resources.append(
                cached(("node", node_name), (node, pool_id), partial(resource_from, node, None, pool_id, options))
            )

    for value, members in label_members.items():
        pools[label_pool_id(value)] = pool_from_label(value, members, options)
    if unassigned:
        pools[UNASSIGNED_POOL] = unassigned_pool(unassigned, options)

    types: dict[str, ResourceType] = {
        storage_class_type_id(name): type_from_storage_class(sc, options)
        for name, sc in snapshot.get("storageclasses", {}).items()
    }
    for flavour in sorted({r.resource_type_id.split("/", 1)[1] for r in resources}):
        types[instance_type_id(flavour)] = type_from_flavour(flavour, options)
    for extra in extra_types(snapshot, options) if extra_types else []:
        types[extra.native_id] = extra

    locations, sites = topology(nodes.values(), options)
    site_ids = {site.native_id for site in sites}
    for pool_id, zones in pool_zones.items():
        # A pool is at a site when all its nodes are in that one zone.
        (zone,) = zones if len(zones) == 1 else ("",)
        if zone in site_ids and pool_id in pools:
            pools[pool_id] = replace(pools[pool_id], site_id=zone)
    cluster = deployment_manager(nodes.values(), options, memo)
    if memo is not None:
        memo.prune()
    return Inventory(
        deployment_managers=[cluster],
        locations=locations,
        sites=sites,
        resource_pools=sorted(pools.values(), key=lambda p: p.native_id),
        resource_types=sorted(types.values(), key=lambda t: t.native_id),
        resources=sorted(resources, key=lambda r: r.native_id),
    )

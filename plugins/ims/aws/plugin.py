"""The AWS IMS plugin: EKS node groups as pools, EC2 instances as resources, instance types, EKS clusters.

Thin: boto3 calls and checks of the caller's input here, mapping in mapping.py, error translation in errors.py.
Changes arrive by polling: `collect_inventory` makes one pass of describe calls and hands netweave its digest
(`Inventory.fingerprint`), so a poll of an unchanged account skips the reconcile. Throttling is absorbed by
botocore's adaptive retry mode (client-side rate limiting plus backoff); what still fails is BackendUnavailable,
and the sync keeps the inventory it has.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import DeferredRefreshableCredentials

from plugins.ims.aws import mapping
from plugins.ims.aws.config import SECRET_FIELDS, AWSConfig
from plugins.ims.aws.errors import AUTH_FAILED, translated
from plugins.sdk.base import Capability, HealthStatus
from plugins.sdk.errors import BackendUnavailable, InvalidRequest, NotFound, PluginError
from plugins.sdk.ims import (
    DeploymentManager,
    Inventory,
    Resource,
    ResourcePool,
    ResourceType,
    SnapshotIMSPlugin,
)
from plugins.sdk.validation import checked_text

logger = logging.getLogger(__name__)

# Pool extensions a caller may write: the node group's scaling and Kubernetes labels.
SCALING_KEYS = ("aws.desiredSize", "aws.minSize", "aws.maxSize")
EXT_LABELS = "aws.labels"
WRITABLE_POOL_KEYS = frozenset({*SCALING_KEYS, EXT_LABELS})
# Extra keys a create request names: where and how the node group is made.
CREATE_POOL_KEYS = frozenset(
    {"aws.cluster", "aws.subnets", "aws.nodeRole", "aws.instanceTypes", "aws.capacityType", "aws.amiType", "aws.tags"}
)
INSTANCE_TYPE_BATCH = 100  # DescribeInstanceTypes takes at most 100 names
INSTANCE_PAGE_SIZE = 1000  # DescribeInstances' largest page


def _int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidRequest(f"{field} must be a non-negative integer", field=field)
    return value


def _strings(value: Any, field: str, *, required: bool = False) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
        raise InvalidRequest(f"{field} must be an array of strings", field=field)
    if required and not value:
        raise InvalidRequest(f"{field} must not be empty", field=field)
    return list(value)


def _string_map(value: Any, field: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise InvalidRequest(f"{field} must be an object of strings", field=field)
    return dict(value)


class AWSIMSPlugin(SnapshotIMSPlugin):
    """One AWS region of one account: EKS node groups are pools, EC2 instances resources, instance types types."""

    name = "aws"
    version = "1.0.0"
    config_class = AWSConfig
    secret_fields = SECRET_FIELDS

    def __init__(self, instance_name: str = "") -> None:
        super().__init__(instance_name)
        self._clients: dict[str, Any] = {}
        self.region = ""
        self.endpoint_url = ""
        self.clusters: list[str] = []
        self.include_unmanaged = True
        self.ocloud_id = ""
        self._hidden: tuple[str, ...] = ()

    # ------------------------------------------------------------------------------------------ lifecycle

    def capabilities(self) -> frozenset[Capability]:
        return frozenset({Capability.RESOURCE_POOL_MANAGEMENT, Capability.RESOURCE_TYPE_DISCOVERY})

    def initialize(self, config: Mapping[str, Any]) -> None:
        """Validate and build the clients. Nothing is sent yet (a role is assumed at the first call): bad
        credentials show in health() and in the first sync."""
        data = self.validated_config(config)
        self.close()
        self.region = data["region"]
        self.endpoint_url = data["endpointUrl"]
        self.clusters = list(data["clusters"])
        self.include_unmanaged = data["includeUnmanagedInstances"]
        self.ocloud_id = data["ocloudId"]
        self._hidden = tuple(v for v in (data["secretAccessKey"], data["sessionToken"]) if v)
        client_config = Config(
            region_name=self.region,
            retries={"mode": "adaptive", "total_max_attempts": data["maxAttempts"]},
            connect_timeout=data["requestTimeoutSeconds"],
            read_timeout=data["requestTimeoutSeconds"],
            user_agent_extra="netweave",
        )
        session = boto3.session.Session(
            aws_access_key_id=data["accessKeyId"] or None,
            aws_secret_access_key=data["secretAccessKey"] or None,
            aws_session_token=data["sessionToken"] or None,
            region_name=self.region,
        )
        if data["roleArn"]:
            session = self._assumed_role_session(session, data, client_config)
        for service in ("ec2", "eks", "sts"):
            self._clients[service] = session.client(
                service, endpoint_url=self.endpoint_url or None, config=client_config
            )

    def _assumed_role_session(
        self, base: boto3.session.Session, data: Mapping[str, Any], client_config: Config
    ) -> boto3.session.Session:
        """A session whose credentials come from sts:AssumeRole, fetched at first use and refreshed before they
        expire (botocore's refreshable credentials)."""
        sts = base.client("sts", endpoint_url=self.endpoint_url or None, config=client_config)
        request: dict[str, Any] = {"RoleArn": data["roleArn"], "RoleSessionName": data["roleSessionName"]}
        if data["externalId"]:
            request["ExternalId"] = data["externalId"]

        def fetch() -> dict[str, str]:
            with translated(f"assuming role {data['roleArn']}", hidden=self._hidden):
                credentials = sts.assume_role(**request)["Credentials"]
            self._hidden = (*self._hidden, credentials["SecretAccessKey"], credentials["SessionToken"])
            return {
                "access_key": credentials["AccessKeyId"],
                "secret_key": credentials["SecretAccessKey"],
                "token": credentials["SessionToken"],
                "expiry_time": credentials["Expiration"].isoformat(),
            }

        core = botocore.session.get_session()
        core._credentials = DeferredRefreshableCredentials(refresh_using=fetch, method="sts-assume-role")
        return boto3.session.Session(botocore_session=core, region_name=self.region)

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients = {}

    def _client(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is None:
            raise BackendUnavailable(f"aws IMS {self.instance_name} is not initialized")
        return client

    def _calling(self, doing: str, *, field: str | None = None) -> Any:
        return translated(doing, field=field, hidden=self._hidden)

    def health(self) -> HealthStatus:
        details = {"region": self.region}
        if self.endpoint_url:
            details["endpointUrl"] = self.endpoint_url
        if self.ocloud_id:
            details["ocloudId"] = self.ocloud_id
        try:
            with self._calling("checking health"):
                account = self._client("sts").get_caller_identity()["Account"]
                clusters = self._cluster_names()
        except PluginError as exc:
            message = exc.detail if exc.detail.startswith(AUTH_FAILED) else f"unreachable: {exc.detail}"
            return HealthStatus(False, message, details)
        details["account"] = str(account)
        details["clusters"] = str(len(clusters))
        return HealthStatus(True, f"account {account}, {self.region}: {len(clusters)} EKS cluster(s)", details)

    # ------------------------------------------------------------------------------------------ describe calls

    def _cluster_names(self) -> list[str]:
        with self._calling("listing EKS clusters"):
            names = [
                n for page in self._client("eks").get_paginator("list_clusters").paginate() for n in page["clusters"]
            ]
        if self.clusters:
            names = [n for n in names if n in self.clusters]
        return sorted(names)

    def _cluster(self, name: str) -> dict[str, Any]:
        if self.clusters and name not in self.clusters:
            raise NotFound(f"EKS cluster {name!r} is not one this plugin instance maps")
        with self._calling(f"reading EKS cluster {name!r}"):
            return dict(self._client("eks").describe_cluster(name=name)["cluster"])

    def _nodegroup(self, cluster: str, name: str) -> dict[str, Any]:
        if self.clusters and cluster not in self.clusters:
            raise NotFound(f"EKS cluster {cluster!r} is not one this plugin instance maps")
        with self._calling(f"reading node group {cluster}/{name}"):
            return dict(self._client("eks").describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"])

    def _nodegroups(self, clusters: Sequence[str]) -> list[dict[str, Any]]:
        eks = self._client("eks")
        found: list[dict[str, Any]] = []
        for cluster in clusters:
            with self._calling(f"listing the node groups of {cluster!r}"):
                pages = eks.get_paginator("list_nodegroups").paginate(clusterName=cluster)
                names = [n for page in pages for n in page["nodegroups"]]
            found.extend(self._nodegroup(cluster, name) for name in names)
        return found

    def _instances(self, ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        request: dict[str, Any] = {"Filters": [{"Name": "instance-state-name", "Values": list(mapping.LIVE_STATES)}]}
        if ids is not None:
            request["InstanceIds"] = list(ids)  # EC2 refuses a page size with instance ids
        else:
            request["PaginationConfig"] = {"PageSize": INSTANCE_PAGE_SIZE}
        with self._calling("listing EC2 instances"):
            paginator = self._client("ec2").get_paginator("describe_instances")
            pages = paginator.paginate(**request)
            return [i for page in pages for r in page["Reservations"] for i in r["Instances"]]

    def _instance_types(self, names: Sequence[str]) -> list[dict[str, Any]]:
        wanted = sorted(set(names))
        found: list[dict[str, Any]] = []
        for start in range(0, len(wanted), INSTANCE_TYPE_BATCH):
            batch = wanted[start : start + INSTANCE_TYPE_BATCH]
            with self._calling("describing instance types"):
                found.extend(self._client("ec2").describe_instance_types(InstanceTypes=batch)["InstanceTypes"])
        return found

    def _subnets(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        with self._calling("describing subnets"):
            return list(self._client("ec2").describe_subnets(SubnetIds=sorted(set(ids)))["Subnets"])

    def _zones(self) -> list[dict[str, Any]]:
        with self._calling("describing availability zones"):
            return list(self._client("ec2").describe_availability_zones()["AvailabilityZones"])

    def snapshot(self) -> mapping.Snapshot:
        """One pass of describe calls over everything this instance maps."""
        clusters = [self._cluster(name) for name in self._cluster_names()]
        nodegroups = self._nodegroups([c["name"] for c in clusters])
        instances = self._instances()
        subnet_ids = [s for c in clusters for s in (c.get("resourcesVpcConfig") or {}).get("subnetIds") or ()]
        subnet_ids += [s for ng in nodegroups for s in ng.get("subnets") or ()]
        type_names = [i["InstanceType"] for i in instances] + [
            t for ng in nodegroups for t in ng.get("instanceTypes") or ()
        ]
        return mapping.Snapshot(
            region=self.region,
            clusters=clusters,
            nodegroups=nodegroups,
            instances=instances,
            instance_types=self._instance_types(type_names),
            subnets=self._subnets(subnet_ids),
            zones=self._zones(),
            include_unmanaged=self.include_unmanaged,
        )

    # ------------------------------------------------------------------------------------------ reads

    def collect_inventory(self) -> Inventory:
        snapshot = self.snapshot()
        mapped = mapping.map_snapshot(snapshot)
        return Inventory(
            deployment_managers=mapped.deployment_managers,
            resource_pools=mapped.resource_pools,
            resource_types=mapped.resource_types,
            resources=mapped.resources,
            locations=mapped.locations,
            sites=mapped.sites,
            fingerprint=snapshot.fingerprint(),
        )

    def get_deployment_manager(self, native_id: str) -> DeploymentManager:
        cluster = self._cluster(native_id)
        subnets = self._subnets((cluster.get("resourcesVpcConfig") or {}).get("subnetIds") or [])
        return mapping.deployment_manager_from_cluster(cluster, subnets, self.region)

    def get_resource_pool(self, native_id: str) -> ResourcePool:
        if native_id == mapping.UNMANAGED_POOL and self.include_unmanaged:
            return mapping.unmanaged_pool(self.region, (z["ZoneName"] for z in self._zones()))
        parts = mapping.split_pool_id(native_id)
        if parts is None:
            raise NotFound(f"no EKS node group pool {native_id!r} (pool ids are <cluster>/<nodegroup>)")
        nodegroup = self._nodegroup(*parts)
        cluster_tags = mapping.tags_of(self._cluster(parts[0]))
        subnets = self._subnets(nodegroup.get("subnets") or [])
        return mapping.resource_pool_from_nodegroup(nodegroup, cluster_tags, subnets, self.region)

    def get_resource_type(self, native_id: str) -> ResourceType:
        found = self._instance_types([native_id])
        if not found:
            raise NotFound(f"no EC2 instance type {native_id!r}")
        return mapping.resource_type_from_instance_type(found[0])

    def get_resource(self, native_id: str) -> Resource:
        if not native_id.startswith("i-"):
            raise NotFound(f"no EC2 instance {native_id!r}")
        found = self._instances([native_id])
        if not found:
            raise NotFound(f"no live EC2 instance {native_id!r}")
        nodegroups = self._nodegroups(self._cluster_names())
        pools = {mapping.pool_id(ng["clusterName"], ng["nodegroupName"]) for ng in nodegroups}
        pool = mapping.pool_of_instance(found[0], mapping.asg_pools(nodegroups), pools)
        if pool == mapping.UNMANAGED_POOL and not self.include_unmanaged:
            raise NotFound(f"EC2 instance {native_id!r} is in no mapped node group")
        return mapping.resource_from_instance(found[0], pool=pool, zones=self._zones(), region=self.region)

    # ------------------------------------------------------------------------------------------ pool writes

    def _check_pool_request(self, pool: ResourcePool) -> None:
        if not isinstance(pool, ResourcePool):
            raise InvalidRequest("expected a ResourcePool")
        checked_text(pool.name, "name", required=True, max_length=63)
        checked_text(pool.description, "description")
        if not isinstance(pool.extensions, Mapping):
            raise InvalidRequest("extensions must be an object", field="extensions")

    def create_resource_pool(self, pool: ResourcePool) -> ResourcePool:
        """Create an EKS managed node group in the cluster named by `extensions.aws.cluster`."""
        self._check_pool_request(pool)
        if pool.native_id:
            raise InvalidRequest("native_id: the pool id is <cluster>/<name>, from the request", field="native_id")
        ext = pool.extensions
        unknown = sorted(set(ext) - WRITABLE_POOL_KEYS - CREATE_POOL_KEYS)
        if unknown:
            raise InvalidRequest(
                f"extensions.{unknown[0]} cannot be set on a new node group", field=f"extensions.{unknown[0]}"
            )
        cluster = checked_text(ext.get("aws.cluster", ""), "extensions.aws.cluster", required=True)
        if self.clusters and cluster not in self.clusters:
            raise InvalidRequest(
                f"EKS cluster {cluster!r} is not mapped by this plugin instance", field="extensions.aws.cluster"
            )
        desired = _int(ext.get("aws.desiredSize", 1), "extensions.aws.desiredSize")
        request: dict[str, Any] = {
            "clusterName": cluster,
            "nodegroupName": pool.name,
            "subnets": _strings(ext.get("aws.subnets"), "extensions.aws.subnets", required=True),
            "nodeRole": checked_text(
                ext.get("aws.nodeRole", ""), "extensions.aws.nodeRole", required=True, max_length=2048
            ),
            "scalingConfig": {
                "desiredSize": desired,
                "minSize": _int(ext.get("aws.minSize", 0), "extensions.aws.minSize"),
                "maxSize": _int(ext.get("aws.maxSize", max(1, desired)), "extensions.aws.maxSize"),
            },
            "tags": _string_map(ext.get("aws.tags", {}), "extensions.aws.tags"),
        }
        if "aws.instanceTypes" in ext:
            request["instanceTypes"] = _strings(ext["aws.instanceTypes"], "extensions.aws.instanceTypes", required=True)
        if EXT_LABELS in ext:
            request["labels"] = _string_map(ext[EXT_LABELS], f"extensions.{EXT_LABELS}")
        for key, param in (("aws.capacityType", "capacityType"), ("aws.amiType", "amiType")):
            if key in ext:
                request[param] = checked_text(ext[key], f"extensions.{key}", required=True)
        arn = self._cluster(cluster)["arn"]
        with self._calling(f"creating node group {cluster}/{pool.name}", field="name"):
            self._client("eks").create_nodegroup(**request)
        self._set_description(arn, pool.name, pool.description)
        return self.get_resource_pool(mapping.pool_id(cluster, pool.name))

    def update_resource_pool(self, native_id: str, pool: ResourcePool) -> ResourcePool:
        """Scale the node group (desired/min/max size), replace its labels, change its description. Extension keys
        the request leaves out keep their value; read-only ones are accepted back only unchanged."""
        if native_id == mapping.UNMANAGED_POOL:
            raise InvalidRequest("the pool of EC2 instances outside node groups is derived; it cannot be changed")
        current = self.get_resource_pool(native_id)
        self._check_pool_request(pool)
        if pool.native_id and pool.native_id != native_id:
            raise InvalidRequest(f"native_id {pool.native_id!r} is not the pool being updated", field="native_id")
        if pool.name != current.name:
            raise InvalidRequest("EKS cannot rename a node group", field="name")
        if pool.location and pool.location != current.location:
            raise InvalidRequest("a node group stays in its region", field="location")
        for key, value in pool.extensions.items():
            if key not in WRITABLE_POOL_KEYS and current.extensions.get(key, object()) != value:
                raise InvalidRequest(f"extensions.{key} is read-only", field=f"extensions.{key}")
        cluster, name = mapping.split_pool_id(native_id) or ("", "")
        eks = self._client("eks")
        ext = pool.extensions
        update: dict[str, Any] = {}
        scaling = {
            key.removeprefix("aws."): _int(ext[key], f"extensions.{key}")
            for key in SCALING_KEYS
            if key in ext and ext[key] != current.extensions.get(key)
        }
        if scaling:
            update["scalingConfig"] = scaling
        if EXT_LABELS in ext:
            wanted = _string_map(ext[EXT_LABELS], f"extensions.{EXT_LABELS}")
            have = dict(current.extensions.get(EXT_LABELS) or {})
            labels: dict[str, Any] = {}
            if {k: v for k, v in wanted.items() if have.get(k) != v}:
                labels["addOrUpdateLabels"] = {k: v for k, v in wanted.items() if have.get(k) != v}
            if set(have) - set(wanted):
                labels["removeLabels"] = sorted(set(have) - set(wanted))
            if labels:
                update["labels"] = labels
        if update:
            with self._calling(f"updating node group {native_id}", field="extensions"):
                eks.update_nodegroup_config(clusterName=cluster, nodegroupName=name, **update)
        if pool.description != current.description:
            self._set_description(self._cluster(cluster)["arn"], name, pool.description)
        return self.get_resource_pool(native_id)

    def _set_description(self, cluster_arn: str, nodegroup: str, description: str) -> None:
        """Keep a pool's description as its cluster's tag (see mapping.TAG_DESCRIPTION_PREFIX); none: no tag."""
        eks, key = self._client("eks"), mapping.description_tag(nodegroup)
        with self._calling(f"tagging the cluster of node group {nodegroup!r}", field="description"):
            if description:
                eks.tag_resource(resourceArn=cluster_arn, tags={key: description})
            else:
                eks.untag_resource(resourceArn=cluster_arn, tagKeys=[key])

    def delete_resource_pool(self, native_id: str) -> None:
        """Delete the node group and wait until EKS no longer lists it (its instances go with it)."""
        if native_id == mapping.UNMANAGED_POOL:
            raise InvalidRequest("the pool of EC2 instances outside node groups is derived; it cannot be deleted")
        parts = mapping.split_pool_id(native_id)
        if parts is None:
            raise NotFound(f"no EKS node group pool {native_id!r}")
        self._nodegroup(*parts)
        eks = self._client("eks")
        self._set_description(self._cluster(parts[0])["arn"], parts[1], "")
        with self._calling(f"deleting node group {native_id}"):
            eks.delete_nodegroup(clusterName=parts[0], nodegroupName=parts[1])
            eks.get_waiter("nodegroup_deleted").wait(
                clusterName=parts[0], nodegroupName=parts[1], WaiterConfig={"Delay": 15, "MaxAttempts": 80}
            )

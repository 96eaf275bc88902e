"""The kubernetes IMS plugin: a cluster's MachineSets, Machines, Nodes and StorageClasses as O2 inventory.

Thin: input checks and API calls here, JSON -> O2 in mapping.py, list + watch in informer.py, the API server
connection in client.py. The openshift plugin subclasses it (plugins/ims/openshift).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from plugins.ims.kubernetes import mapping
from plugins.ims.kubernetes.client import (
    MACHINE_GROUP,
    MACHINE_SETS,
    MACHINE_VERSION,
    MACHINES,
    NODES,
    STORAGE_CLASSES,
    Connection,
    ServiceAccountToken,
    Source,
)
from plugins.ims.kubernetes.config import (
    KUBECONFIG_CLIENT_CERTIFICATE,
    NO_CREDENTIAL,
    SERVICE_ACCOUNT_TOKEN,
    KubernetesConfig,
    parse_duration,
)
from plugins.ims.kubernetes.informer import Informer
from plugins.ims.kubernetes.mapping import Options, Snapshot
from plugins.sdk.base import Capability, HealthStatus
from plugins.sdk.errors import (
    AuthenticationFailed,
    BackendUnavailable,
    InvalidRequest,
    NotFound,
    NotSupported,
    PluginError,
)
from plugins.sdk.ims import (
    Inventory,
    InventoryEvent,
    Resource,
    ResourcePool,
    ResourceType,
    SnapshotIMSPlugin,
)
from plugins.sdk.validation import checked_text

logger = logging.getLogger(__name__)

NATIVE_K8S_API = "native_k8sapi"
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
WRITABLE_POOL_KEYS = ("replicas", "providerSpec")
WRITABLE_RESOURCE_KEYS = ("providerSpec",)


def _slug(name: str) -> str:
    """A DNS label from a pool name: lowercase, '-' for anything else, at most 63 characters."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:63].strip("-")
    return slug


class KubernetesIMSPlugin(SnapshotIMSPlugin):
    """One Kubernetes cluster (see README.md for the mapping and the capabilities)."""

    name = "kubernetes"
    version = "1.0.0"
    config_class = KubernetesConfig
    secret_fields = frozenset({"kubeconfig"})
    #: Extra sources an OpenShift-flavoured subclass reads (MachineConfigPools).
    extra_sources: ClassVar[tuple[Source, ...]] = ()

    def __init__(self, instance_name: str = "") -> None:
        super().__init__(instance_name)
        self._connection: Connection | None = None
        self.namespace = "default"
        self.ocloud_id = ""
        self.cluster_name = ""
        self.pool_mode = "auto"
        self.pool_label = mapping.LABEL_POOL
        self.informers = True
        self.resync_seconds = 30.0
        self._server_version: dict[str, Any] = {}
        self._machine_api: bool | None = None
        self.last_informer: Informer | None = None
        self.profile_credential = NO_CREDENTIAL
        self.profile_service_account = ""
        self.profile_token_seconds = 3600

    # ------------------------------------------------------------------------------------------ lifecycle

    def capabilities(self) -> frozenset[Capability]:
        found = {Capability.RESOURCE_TYPE_DISCOVERY}
        if self.pool_mode != "nodeLabel":
            found |= {Capability.RESOURCE_POOL_MANAGEMENT, Capability.RESOURCE_MANAGEMENT}
        if self.informers:
            found.add(Capability.REALTIME_EVENTS)
        return frozenset(found)

    def initialize(self, config: Mapping[str, Any]) -> None:
        data = self.validated_config(config)  # the kubeconfig is a secret field: its value never appears
        self.close()
        self.namespace = data["namespace"]
        self.ocloud_id = data["ocloudId"]
        self.pool_mode = data["poolMode"]
        self.pool_label = data["poolLabel"]
        self.informers = bool(data["enableInformers"])
        self.resync_seconds = parse_duration(data["resyncPeriod"])
        self.profile_credential = data["profileCredential"]
        self.profile_service_account = data["profileServiceAccount"]
        self.profile_token_seconds = int(data["profileTokenSeconds"])
        self._connection = Connection(
            kubeconfig=data["kubeconfig"],
            context=data["kubeconfigContext"],
            in_cluster=bool(data["inCluster"]),
            timeout=float(data["requestTimeoutSeconds"]),
        )
        self.cluster_name = data["clusterName"] or self._connection.cluster_name

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._machine_api = None

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            raise BackendUnavailable(f"{self.name} IMS {self.instance_name} is not initialized")
        return self._connection

    def health(self) -> HealthStatus:
        """Reachable, authenticated (GET /version) and ready (GET /readyz answers ok)."""
        server = self._connection.host if self._connection else ""
        try:
            version = self.connection.version()
            ready = self.connection.request("GET", "/readyz", stream=True, what="asking /readyz")
            ready_text = ready.data.decode(errors="replace").strip()
            ready.release_conn()
        except PluginError as exc:
            return HealthStatus(False, exc.detail, {"server": server})
        self._server_version = version
        details = {"server": server, "version": str(version.get("gitVersion", ""))}
        if self.ocloud_id:
            details["ocloudId"] = self.ocloud_id
        if ready_text != "ok":
            return HealthStatus(False, "the API server is not ready (/readyz)", details)
        return HealthStatus(True, f"Kubernetes {details['version']} at {server}", details)

    # ------------------------------------------------------------------------------------------ snapshot

    def machine_api(self) -> bool:
        """Whether the cluster serves the machine API (MachineSet/Machine CRDs); asked once per connection."""
        if self.pool_mode == "nodeLabel":
            return False
        if self._machine_api is None:
            try:
                self.connection.request(
                    "GET", f"/apis/{MACHINE_GROUP}/{MACHINE_VERSION}", what="discovering the machine API"
                )
                self._machine_api = True
            except NotFound:
                self._machine_api = False
        return self._machine_api

    def sources(self) -> tuple[Source, ...]:
        found: tuple[Source, ...] = (NODES, STORAGE_CLASSES)
        if self.machine_api():
            found += (MACHINE_SETS, MACHINES)
        return found + self.extra_sources

    def options(self) -> Options:
        if not self._server_version:
            self._server_version = self.connection.version()
        return Options(
            prefix=self.name,
            namespace=self.namespace,
            pool_label=self.pool_label,
            machine_set_pools=self.pool_mode != "nodeLabel",
            label_pools=self.pool_mode != "machineSets",
            cluster_name=self.cluster_name,
            server=self.connection.host,
            version=self._server_version,
            ocloud_id=self.ocloud_id,
            machine_api=self.machine_api(),
        )

    def extra_types(self, snapshot: Snapshot, options: Options) -> list[ResourceType]:
        """Resource types a subclass derives from its extra sources."""
        return []

    def snapshot(self) -> Snapshot:
        found: Snapshot = {}
        for source in self.sources():
            items, _ = self.connection.list(source, self.namespace)
            found[source.key] = {mapping.name_of(o): o for o in items}
        return found

    def derive(self, snapshot: Snapshot, memo: mapping.Memo | None = None) -> Inventory:
        return mapping.derive(snapshot, self.options(), self.extra_types, memo)

    def collect_inventory(self) -> Inventory:
        return self.derive(self.snapshot())

    # ------------------------------------------------------------------------------------------ reads

    # ------------------------------------------------------------------------------------------ the DMS profile

    def deployment_manager_profile(self, native_id: str, profile: str) -> Mapping[str, Any]:
        """native_k8sapi: the cluster's API endpoint and CA, and the credential `profileCredential` names (README:
        "DMS profile"). Every key is always present; what a credential type does not give is an empty string."""
        if profile != NATIVE_K8S_API:
            raise NotSupported(f"profile {profile!r} is not offered by {self.name} deployment managers")
        if native_id != mapping.CLUSTER_ID:
            raise NotFound(f"no deployment manager {native_id!r}")
        access = self.connection.access
        data = {
            "cluster_api_endpoint": access.server,
            "cluster_ca_cert": access.ca_cert,
            "credential_type": self.profile_credential,
            "admin_user": "",
            "admin_client_cert": "",
            "admin_client_key": "",
            "admin_token": "",
            "admin_token_expiration": "",
        }
        if self.profile_credential == SERVICE_ACCOUNT_TOKEN:
            namespace, name = self.profile_service_account.split("/", 1)
            token = self._service_account_token(namespace, name)
            data |= {
                "admin_user": f"system:serviceaccount:{namespace}:{name}",
                "admin_token": token.token,
                "admin_token_expiration": token.expiration,
            }
        elif self.profile_credential == KUBECONFIG_CLIENT_CERTIFICATE:
            # Explicit opt-in: netweave's own credential, with whatever the cluster lets netweave do.
            data |= {
                "admin_user": access.user,
                "admin_client_cert": access.client_cert,
                "admin_client_key": access.client_key,
            }
        return data

    def _service_account_token(self, namespace: str, name: str) -> ServiceAccountToken:
        """A fresh token of the profile's ServiceAccount. A missing account or a refusal is the operator's to fix,
        so the error names the config key (and never an HTTP status the caller could take for its own mistake)."""
        where = f"profileServiceAccount {namespace}/{name} of {self.name} IMS {self.instance_name!r}"
        try:
            return self.connection.request_token(namespace, name, self.profile_token_seconds)
        except NotFound:
            raise BackendUnavailable(
                f"{where} does not exist on the cluster: create the ServiceAccount (and bind it to the Roles the "
                "SMO needs) or change profileServiceAccount"
            ) from None
        except AuthenticationFailed as exc:
            raise AuthenticationFailed(
                f"{where}: the cluster refused netweave's TokenRequest ({exc.detail}); netweave's credential needs "
                "`create` on `serviceaccounts/token` in that namespace"
            ) from None
        except InvalidRequest as exc:
            raise BackendUnavailable(f"{where}: the cluster refused the TokenRequest ({exc.detail})") from None

    # ------------------------------------------------------------------------------------------ writes

    def _require_machine_api(self, what: str) -> None:
        if not self.machine_api():
            raise NotSupported(f"{what} needs the machine API (MachineSet/Machine), which this cluster does not serve")

    def _machine_set_name(self, native_id: str) -> str:
        prefix = mapping.machine_set_pool_id("")
        if not native_id.startswith(prefix):
            raise NotSupported(f"pool {native_id!r} is not a MachineSet; only MachineSet pools can be changed")
        return native_id[len(prefix) :]

    def _writable_extensions(self, extensions: Any, writable: tuple[str, ...]) -> dict[str, Any]:
        """The writable `<plugin>.<key>` extensions; other `<plugin>.` keys are reported state and ignored."""
        if not isinstance(extensions, Mapping):
            raise InvalidRequest("extensions must be an object", field="extensions")
        found: dict[str, Any] = {}
        own = f"{self.name}."
        for key, value in extensions.items():
            if not str(key).startswith(own):
                raise InvalidRequest(
                    f"extensions/{key}: unknown key; {self.name} accepts {', '.join(own + k for k in writable)}",
                    field=f"extensions/{key}",
                )
            short = str(key)[len(own) :]
            if short in writable:
                found[short] = value
        if "replicas" in found and (
            isinstance(found["replicas"], bool) or not isinstance(found["replicas"], int) or found["replicas"] < 0
        ):
            raise InvalidRequest(f"{own}replicas must be an integer >= 0", field=f"extensions/{own}replicas")
        if "providerSpec" in found and not isinstance(found["providerSpec"], Mapping):
            raise InvalidRequest(f"{own}providerSpec must be an object", field=f"extensions/{own}providerSpec")
        return found

    @staticmethod
    def _pool_annotations(pool: ResourcePool) -> dict[str, str]:
        return {
            mapping.ANNOTATION_DESCRIPTION: checked_text(pool.description, "description", max_length=10_000),
            mapping.ANNOTATION_LOCATION: checked_text(pool.location, "location"),
            mapping.ANNOTATION_GLOBAL_LOCATION: checked_text(pool.global_location_id, "global_location_id"),
        }

    def create_resource_pool(self, pool: ResourcePool) -> ResourcePool:
        """Create a MachineSet named after the pool (0 replicas unless `<plugin>.replicas` says otherwise)."""
        self._require_machine_api("creating a pool")
        name = _slug(checked_text(pool.name, "name"))
        if pool.native_id and pool.native_id != mapping.machine_set_pool_id(name):
            raise InvalidRequest("native_id must be empty or machineset/<name>", field="native_id")
        if not DNS_LABEL.match(name):
            raise InvalidRequest("name must contain letters or digits (it names the MachineSet)", field="name")
        writable = self._writable_extensions(pool.extensions, WRITABLE_POOL_KEYS)
        selector = {mapping.LABEL_MACHINESET: name}
        template_spec: dict[str, Any] = {}
        if "providerSpec" in writable:
            template_spec["providerSpec"] = {"value": dict(writable["providerSpec"])}
        body = {
            "apiVersion": f"{MACHINE_GROUP}/{MACHINE_VERSION}",
            "kind": "MachineSet",
            "metadata": {"name": name, "namespace": self.namespace, "annotations": self._pool_annotations(pool)},
            "spec": {
                "replicas": int(writable.get("replicas", 0)),
                "selector": {"matchLabels": selector},
                "template": {"metadata": {"labels": selector}, "spec": template_spec},
            },
        }
        created = self.connection.create(MACHINE_SETS, self.namespace, body)
        return mapping.pool_from_machine_set(created, self.options())

    def update_resource_pool(self, native_id: str, pool: ResourcePool) -> ResourcePool:
        """Replace description/location annotations; scale with `<plugin>.replicas`. A MachineSet cannot be renamed."""
        self._require_machine_api("updating a pool")
        name = self._machine_set_name(native_id)
        if pool.native_id and pool.native_id != native_id:
            raise InvalidRequest("native_id does not match the pool being updated", field="native_id")
        if pool.name != name:
            raise InvalidRequest(f"a MachineSet cannot be renamed (it is {name!r})", field="name")
        writable = self._writable_extensions(pool.extensions, WRITABLE_POOL_KEYS)
        patch: dict[str, Any] = {"metadata": {"annotations": self._pool_annotations(pool)}}
        spec: dict[str, Any] = {}
        if "replicas" in writable:
            spec["replicas"] = writable["replicas"]
        if "providerSpec" in writable:
            spec["template"] = {"spec": {"providerSpec": {"value": dict(writable["providerSpec"])}}}
        if spec:
            patch["spec"] = spec
        updated = self.connection.merge_patch(MACHINE_SETS, self.namespace, name, patch)
        return mapping.pool_from_machine_set(updated, self.options())

    def delete_resource_pool(self, native_id: str) -> None:
        self._require_machine_api("deleting a pool")
        self.connection.delete(MACHINE_SETS, self.namespace, self._machine_set_name(native_id))

    def create_resource(self, resource: Resource) -> Resource:
        """Create a Machine in a MachineSet pool, from the MachineSet's template.

        The Machine carries the pool in the `netweave.io/pool` label, not the MachineSet's selector labels: a
        machine-api controller would otherwise adopt it and delete it again to honour the replica count."""
        self._require_machine_api("creating a resource")
        ms_name = self._machine_set_name(checked_text(resource.resource_pool_id, "resource_pool_id"))
        if resource.native_id:
            raise InvalidRequest("native_id must be empty: the API server names the Machine", field="native_id")
        if resource.parent_id:
            raise InvalidRequest("Machines have no parent resource", field="parent_id")
        writable = self._writable_extensions(resource.extensions, WRITABLE_RESOURCE_KEYS)
        ms = self.connection.get(MACHINE_SETS, self.namespace, ms_name)
        template = (ms.get("spec") or {}).get("template") or {}
        selector_keys = set(((ms.get("spec") or {}).get("selector") or {}).get("matchLabels") or {})
        labels = {
            k: v for k, v in ((template.get("metadata") or {}).get("labels") or {}).items() if k not in selector_keys
        }
        labels[mapping.LABEL_POOL] = ms_name
        type_prefix = mapping.instance_type_id("")
        type_id = checked_text(resource.resource_type_id, "resource_type_id")
        if not type_id.startswith(type_prefix):
            raise InvalidRequest("a Machine's resource type must be an instance type", field="resource_type_id")
        flavour = type_id[len(type_prefix) :]
        if flavour and flavour != mapping.UNSPECIFIED_FLAVOUR:
            labels[mapping.LABEL_MACHINE_INSTANCE_TYPE] = flavour
        spec = dict(template.get("spec") or {})
        if "providerSpec" in writable:
            spec["providerSpec"] = {"value": dict(writable["providerSpec"])}
        annotations = {}
        if resource.description:
            annotations[mapping.ANNOTATION_DESCRIPTION] = checked_text(
                resource.description, "description", max_length=10_000
            )
        body = {
            "apiVersion": f"{MACHINE_GROUP}/{MACHINE_VERSION}",
            "kind": "Machine",
            "metadata": {
                "generateName": f"{ms_name[:50]}-",
                "namespace": self.namespace,
                "labels": labels,
                "annotations": annotations,
            },
            "spec": spec,
        }
        created = self.connection.create(MACHINES, self.namespace, body)
        return mapping.resource_from(None, created, mapping.machine_set_pool_id(ms_name), self.options())

    def delete_resource(self, native_id: str) -> None:
        self._require_machine_api("deleting a resource")
        prefix = mapping.machine_resource_id("")
        if not native_id.startswith(prefix):
            if native_id.startswith(mapping.node_resource_id("")):
                raise NotSupported(
                    f"{native_id!r} is a Node no Machine manages: the machine API cannot delete it (drain and "
                    "remove the host outside netweave)"
                )
            raise NotFound(f"no resource {native_id!r}")
        self.connection.delete(MACHINES, self.namespace, native_id[len(prefix) :])

    # ------------------------------------------------------------------------------------------ events

    def informer(self) -> Informer:
        return Informer(
            self.connection, self.namespace, self.sources(), self.derive, resync_seconds=self.resync_seconds
        )

    def watch(
        self,
        on_event: Callable[[InventoryEvent], None],
        stop: Callable[[], bool],
        on_ready: Callable[[], None] | None = None,
    ) -> None:
        """List and watch Nodes, Machines, MachineSets and StorageClasses; report O2 changes as they happen."""
        if not self.informers:
            raise NotSupported(f"{self.name} IMS {self.instance_name}: enableInformers is off")
        self.last_informer = self.informer()
        self.last_informer.run(on_event, stop, on_ready)

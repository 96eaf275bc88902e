"""The cluster side of the kustomize plugin, through the official `kubernetes` client: server-side apply of
rendered objects (with netweave's field manager, taking over fields from other managers as `kubectl apply
--server-side --force-conflicts` does), reading and deleting them, and the inventory ConfigMaps."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

from kubernetes import client
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import ResourceNotFoundError

from plugins.dms.helm.kube import CONNECT_TIMEOUT, _api_client
from plugins.dms.kustomize import mapping
from plugins.ims.kubernetes.client import translate
from plugins.sdk.errors import Conflict, InvalidRequest, NotFound, PluginError


def _translated(exc: Exception, what: str) -> PluginError:
    """The dynamic client's errors are ApiExceptions (DynamicApiError), so the IMS plugin's mapping serves."""
    return translate(exc, what)


class Cluster:
    """One cluster, reached with one kubeconfig; the API client is made on first use."""

    def __init__(self, kubeconfig: str, *, field_manager: str, timeout_seconds: float) -> None:
        self.kubeconfig = kubeconfig
        self.field_manager = field_manager
        self.timeout = (CONNECT_TIMEOUT, float(timeout_seconds))
        self._api: client.ApiClient | None = None
        self._dynamic: DynamicClient | None = None

    def close(self) -> None:
        if self._api is not None:
            with contextlib.suppress(Exception):
                self._api.close()
            self._api, self._dynamic = None, None

    @property
    def api(self) -> client.ApiClient:
        if self._api is None:
            self._api = _api_client(self.kubeconfig)
        return self._api

    @property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api)

    @property
    def dynamic(self) -> DynamicClient:
        if self._dynamic is None:
            try:
                self._dynamic = DynamicClient(self.api)
            except Exception as exc:
                raise _translated(exc, "discovering the cluster's API resources") from None
        return self._dynamic

    def _resource(self, api_version: str, kind: str) -> Any:
        try:
            return self.dynamic.resources.get(api_version=api_version, kind=kind)
        except ResourceNotFoundError:
            raise InvalidRequest(f"The cluster serves no {kind} in {api_version}.", field="package") from None
        except Exception as exc:
            raise _translated(exc, f"discovering {api_version} {kind}") from None

    # --------------------------------------------------------------------------------------- objects

    def apply(self, obj: Mapping[str, Any]) -> mapping.Ref:
        """Server-side apply one rendered object; returns its reference (with the namespace the server used)."""
        item = mapping.ref(obj)
        resource = self._resource(item["apiVersion"], item["kind"])
        try:
            applied = self.dynamic.server_side_apply(
                resource,
                body=dict(obj),
                name=item["name"],
                namespace=item["namespace"] or None,
                field_manager=self.field_manager,
                force_conflicts=True,
                _request_timeout=self.timeout,
            )
        except Exception as exc:
            raise _translated(exc, f"applying {item['kind']} {item['name']}") from None
        return mapping.ref(applied.to_dict())

    def read(self, item: mapping.Ref) -> dict[str, Any] | None:
        resource = self._resource(item["apiVersion"], item["kind"])
        try:
            found = self.dynamic.get(
                resource, name=item["name"], namespace=item["namespace"] or None, _request_timeout=self.timeout
            )
        except Exception as exc:
            error = _translated(exc, f"reading {item['kind']} {item['name']}")
            if isinstance(error, NotFound):
                return None
            raise error from None
        return dict(found.to_dict())

    def delete(self, item: mapping.Ref) -> None:
        """Delete one object netweave applied; one already gone is fine."""
        try:
            resource = self._resource(item["apiVersion"], item["kind"])
        except InvalidRequest:
            return  # its API (a CRD) is gone, and the object with it
        try:
            self.dynamic.delete(
                resource,
                name=item["name"],
                namespace=item["namespace"] or None,
                body={"propagationPolicy": "Background"},
                _request_timeout=self.timeout,
            )
        except Exception as exc:
            error = _translated(exc, f"deleting {item['kind']} {item['name']}")
            if not isinstance(error, NotFound):
                raise error from None

    def ensure_namespace(self, namespace: str) -> None:
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
        try:
            self.core.create_namespace(body, _request_timeout=self.timeout)
        except ApiException as exc:
            if exc.status != 409:
                raise translate(exc, f"creating namespace {namespace!r}") from None
        except Exception as exc:
            raise translate(exc, f"creating namespace {namespace!r}") from None

    # ------------------------------------------------------------------------------------- inventory

    def read_inventory(self, namespace: str, name: str) -> client.V1ConfigMap:
        try:
            return self.core.read_namespaced_config_map(
                mapping.inventory_name(name), namespace, _request_timeout=self.timeout
            )
        except Exception as exc:
            error = translate(exc, f"reading kustomize deployment {namespace}/{name}")
            if isinstance(error, NotFound):
                raise NotFound(f"No kustomize deployment '{namespace}/{name}'.") from None
            raise error from None

    def create_inventory(self, namespace: str, name: str, state: Mapping[str, Any]) -> None:
        """Claim the deployment's name: creating an inventory that exists already is a Conflict."""
        body = client.V1ConfigMap(
            metadata=client.V1ObjectMeta(
                name=mapping.inventory_name(name),
                namespace=namespace,
                labels={"app.kubernetes.io/managed-by": mapping.MANAGED_BY, mapping.DEPLOYMENT_LABEL: name},
            ),
            data={mapping.STATE_KEY: _json(state)},
        )
        try:
            self.core.create_namespaced_config_map(namespace, body, _request_timeout=self.timeout)
        except ApiException as exc:
            if exc.status == 409:
                raise Conflict(
                    f"A kustomize deployment '{name}' already exists in namespace '{namespace}'.", field="name"
                ) from None
            raise translate(exc, f"recording kustomize deployment {namespace}/{name}") from None
        except Exception as exc:
            raise translate(exc, f"recording kustomize deployment {namespace}/{name}") from None

    def write_inventory(
        self, inventory: client.V1ConfigMap, state: Mapping[str, Any], renders: Mapping[str, str | None]
    ) -> client.V1ConfigMap:
        """Replace the inventory's state and renders (None removes a render), guarded by its resourceVersion so
        two writers cannot overwrite each other."""
        data = dict(inventory.data or {})
        data[mapping.STATE_KEY] = _json(state)
        for key, render in renders.items():
            if render is None:
                data.pop(key, None)
            else:
                data[key] = render
        inventory.data = data
        meta = inventory.metadata
        try:
            return self.core.replace_namespaced_config_map(
                meta.name, meta.namespace, inventory, _request_timeout=self.timeout
            )
        except Exception as exc:
            raise translate(exc, f"recording kustomize deployment {meta.namespace}/{meta.name}") from None

    def delete_inventory(self, namespace: str, name: str) -> None:
        try:
            self.core.delete_namespaced_config_map(
                mapping.inventory_name(name), namespace, _request_timeout=self.timeout
            )
        except Exception as exc:
            error = translate(exc, f"deleting kustomize deployment {namespace}/{name}")
            if not isinstance(error, NotFound):
                raise error from None

    def inventories(self) -> list[client.V1ConfigMap]:
        try:
            listed = self.core.list_config_map_for_all_namespaces(
                label_selector=f"app.kubernetes.io/managed-by={mapping.MANAGED_BY}", _request_timeout=self.timeout
            )
        except Exception as exc:
            raise translate(exc, "listing kustomize deployments") from None
        return list(listed.items or [])


def _json(state: Mapping[str, Any]) -> str:
    return json.dumps(state, sort_keys=True)

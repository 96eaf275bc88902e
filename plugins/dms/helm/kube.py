"""Reading a release's workload logs from the cluster helm deploys to, with the official `kubernetes` client.

Helm itself keeps no logs: they are the containers' logs, which the API server serves from each node's kubelet
(`GET /api/v1/namespaces/{ns}/pods/{pod}/log`). The client uses the same kubeconfig as helm (empty: in-cluster
credentials, else ~/.kube/config). An API server that cannot be reached or refuses the credentials is an error
of the whole request; a container whose log cannot be read (its node unreachable, the pod gone meanwhile) is
one line of the body, so the other pods' logs still arrive.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import orjson
from kubernetes import client, config
from kubernetes.client.rest import ApiException
from kubernetes.config.config_exception import ConfigException

from plugins.dms.helm import logs
from plugins.ims.kubernetes.client import throttling_retries, translate
from plugins.sdk.dms import LogOptions
from plugins.sdk.errors import AuthenticationFailed, BackendUnavailable

CONNECT_TIMEOUT = 5.0


def _api_client(kubeconfig: str) -> client.ApiClient:
    configuration = client.Configuration()
    try:
        if kubeconfig:
            config.load_kube_config(config_file=kubeconfig, client_configuration=configuration)
        else:
            try:
                config.load_incluster_config(client_configuration=configuration)
            except ConfigException:
                config.load_kube_config(client_configuration=configuration)
    except (ConfigException, OSError, KeyError, TypeError, ValueError) as exc:
        # The loader's messages name files, contexts and users, never credential values.
        raise BackendUnavailable(f"the kubeconfig for reading pod logs cannot be used: {type(exc).__name__}") from None
    configuration.retries = throttling_retries()  # 429 only: an outage must show at once as 503
    return client.ApiClient(configuration)


def _message(exc: ApiException) -> str:
    with contextlib.suppress(orjson.JSONDecodeError, TypeError):
        body = orjson.loads(exc.body or b"{}")
        if isinstance(body, dict) and body.get("message"):
            return str(body["message"])
    return str(exc.reason or "")


class PodLogReader:
    """The pods of releases and their containers' logs, on one cluster."""

    def __init__(self, kubeconfig: str, *, timeout_seconds: float) -> None:
        self.kubeconfig = kubeconfig
        self.timeout = (CONNECT_TIMEOUT, float(timeout_seconds))
        self._api: client.ApiClient | None = None

    def close(self) -> None:
        if self._api is not None:
            with contextlib.suppress(Exception):
                self._api.close()
            self._api = None

    @property
    def core(self) -> client.CoreV1Api:
        if self._api is None:
            self._api = _api_client(self.kubeconfig)
        return client.CoreV1Api(self._api)

    def pods(self, namespace: str, selectors: list[str]) -> list[Mapping[str, Any]]:
        found: list[Mapping[str, Any]] = []
        for selector in selectors:
            try:
                response = self.core.list_namespaced_pod(
                    namespace, label_selector=selector, _preload_content=False, _request_timeout=self.timeout
                )
            except Exception as exc:
                raise translate(exc, f"listing the pods of namespace {namespace!r}") from None
            found.extend(orjson.loads(response.data).get("items") or [])
        return logs.sorted_pods(found)

    def container_log(self, pod: Mapping[str, Any], container: str, options: LogOptions) -> bytes | str:
        """The container's log, or a one-line explanation when the node could not give it."""
        meta = pod.get("metadata") or {}
        try:
            response = self.core.read_namespaced_pod_log(
                meta.get("name", ""),
                meta.get("namespace", ""),
                **logs.log_query(options, container),
                _preload_content=False,
                _request_timeout=self.timeout,
            )
        except ApiException as exc:
            if exc.status in (401, 403):
                raise AuthenticationFailed(f"the Kubernetes API refused reading pod logs: {exc.status}") from None
            return f"logs unavailable: {exc.status} {_message(exc)}"
        except Exception as exc:
            raise translate(exc, "reading a pod's log") from None
        return bytes(response.data)

    def replicaset_owners(self, namespace: str) -> dict[str, str]:
        """ReplicaSet name -> the name of the Deployment controlling it, in `namespace`."""
        try:
            response = client.AppsV1Api(self.core.api_client).list_namespaced_replica_set(
                namespace, _preload_content=False, _request_timeout=self.timeout
            )
        except Exception as exc:
            raise translate(exc, f"listing the ReplicaSets of namespace {namespace!r}") from None
        owners = {}
        for replicaset in orjson.loads(response.data).get("items") or []:
            controller = logs.controller_of(replicaset)
            if controller is not None and controller[0] == "Deployment":
                owners[str(replicaset["metadata"]["name"])] = controller[1]
        return owners

    def release_pods(self, namespace: str, release: str, manifest: str) -> list[Mapping[str, Any]]:
        workloads = logs.release_workloads(manifest, namespace)
        labelled = self.pods(namespace, [logs.instance_selector(release)])
        selected = self.pods(namespace, list(dict.fromkeys(w.selector for w in workloads if w.selector)))
        owners = self.replicaset_owners(namespace) if logs.needs_replicaset_owners(selected, workloads) else {}
        return logs.sorted_pods([*labelled, *(p for p in selected if logs.owned_by_release(p, workloads, owners))])

    def release_logs(self, namespace: str, release: str, manifest: str, options: LogOptions) -> bytes:
        pods = self.release_pods(namespace, release, manifest)
        if not pods:
            return logs.NO_PODS.format(namespace=namespace, release=release).encode() + b"\n"
        parts: list[bytes] = []
        for index, pod in enumerate(pods):
            if sum(map(len, parts)) >= logs.MAX_BODY_BYTES:
                stop = logs.TRUNCATED.format(pods=len(pods) - index, limit=logs.MAX_BODY_BYTES)
                parts.append(stop.encode() + b"\n")
                break
            note = logs.pod_note(pod)
            names = logs.containers(pod, options.container)
            if note or not names:
                parts.append(logs.section(logs.header(pod), note or f"no container {options.container!r} in this pod"))
                continue
            for name in names:
                body = logs.container_note(pod, name) or self.container_log(pod, name, options)
                parts.append(logs.section(logs.header(pod, name), body))
        return b"".join(parts)

"""The vCenter connection: one pyvmomi session reused for every call, re-established when vCenter forgets it, the
PropertyCollector specs that read the inventory in a few round trips, and vSphere faults -> the SDK's errors.

Values come back from the PropertyCollector as pyVmomi objects; `plain()` turns each into JSON-able data (managed
object references become their ids) so mapping.py stays pure and the watch can keep a snapshot of plain dicts.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import VmomiSupport, vim, vmodl

from plugins.ims.vsphere.mapping import About, Snapshot
from plugins.sdk.errors import (
    AuthenticationFailed,
    BackendUnavailable,
    Conflict,
    InvalidRequest,
    NotFound,
    PluginError,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")
PC = vmodl.query.PropertyCollector

# What is read of each type (paths as in the vSphere API reference). Subtypes are included: ComputeResource
# covers ClusterComputeResource, ResourcePool covers VirtualApp.
PROPERTIES: dict[type, list[str]] = {
    vim.Folder: ["name", "parent"],
    vim.Datacenter: ["name", "parent"],
    vim.ComputeResource: ["name", "parent", "resourcePool", "host", "datastore", "customValue"],
    vim.ResourcePool: ["name", "parent", "owner", "config.cpuAllocation", "config.memoryAllocation", "customValue"],
    vim.HostSystem: [
        "name",
        "parent",
        "summary.hardware",
        "runtime.connectionState",
        "runtime.powerState",
        "runtime.inMaintenanceMode",
        "summary.config.product.fullName",
    ],
    vim.VirtualMachine: [
        "name",
        "resourcePool",
        "runtime.host",
        "runtime.powerState",
        "config.template",
        "config.hardware.numCPU",
        "config.hardware.memoryMB",
        "config.guestId",
        "config.instanceUuid",
        "config.annotation",
    ],
}
HARDWARE_KEYS = ("vendor", "model", "uuid", "cpuModel", "numCpuCores", "numCpuThreads", "cpuMhz", "memorySize")
PAGE_SIZE = 1000
TLS_UNVERIFIED = "the TLS certificate of vCenter could not be verified"
_VERIFY_FAILED = re.compile(r"certificate verify failed: ([^()'\"]+)")


def type_name(obj: Any) -> str:
    """`VirtualMachine` for a vim.VirtualMachine reference."""
    return type(obj).__name__.rsplit(".", 1)[-1]


def plain(value: Any) -> Any:
    """A property value as JSON-able data."""
    if isinstance(value, VmomiSupport.ManagedObject):
        return value._moId
    if isinstance(value, vim.host.Summary.HardwareSummary):
        return {key: plain(getattr(value, key, None)) for key in HARDWARE_KEYS}
    if isinstance(value, vim.ResourceAllocationInfo):
        shares = getattr(value, "shares", None)
        return {
            "reservation": value.reservation,
            "limit": value.limit,
            "expandableReservation": value.expandableReservation,
            "shares": str(shares.level) if shares is not None else "",
        }
    if isinstance(value, list):
        if value and isinstance(value[0], vim.CustomFieldsManager.Value):
            return {str(v.key): getattr(v, "value", "") for v in value}
        if value and isinstance(value[0], vim.CustomFieldsManager.FieldDef):
            return [{"key": f.key, "name": f.name, "type": str(f.managedObjectType or "")} for f in value]
        items = [plain(v) for v in value]
        return sorted(items) if all(isinstance(i, str) for i in items) else items
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _tls_failure(exc: BaseException, doing: str) -> BackendUnavailable:
    found = _VERIFY_FAILED.search(str(exc))
    if found is None:
        return BackendUnavailable(f"the TLS handshake with vCenter failed while {doing}")
    return BackendUnavailable(
        f"{TLS_UNVERIFIED} while {doing} ({found.group(1).strip()}): set caBundle to the CA that signed it"
    )


def translate(exc: BaseException, doing: str, *, field: str | None = None) -> PluginError:
    """The PluginError for a fault or transport error raised while `doing` something. vSphere's fault messages
    name objects, never credentials."""
    if isinstance(exc, PluginError):
        return exc
    message = (getattr(exc, "msg", "") or type_name(exc)).strip()
    if isinstance(exc, vim.fault.InvalidLogin | vim.fault.NoPermission | vim.fault.NotAuthenticated):
        return AuthenticationFailed(f"authentication failed: vCenter refused the configured user ({doing})")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _tls_failure(exc, doing)
    if isinstance(exc, ssl.SSLError) and not isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError):
        return BackendUnavailable(f"the TLS handshake with vCenter failed while {doing}")
    if isinstance(exc, OSError | http.client.HTTPException | socket.timeout):
        return BackendUnavailable(f"vCenter is unreachable while {doing} ({type(exc).__name__})")
    if isinstance(exc, vmodl.fault.ManagedObjectNotFound):
        return NotFound(f"{doing}: the object no longer exists", field=field)
    if isinstance(exc, vim.fault.DuplicateName | vim.fault.InsufficientResourcesFault | vim.fault.InvalidState):
        return Conflict(f"{doing}: {message}", field=field)
    if isinstance(exc, vim.fault.InvalidName | vmodl.fault.InvalidArgument | vim.fault.InvalidDatastore):
        return InvalidRequest(f"{doing}: {message}", field=field)
    if isinstance(exc, vmodl.MethodFault):
        return BackendUnavailable(f"{doing}: vCenter answered {type_name(exc)}: {message}")
    raise exc


@contextlib.contextmanager
def translated(doing: str, *, field: str | None = None) -> Iterator[None]:
    try:
        yield
    except PluginError:
        raise
    except (vmodl.MethodFault, OSError, http.client.HTTPException) as exc:
        raise translate(exc, doing, field=field) from None


class Connection:
    """One vCenter session, logged in lazily, reused by every call, and logged in again when vCenter has dropped
    it (session timeout, vpxd restart, an administrator terminating it): the call is then retried once."""

    def __init__(self, url: str, username: str, password: str, *, ssl_context: ssl.SSLContext, timeout: float) -> None:
        parts = urlsplit(url)
        self.url = url
        self.host = parts.hostname or ""
        self.port = parts.port or 443
        self.path = parts.path or "/sdk"
        self._username = username
        self._password = password
        self.ssl_context = ssl_context
        self.timeout = timeout
        self._si: Any = None
        self._content: Any = None
        self._lock = threading.Lock()
        self.logins = 0

    def _login(self) -> Any:
        with translated("logging in to vCenter"):
            si = SmartConnect(
                host=self.host,
                port=self.port,
                path=self.path,
                user=self._username,
                pwd=self._password,
                sslContext=self.ssl_context,
                httpConnectionTimeout=self.timeout,
            )
        self.logins += 1
        return si

    @property
    def si(self) -> Any:
        with self._lock:
            if self._si is None:
                self._si = self._login()
                self._content = None
            return self._si

    def content(self) -> Any:
        """The session's ServiceContent, read once per login (each read is a round trip to vCenter)."""
        si = self.si
        with self._lock:
            if self._content is None:
                self._content = si.RetrieveContent()
            return self._content

    def forget_session(self) -> None:
        with self._lock:
            self._si = None
            self._content = None

    def call(self, doing: str, action: Callable[[Any], T], *, field: str | None = None) -> T:
        """`action(content)` on the session; once more on a new session if vCenter no longer knows this one."""
        with translated(doing, field=field):
            try:
                return action(self.content())
            except vim.fault.NotAuthenticated:
                logger.info("vCenter %s: the session was lost; logging in again", self.host)
                self.forget_session()
            return action(self.content())

    def about(self, ocloud_id: str, datacenter: str) -> About:
        about = self.call("reading vCenter's identity", lambda content: content.about)
        return About(
            instance_uuid=str(about.instanceUuid or about.name),
            full_name=str(about.fullName),
            version=str(about.version),
            url=self.url,
            ocloud_id=ocloud_id,
            datacenter=datacenter,
        )

    def close(self) -> None:
        with self._lock:
            si, self._si, self._content = self._si, None, None
        if si is not None:
            with contextlib.suppress(Exception):
                Disconnect(si)


def filter_spec(content: Any, view: Any) -> Any:
    """The PropertyCollector filter over a container view of the inventory plus the custom attribute names."""
    traversal = PC.TraversalSpec(name="view", path="view", skip=False, type=vim.view.ContainerView)
    props = [PC.PropertySpec(type=kind, pathSet=paths) for kind, paths in PROPERTIES.items()]
    props.append(PC.PropertySpec(type=vim.CustomFieldsManager, pathSet=["field"]))
    objects = [PC.ObjectSpec(obj=view, skip=True, selectSet=[traversal])]
    objects.append(PC.ObjectSpec(obj=content.customFieldsManager, skip=False))
    return PC.FilterSpec(objectSet=objects, propSet=props)


def container_view(content: Any) -> Any:
    return content.viewManager.CreateContainerView(content.rootFolder, list(PROPERTIES), True)


def retrieve(content: Any) -> Snapshot:
    """Every object of the inventory with the properties of PROPERTIES, paged by the PropertyCollector."""
    view = container_view(content)
    try:
        collector = content.propertyCollector
        snapshot: Snapshot = {}
        result = collector.RetrievePropertiesEx([filter_spec(content, view)], PC.RetrieveOptions(maxObjects=PAGE_SIZE))
        while result is not None:
            for found in result.objects:
                snapshot[found.obj._moId] = {
                    "type": type_name(found.obj),
                    "props": {prop.name: plain(prop.val) for prop in found.propSet},
                }
            result = collector.ContinueRetrievePropertiesEx(result.token) if result.token else None
        return snapshot
    finally:
        with contextlib.suppress(vmodl.MethodFault):
            view.Destroy()


def wait_for_task(task: Any, doing: str, timeout: float, *, field: str | None = None) -> Any:
    """Wait until a vCenter task ends; its result, or its fault as a PluginError."""
    deadline = time.monotonic() + timeout
    while True:
        with translated(doing, field=field):
            info = task.info
        if info.state == vim.TaskInfo.State.success:
            return info.result
        if info.state == vim.TaskInfo.State.error:
            raise translate(info.error, doing, field=field)
        if time.monotonic() > deadline:
            raise BackendUnavailable(f"{doing}: the vCenter task is still {info.state} after {timeout:.0f} s")
        time.sleep(0.1)

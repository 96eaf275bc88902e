"""A real OpenStack control plane for the OpenStack IMS plugin's tests (scripts/openstack-harness.sh).

Every test here is marked `openstack` (and so `backend`): `make test` runs them once, in the backend stage
(`make test-backends PLUGIN=openstack` alone), not in the unit stage's SQLite and PostgreSQL passes. The harness
is started once per session and stopped at the end, unless it was already running (a developer's warm cloud is
left alone; so is any cloud when NETWEAVE_OPENSTACK_KEEP=1). If it cannot start, the session fails loudly under
CI=true; elsewhere the tests are skipped with the reason.

Fixtures give an admin openstacksdk connection for arranging the cloud directly, a seeded catalogue (flavors,
an image, a second project), a clean slate of servers and aggregates for each test, and PluginInstance rows
whose password is a real encrypted Secret.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openstack
import pytest
from openstack.connection import Connection
from openstack.exceptions import NotFoundException

HARNESS = Path(__file__).resolve().parents[2] / "scripts" / "openstack-harness.sh"
START_TIMEOUT = 1800  # a cold start installs Debian packages first


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests here `openstack` (a backend stage: tests/conftest.py adds `backend`, so the unit stage
    leaves them out and `make test-backends` runs them once)."""
    here = Path(__file__).parent
    for item in items:
        if here not in Path(str(item.fspath)).parents:
            continue
        item.add_marker(pytest.mark.openstack)
        # openstacksdk warns about its own internals on nearly every call; nothing for netweave to act on
        item.add_marker(pytest.mark.filterwarnings("ignore::openstack.warnings.RemovedInSDK50Warning"))
        item.add_marker(pytest.mark.filterwarnings("ignore::openstack.warnings.RemovedInSDK60Warning"))


def _harness(command: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(HARNESS), command], capture_output=True, text=True, timeout=timeout, check=False)


def _parse_env(output: str) -> dict[str, str]:
    env = {}
    for line in output.splitlines():
        if line.startswith("export ") and "=" in line:
            key, value = line[len("export ") :].split("=", 1)
            env[key] = value.strip('"')
    return env


@contextlib.contextmanager
def _exclusive_use(timeout: float) -> Iterator[None]:
    """One test session at a time per control plane: tests clean the cloud, so two sessions (a developer's and
    a `make test` in another checkout) would delete each other's servers. The next session waits its turn."""
    run_dir = os.environ.get("NETWEAVE_OPENSTACK_DIR", "/tmp/netweave-openstack")
    with open(f"{run_dir}.session.lock", "w") as lock:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"another test session held {lock.name} for {timeout:.0f} s") from None
                time.sleep(2)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def openstack_cloud() -> Iterator[dict[str, str]]:
    """Start the control plane (or find it running); the `export` values of the harness as a dict."""
    with _exclusive_use(START_TIMEOUT):
        yield from _running_cloud()


def _running_cloud() -> Iterator[dict[str, str]]:
    already = _harness("status", 60).returncode == 0
    try:
        started = _harness("start", START_TIMEOUT)
    except subprocess.TimeoutExpired:
        started = subprocess.CompletedProcess([], 1, "", f"timed out after {START_TIMEOUT} s")
    if started.returncode != 0:
        message = f"the OpenStack harness did not start:\n{started.stderr[-4000:]}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    yield _parse_env(started.stdout)
    if not already and os.environ.get("NETWEAVE_OPENSTACK_KEEP") != "1":
        _harness("stop", 300)


def connect(env: dict[str, str], project: str | None = None) -> Connection:
    return openstack.connect(
        auth_url=env["OS_AUTH_URL"],
        username=env["OS_USERNAME"],
        password=env["OS_PASSWORD"],
        project_name=project or env["OS_PROJECT_NAME"],
        user_domain_name="Default",
        project_domain_name="Default",
        region_name=env["OS_REGION_NAME"],
        load_yaml_config=False,
        load_envvars=False,
    )


@pytest.fixture(scope="session")
def os_admin(openstack_cloud: dict[str, str]) -> Iterator[Connection]:
    conn = connect(openstack_cloud)
    yield conn
    conn.close()


FLAVORS = {"nw.small": (1, 512, 1, {}), "nw.large": (4, 4096, 20, {"hw:cpu_policy": "dedicated"})}
IMAGE = "nw-cirros-stand-in"
SECOND_PROJECT = "netweave-beta"
QUOTA_PROJECT = "netweave-quota"


@pytest.fixture(scope="session")
def os_catalogue(os_admin: Connection) -> dict[str, Any]:
    """Flavors, an image and two more projects (admin holds the admin role there), created once."""
    flavors = {}
    for name, (vcpus, ram, disk, specs) in FLAVORS.items():
        flavor = os_admin.compute.find_flavor(name, ignore_missing=True)
        if flavor is None:
            flavor = os_admin.compute.create_flavor(name=name, vcpus=vcpus, ram=ram, disk=disk)
            if specs:
                os_admin.compute.create_flavor_extra_specs(flavor, specs)
        flavors[name] = flavor.id
    image = os_admin.image.find_image(IMAGE, ignore_missing=True)
    if image is None:
        image = os_admin.image.create_image(
            name=IMAGE, data=io.BytesIO(b"\0" * 4096), disk_format="raw", container_format="bare"
        )
    admin_user = os_admin.identity.find_user("admin")
    admin_role = os_admin.identity.find_role("admin")
    projects = {}
    for name in (SECOND_PROJECT, QUOTA_PROJECT):
        project = os_admin.identity.find_project(name, ignore_missing=True)
        if project is None:
            project = os_admin.identity.create_project(name=name, domain_id="default")
        os_admin.identity.assign_project_role_to_user(project, admin_user, admin_role)
        projects[name] = project.id
    os_admin.compute.update_quota_set(projects[QUOTA_PROJECT], instances=1)
    return {"flavors": flavors, "image": image.id, "projects": projects}


def wait_gone(conn: Connection, server_id: str, timeout: float = 120.0) -> None:
    """Until Nova answers 404: status DELETED (where the SDK's wait_for_delete stops) comes before the instance
    row is marked deleted, and until then the server is still listed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn.compute.get_server(server_id)
        except NotFoundException:
            return
        time.sleep(0.25)
    raise AssertionError(f"server {server_id} still exists {timeout:.0f} s after its deletion")


def clean_cloud(conn: Connection) -> None:
    """Delete every server (all projects) and every aggregate: a quiescent backend for the next test."""
    servers = list(conn.compute.servers(all_projects=True))
    for server in servers:
        conn.compute.delete_server(server, ignore_missing=True)
    for server in servers:
        wait_gone(conn, server.id)
    for aggregate in conn.compute.aggregates():
        for host in aggregate.hosts or ():
            conn.compute.remove_host_from_aggregate(aggregate, host)
        conn.compute.delete_aggregate(aggregate)
    for name, flavor_id in [(f.name, f.id) for f in conn.compute.flavors()]:
        if name not in FLAVORS:
            conn.compute.delete_flavor(flavor_id, ignore_missing=True)


@pytest.fixture
def os_clean(os_admin: Connection, os_catalogue: dict[str, Any]) -> Iterator[dict[str, Any]]:
    clean_cloud(os_admin)
    yield os_catalogue
    clean_cloud(os_admin)


@pytest.fixture
def forget_plugin_objects() -> Iterator[None]:
    """Drop the plugin objects the registry cached for this test's instances, whose rows are rolled back."""
    yield
    from plugins import registry

    registry.forget_all()


@pytest.fixture
def plugin_config(openstack_cloud: dict[str, str]) -> dict[str, Any]:
    """The plugin's config for the admin project (password in clear: for direct plugin objects only)."""
    return {
        "authUrl": openstack_cloud["OS_AUTH_URL"],
        "username": openstack_cloud["OS_USERNAME"],
        "password": openstack_cloud["OS_PASSWORD"],
        "projectName": openstack_cloud["OS_PROJECT_NAME"],
        "domainName": "Default",
        "region": openstack_cloud["OS_REGION_NAME"],
        "ocloudId": "ocloud-openstack-test",
        "bootTimeoutSeconds": 120,
    }


@pytest.fixture
def make_openstack_instance(db: None, plugin_config: dict[str, Any]) -> Callable[..., Any]:
    """Save an `openstack` PluginInstance whose password is an encrypted Secret, as an operator would."""
    from plugins.models import PluginInstance, Secret
    from plugins.secrets import secret_ref, set_secret_value

    def make(name: str = "openstack-ims", *, default: bool = True, password: str | None = None, **config: Any) -> Any:
        secret = set_secret_value(Secret(name=f"{name}-password"), password or plugin_config["password"])
        return PluginInstance.objects.create(
            name=name,
            category="ims",
            plugin_type="openstack",
            is_default=default,
            sync_interval=0,
            config={**plugin_config, **config, "password": secret_ref(secret.name)},
        )

    return make

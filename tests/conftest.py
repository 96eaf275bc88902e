"""Shared fixtures: an HTTP client that validates every O2 response against the published OpenAPI schema,
and a mock IMS plugin instance backed by a throw-away state file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.o2client import O2Client

# A real kube-apiserver + etcd for any test that asks for `kube_cluster` (tests/k8s/README.md).
pytest_plugins = ["tests.k8s_harness"]

# The backend stage a test using one of these fixtures belongs to, unless it names one itself; the first match
# wins (the Helm tests use the Kubernetes harness too, but they test the Helm plugin). docs/testing.md.
BACKEND_FIXTURES = {
    "helm_binary": "helm",
    "openstack_cloud": "openstack",
    "kube_cluster": "kubernetes",
    "kwok_node": "kubernetes",
}


def backend_markers(config: pytest.Config) -> set[str]:
    """The registered markers whose description starts with "backend:" (pyproject.toml): one per backend stage."""
    names = set()
    for line in config.getini("markers"):
        name, _, description = str(line).partition(":")
        if description.strip().startswith("backend:"):
            names.add(name.split("(")[0].strip())
    return names


def pytest_configure(config: pytest.Config) -> None:
    """Two production settings that cost CPU on every test and prove nothing there (docs/benchmarks.md, "Test
    suite"); the processes the tests start (manage.py, gunicorn, Celery, `make run`) read the production
    settings and keep both.

    - Passwords are hashed with MD5: the production hasher (PBKDF2, 1,000,000 rounds) costs about 0.6 s of CPU
      per hash on the 2-core CI machine, and every test using `admin_user`/`admin_client` hashes one. The tests
      check the login flow, not the hash's strength.
    - The `throttle` cache (rate-limit history and the token generation stamp) is in memory: the production file
      cache writes a file and lists its directory (up to 300 entries) on every API request. One process needs
      no sharing; tests/security/test_limits.py runs the rate limit on the production file cache."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "netweave-throttle"},
    }


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Stage markers, before `-m` selects: a test on a backend fixture gets that backend's marker, and any test
    with a backend marker gets `backend`, so the unit stage (`-m "not backend"`) never starts a backend."""
    stages = backend_markers(config)
    for item in items:
        names = {mark.name for mark in item.iter_markers()}
        if not names & stages:
            fixtures = getattr(item, "fixturenames", ())
            for fixture, marker in BACKEND_FIXTURES.items():
                if fixture in fixtures:
                    item.add_marker(marker)
                    names.add(marker)
                    break
        if names & stages and "backend" not in names:
            item.add_marker(pytest.mark.backend)


@pytest.fixture
def make_api_token(db: None) -> Callable[..., str]:
    """Create a netweave API token and return its full text (`nwt_<key>.<secret>`), for an Authorization header."""
    from netweave.security.tokens import create_token

    def make(*roles: str, write: bool = True, networks: tuple[str, ...] = (), expires: Any = None) -> str:
        _, full = create_token(
            f"test {'+'.join(roles)}", roles, write_enabled=write, allowed_networks=networks, expires=expires
        )
        return full

    return make


@pytest.fixture
def client(make_api_token: Callable[..., str]) -> Any:
    """Django's test client carrying an admin, write-enabled API token: the O2 APIs need a credential, and
    tests that are not about security authenticate this way. Admin pages ignore the header (session login).
    The token is used once up front, as a long-lived client's would have been, so that query-count assertions
    see what a request costs with its credential already verified."""
    from django.test import Client

    from netweave.security.tokens import authenticate

    token = make_api_token("admin")
    authenticate(token)
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def anonymous_client() -> Any:
    """Django's test client without any credential."""
    from django.test import Client

    return Client()


@pytest.fixture
def o2(client: Any) -> O2Client:
    """Django's test client with an admin API token, validating each response against our OpenAPI document."""
    return O2Client(client)


@pytest.fixture
def make_mock_instance(db: None, tmp_path: Path) -> Callable[..., Any]:
    """Create a mock IMS PluginInstance row with its own state file (no sync is run)."""
    from plugins.models import PluginInstance

    def make(name: str = "mock-ims", *, default: bool = True, **config: Any) -> PluginInstance:
        config.setdefault("stateFile", str(tmp_path / f"{name}.sqlite3"))
        config.setdefault("resources", 30)
        return PluginInstance.objects.create(
            name=name, category="ims", plugin_type="mock", is_default=default, config=config, sync_interval=0
        )

    return make


@pytest.fixture
def synced_mock(make_mock_instance: Callable[..., Any]) -> Any:
    """A default mock IMS instance, synced once."""
    from inventory.sync import sync_instance

    instance = make_mock_instance()
    sync_instance(instance)
    return instance


@pytest.fixture
def receiver(settings: Any) -> Iterator[Any]:
    """A real HTTP server on loopback that records the notifications POSTed to it; 127.0.0.1 is allow-listed as
    a callback host for the test (callbacks to loopback are refused otherwise)."""
    from inventory.notifications import auth
    from inventory.notifications.receiver import Receiver

    auth.forget_endpoints()
    settings.NETWEAVE_CALLBACK_ALLOWED_HOSTS = ["127.0.0.1"]
    server = Receiver().start()
    yield server
    server.stop()
    auth.forget_endpoints()


@pytest.fixture
def run_tasks(settings: Any, django_capture_on_commit_callbacks: Any) -> Iterator[Callable[[Callable[[], Any]], Any]]:
    """Call `action` and run what it queued after its commit (Celery eager: tasks run in-process, as a worker
    would run them, including the tasks those tasks queue), returning the action's result."""
    from netweave.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True

    def run(action: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    yield run
    app.conf.task_always_eager = False


@pytest.fixture
def deliver(run_tasks: Callable[[Callable[[], Any]], Any]) -> Callable[[Callable[[], Any]], Any]:
    """`run_tasks` under the name the notification tests use: a change and the deliveries it queues."""
    return run_tasks

"""The netweave Helm chart (deploy/helm/netweave) with the pinned helm CLI and the real kube-apiserver.

`helm lint --strict`; `helm template` with the default values and with production-like values, and the objects
hold what docs/production.md promises (one beat, secrets only by secretKeyRef, probes, non-root, read-only root);
the rendered web command started here answers its probe, and the rendered plugins.yaml imports; `helm install`
creates the objects on the API server and `helm uninstall` removes them.

The API server has no kubelet, so no pod ever runs and a hook Job never completes: the install runs with
--no-hooks, and the migration hook's ConfigMap and Job are submitted to the API server on their own (server-side
dry run), which validates them as an install would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from django.core.management import call_command, get_commands
from kubernetes import client as k8s
from kubernetes.client.rest import ApiException

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "netweave"
HEALTHCHECK = REPO / "deploy" / "healthcheck.py"
SECRET_ENV = {
    "DJANGO_SECRET_KEY",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "NETWEAVE_SECRETS_KEYS",
    "NETWEAVE_TOKEN_PEPPER",
    "NETWEAVE_THROTTLE_CACHE_URL",
}
PRODUCTION = {
    "image": {"repository": "registry.example.com/netweave", "tag": "1.2.3"},
    "web": {"replicas": 2},
    "worker": {"replicas": 3},
    "existingSecret": "netweave-prod",
    "ingress": {
        "enabled": True,
        "className": "nginx",
        "hosts": ["o2.example.com"],
        "tls": [{"secretName": "o2-tls", "hosts": ["o2.example.com"]}],
    },
    "settings": {"NETWEAVE_OCLOUD_NAME": "edge 1", "NETWEAVE_TLS": True, "NETWEAVE_BEHIND_TLS_PROXY": True},
    "sharedStorage": {"existingClaim": "netweave-shared"},
    "pluginConfig": yaml.safe_load((REPO / "config" / "demo.yaml").read_text()),
}


def helm(binary: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([binary, *args], capture_output=True, text=True, timeout=120, check=False)
    if check:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def production_values(tmp_path: Path) -> Path:
    path = tmp_path / "production.yaml"
    path.write_text(yaml.safe_dump(PRODUCTION))
    return path


def render(binary: str, *args: str) -> dict[tuple[str, str], dict[str, Any]]:
    """`helm template`'s objects by (kind, name)."""
    text = helm(binary, "template", "nw", str(CHART), "--namespace", "o2", *args).stdout
    return {(obj["kind"], obj["metadata"]["name"]): obj for obj in yaml.safe_load_all(text) if obj}


def deployments(objects: dict[tuple[str, str], dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        obj["metadata"]["labels"]["app.kubernetes.io/component"]: obj
        for (kind, _), obj in objects.items()
        if kind == "Deployment"
    }


def pod_specs(objects: dict[tuple[str, str], dict[str, Any]]) -> list[dict[str, Any]]:
    return [obj["spec"]["template"]["spec"] for obj in objects.values() if obj["kind"] in {"Deployment", "Job"}]


def containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*spec.get("initContainers", []), *spec["containers"]]


def test_lint_is_clean(helm_binary: str, production_values: Path) -> None:
    helm(helm_binary, "lint", "--strict", str(CHART))
    helm(helm_binary, "lint", "--strict", str(CHART), "-f", str(production_values))


def test_default_values_render_every_process(helm_binary: str) -> None:
    objects = render(helm_binary)
    processes = deployments(objects)
    assert set(processes) == {"web", "worker", "beat", "watcher"}
    commands = {name: obj["spec"]["template"]["spec"]["containers"][0]["command"] for name, obj in processes.items()}
    assert commands["web"][:2] == ["gunicorn", "netweave.wsgi"]
    assert commands["worker"][:4] == ["celery", "-A", "netweave", "worker"]
    assert "--beat" not in commands["worker"]
    assert commands["beat"][:4] == ["celery", "-A", "netweave", "beat"]
    assert "django_celery_beat.schedulers:DatabaseScheduler" in commands["beat"]
    assert commands["watcher"] == ["python", "manage.py", "netweave_watch"]
    for name in ("beat", "watcher"):
        assert processes[name]["spec"]["replicas"] == 1
        assert processes[name]["spec"]["strategy"] == {"type": "Recreate"}
    assert ("Service", "nw-netweave") in objects
    assert ("ServiceAccount", "nw-netweave") in objects
    assert not [key for key in objects if key[0] == "Ingress"]
    job = objects[("Job", "nw-netweave-migrate")]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert [c["command"] for c in containers(job["spec"]["template"]["spec"])] == [
        ["python", "manage.py", "migrate", "--noinput"]
    ]


def test_production_values(helm_binary: str, production_values: Path) -> None:
    objects = render(helm_binary, "-f", str(production_values))
    processes = deployments(objects)
    assert processes["web"]["spec"]["replicas"] == 2
    assert processes["worker"]["spec"]["replicas"] == 3
    assert processes["beat"]["spec"]["replicas"] == 1
    for spec in pod_specs(objects):
        for container in containers(spec):
            assert container["image"] == "registry.example.com/netweave:1.2.3"
    ingress = objects[("Ingress", "nw-netweave")]
    assert ingress["spec"]["rules"][0]["host"] == "o2.example.com"
    assert ingress["spec"]["tls"][0]["secretName"] == "o2-tls"
    settings = objects[("ConfigMap", "nw-netweave")]["data"]
    assert settings["NETWEAVE_OCLOUD_SERVICE_URI"] == "https://o2.example.com"
    assert settings["NETWEAVE_TLS"] == "true"
    assert "o2.example.com" in settings["DJANGO_ALLOWED_HOSTS"].split(",")
    shared = {
        name
        for name, obj in processes.items()
        for volume in obj["spec"]["template"]["spec"]["volumes"]
        if volume.get("persistentVolumeClaim", {}).get("claimName") == "netweave-shared"
    }
    assert shared == {"web", "worker"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("beat.replicas=2", "at '/beat': additional properties 'replicas' not allowed"),  # always one beat
        ("watcher.replicas=2", "at '/watcher': additional properties 'replicas' not allowed"),
        ("settings.DATABASE_URL=x", "settings.DATABASE_URL is a secret"),  # secrets never in the ConfigMap
        ("ingress.enabled=true", "ingress.hosts: name at least one host"),
    ],
)
def test_refused_values(helm_binary: str, value: str, message: str) -> None:
    refused = helm(helm_binary, "template", "nw", str(CHART), "--set", value, check=False)
    assert refused.returncode != 0
    assert message in refused.stderr


def test_secrets_only_by_reference(helm_binary: str, production_values: Path) -> None:
    objects = render(helm_binary, "-f", str(production_values))
    for (kind, _), obj in objects.items():
        if kind == "ConfigMap":
            assert not SECRET_ENV & set(obj["data"])
    assert not [key for key in objects if key[0] == "Secret"]
    for spec in pod_specs(objects):
        for container in containers(spec):
            env = {item["name"]: item for item in container["env"]}
            assert set(env) >= SECRET_ENV
            for name in SECRET_ENV:
                assert "value" not in env[name]
                assert env[name]["valueFrom"]["secretKeyRef"]["name"] == "netweave-prod"


def test_pods_run_as_non_root_on_a_read_only_root(helm_binary: str, production_values: Path) -> None:
    objects = render(helm_binary, "-f", str(production_values))
    specs = pod_specs(objects)
    assert len(specs) == 5  # four processes and the migration Job
    for spec in specs:
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] != 0
        for container in containers(spec):
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            mounts = {mount["mountPath"] for mount in container["volumeMounts"]}
            assert {"/var/lib/netweave", "/tmp"} <= mounts


def test_only_web_pods_are_probed_on_the_health_path(helm_binary: str) -> None:
    for name, obj in deployments(render(helm_binary)).items():
        container = obj["spec"]["template"]["spec"]["containers"][0]
        if name == "web":
            assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
            assert container["livenessProbe"]["httpGet"]["path"] == "/health"
            for probe in ("readinessProbe", "livenessProbe"):
                assert container[probe]["httpGet"]["port"] == "http"
        else:
            assert "readinessProbe" not in container


def test_the_hook_needs_nothing_the_release_creates_after_it(helm_binary: str, production_values: Path) -> None:
    """Pre-install hooks run before the release's own objects exist: the Job may only use hook objects."""
    objects = render(helm_binary, "-f", str(production_values))
    job = objects[("Job", "nw-netweave-migrate")]["spec"]["template"]["spec"]
    hook_objects = {
        name for (kind, name), obj in objects.items() if "helm.sh/hook" in obj["metadata"].get("annotations", {})
    }
    assert "serviceAccountName" not in job
    assert job["automountServiceAccountToken"] is False
    referenced = {volume["configMap"]["name"] for volume in job["volumes"] if "configMap" in volume}
    for container in containers(job):
        referenced |= {source["configMapRef"]["name"] for source in container["envFrom"]}
    assert referenced
    assert referenced <= hook_objects


def test_every_manage_py_command_exists(helm_binary: str, production_values: Path) -> None:
    known = get_commands()
    for spec in pod_specs(render(helm_binary, "-f", str(production_values))):
        for container in containers(spec):
            command = container["command"]
            if command[:2] == ["python", "manage.py"]:
                assert command[2] in known, command


@pytest.mark.parametrize("process", ["worker", "beat"])
def test_the_celery_command_line_parses(helm_binary: str, process: str) -> None:
    """Celery's own parser accepts the rendered options (`--help` stops before connecting to anything)."""
    container = deployments(render(helm_binary))[process]["spec"]["template"]["spec"]["containers"][0]
    executable = Path(sys.executable).with_name(container["command"][0])
    done = subprocess.run(
        [str(executable), *container["command"][1:], "--help"], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.django_db
def test_the_rendered_plugin_config_imports(helm_binary: str, production_values: Path, tmp_path: Path) -> None:
    from plugins.models import PluginInstance

    objects = render(helm_binary, "-f", str(production_values))
    hook = objects[("ConfigMap", "nw-netweave-plugin-config")]
    job = objects[("Job", "nw-netweave-migrate")]["spec"]["template"]["spec"]
    (importer,) = job["containers"]
    assert importer["command"][:4] == ["python", "manage.py", "netweave_config", "import"]
    assert job["initContainers"][0]["command"][2] == "migrate"  # the import runs after the migrations
    plugins_file = tmp_path / "plugins.yaml"
    plugins_file.write_text(hook["data"]["plugins.yaml"])
    call_command("netweave_config", "import", str(plugins_file))
    assert set(PluginInstance.objects.values_list("name", flat=True)) == {"demo-ocloud", "demo-dms"}


def test_the_plugin_import_merges_unless_prune_is_set(helm_binary: str, production_values: Path) -> None:
    def importer(*args: str) -> list[str]:
        job = render(helm_binary, "-f", str(production_values), *args)[("Job", "nw-netweave-migrate")]
        return job["spec"]["template"]["spec"]["containers"][0]["command"]

    assert "--prune" not in importer()
    assert importer("--set", "pluginConfigPrune=true")[-2:] == ["--prune", "--yes"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def web_process(helm_binary: str, tmp_path: Path) -> Iterator[tuple[int, dict[str, str], dict[str, Any]]]:
    """The rendered web command, run here with the rendered settings (bound to loopback instead of 0.0.0.0), after
    the rendered migration step, as the hook Job runs it before the pods start."""
    objects = render(helm_binary)
    settings = objects[("ConfigMap", "nw-netweave")]["data"]
    container = deployments(objects)["web"]["spec"]["template"]["spec"]["containers"][0]
    port = free_port()
    command = list(container["command"])
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    command[0] = str(Path(sys.executable).with_name(command[0]))
    env = {
        **os.environ,
        **settings,
        "NETWEAVE_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SECRET_KEY": uuid.uuid4().hex,
    }
    # What the chart runs first: the hook Job's migration step, with the same settings.
    job = objects[("Job", "nw-netweave-migrate")]["spec"]["template"]["spec"]
    (migrate,) = [c for c in job.get("initContainers", []) + job["containers"] if c["name"] == "migrate"]
    migrate_command = [sys.executable if part == "python" else part for part in migrate["command"]]
    done = subprocess.run(migrate_command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield port, env, container
    finally:
        process.terminate()
        process.wait(timeout=30)


def started_log(env: dict[str, str]) -> str:
    return (Path(env["NETWEAVE_DATA_DIR"]) / "gunicorn.log").read_text()[-3000:]


def test_the_web_command_answers_its_probe(web_process: tuple[int, dict[str, str], dict[str, Any]]) -> None:
    port, env, container = web_process
    probe = container["readinessProbe"]["httpGet"]
    headers = {header["name"]: header["value"] for header in probe["httpHeaders"]}
    url = f"http://127.0.0.1:{port}{probe['path']}"
    deadline = time.monotonic() + 60
    while True:
        try:
            response = httpx.get(url, headers=headers, timeout=5)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"gunicorn did not start:\n{started_log(env)}"
            time.sleep(0.3)
    assert response.status_code == 200, response.text
    assert response.json()["database"] == "ok"
    live = container["livenessProbe"]["httpGet"]
    assert httpx.get(f"http://127.0.0.1:{port}{live['path']}", headers=headers, timeout=5).status_code == 200
    # A Host outside DJANGO_ALLOWED_HOSTS (the pod IP a kubelet would send) is refused: the probe's header matters.
    assert httpx.get(url, headers={"Host": "10.1.2.3"}, timeout=5).status_code == 400
    # The data directory is an empty volume in the pods (it hides the files collected into the image): WhiteNoise
    # serves the static files from the apps through Django's finders.
    static = httpx.get(f"http://127.0.0.1:{port}/static/admin/css/base.css", headers=headers, timeout=5)
    assert static.status_code == 200
    # The image's HEALTHCHECK script passes against the same process with the same settings.
    check = {**env, "NETWEAVE_HEALTHCHECK_PORT": str(port)}
    assert subprocess.run([sys.executable, str(HEALTHCHECK)], env=check, timeout=30).returncode == 0
    assert (
        subprocess.run(
            [sys.executable, str(HEALTHCHECK)], env={**check, "DJANGO_ALLOWED_HOSTS": "elsewhere"}
        ).returncode
        == 1
    )


@pytest.fixture
def kube_api(kube_cluster: Any) -> Iterator[tuple[k8s.ApiClient, str]]:
    namespace = f"netweave-chart-{uuid.uuid4().hex[:6]}"
    api_client = kube_cluster.api_client()
    core = k8s.CoreV1Api(api_client)
    core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=namespace)))
    yield api_client, namespace
    core.delete_namespace(namespace)
    api_client.close()


def names(items: Any) -> set[str]:
    return {item.metadata.name for item in items.items}


def test_install_and_uninstall_on_the_api_server(
    helm_binary: str, kube_cluster: Any, kube_api: tuple[k8s.ApiClient, str], production_values: Path
) -> None:
    api_client, namespace = kube_api
    apps, core, networking = k8s.AppsV1Api(api_client), k8s.CoreV1Api(api_client), k8s.NetworkingV1Api(api_client)
    kube = ["--kubeconfig", str(kube_cluster.kubeconfig), "--namespace", namespace]
    helm(helm_binary, "install", "nw", str(CHART), *kube, "-f", str(production_values), "--no-hooks")

    created = apps.list_namespaced_deployment(namespace)
    assert names(created) == {f"nw-netweave-{name}" for name in ("web", "worker", "beat", "watcher")}
    replicas = {item.metadata.name: item.spec.replicas for item in created.items}
    assert replicas["nw-netweave-web"] == 2
    assert replicas["nw-netweave-beat"] == 1
    assert "nw-netweave" in names(core.list_namespaced_service(namespace))
    assert "nw-netweave" in names(core.list_namespaced_config_map(namespace))
    assert "nw-netweave" in names(core.list_namespaced_service_account(namespace))
    assert "nw-netweave" in names(networking.list_namespaced_ingress(namespace))

    # The migration hook, as the API server would take it at install time.
    hook = helm(
        helm_binary,
        "template",
        "nw",
        str(CHART),
        *kube,
        "-f",
        str(production_values),
        "--show-only",
        "templates/migrate-job.yaml",
    ).stdout
    *config_maps, job = (obj for obj in yaml.safe_load_all(hook) if obj)
    assert [obj["metadata"]["name"] for obj in config_maps] == ["nw-netweave-migrate", "nw-netweave-plugin-config"]
    for config_map in config_maps:
        core.create_namespaced_config_map(namespace, config_map, dry_run="All")
    k8s.BatchV1Api(api_client).create_namespaced_job(namespace, job, dry_run="All")

    helm(helm_binary, "uninstall", "nw", *kube)
    assert not apps.list_namespaced_deployment(namespace).items
    assert "nw-netweave" not in names(core.list_namespaced_service(namespace))
    assert "nw-netweave" not in names(core.list_namespaced_config_map(namespace))
    with pytest.raises(ApiException) as gone:
        networking.read_namespaced_ingress("nw-netweave", namespace)
    assert gone.value.status == 404

"""The Argo CD plugin's REST mode (`serverUrl` + `authToken`) against the fake Argo CD API server of
tests/argocd_rest_fake.py, whose every request and response is checked against Argo CD's published
swagger.json (unit stage: the fake runs in-process).

The DMS contract kit (automated sync), then O2dms end to end with manual sync (create and update ask Argo CD to
sync, rollback is Argo CD's own, status adds the resource tree), the token kept as a netweave Secret and never
shown; a subscriber receives the deployment's changes; the config refuses a half-set REST mode.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from inventory.notifications.receiver import Receiver
from plugins.dms.argocd.plugin import ArgoCDDMSPlugin
from plugins.sdk.errors import AuthenticationFailed, InvalidRequest
from tests.argocd_rest_fake import TOKEN, FakeArgoCD
from tests.deployments.conftest import base
from tests.deployments.gitref_contract import REPO_URL
from tests.deployments.test_argocd_contract import TestArgoCDContract
from tests.o2client import json_of

pytestmark = [pytest.mark.argocd]

SUBSCRIPTIONS = "/netweave-dms-ext/v1/subscriptions"


class TestArgoCDRestContract(TestArgoCDContract):
    """The same contract as CRD mode, through Argo CD's API server."""

    pytestmark = [pytest.mark.argocd]

    @pytest.fixture
    def dms_plugin(self, argocd_server: tuple[str, FakeArgoCD], tmp_path: Path) -> Iterator[ArgoCDDMSPlugin]:  # type: ignore[override]
        url, _ = argocd_server
        plugin = ArgoCDDMSPlugin("argocd-rest-contract")
        plugin.initialize({"serverUrl": url, "authToken": TOKEN, "packageDir": str(tmp_path / "refs")})
        yield plugin
        plugin.close()


def test_rest_mode_config_is_one_or_the_other(tmp_path: Path) -> None:
    plugin = ArgoCDDMSPlugin("x")
    with pytest.raises(InvalidRequest) as both:
        plugin.validated_config({"serverUrl": "https://argocd.example.com", "authToken": "t", "kubeconfig": "/k"})
    assert both.value.field == "serverUrl"
    with pytest.raises(InvalidRequest) as tokenless:
        plugin.validated_config({"serverUrl": "https://argocd.example.com"})
    assert tokenless.value.field == "authToken"
    with pytest.raises(InvalidRequest) as stray:
        plugin.validated_config({"authToken": "t"})
    assert stray.value.field == "authToken"
    assert "t" not in stray.value.detail.split()


def test_a_wrong_token_is_an_authentication_failure_without_the_token(
    argocd_server: tuple[str, FakeArgoCD], tmp_path: Path
) -> None:
    url, _ = argocd_server
    plugin = ArgoCDDMSPlugin("argocd-rest-badtoken")
    plugin.initialize({"serverUrl": url, "authToken": "wrong-secret-value", "packageDir": str(tmp_path)})
    with pytest.raises(AuthenticationFailed) as refused:
        plugin.list_deployments()
    assert "wrong-secret-value" not in refused.value.detail
    assert not plugin.health().healthy
    plugin.close()


@pytest.fixture
def argocd_rest_dms(db: None, argocd_server: tuple[str, FakeArgoCD], tmp_path: Path, manager: Any) -> Any:
    """An argocd instance in REST mode with manual sync, its token a netweave Secret; `git-repo` references with
    `gitOps: true` for the mock O-Cloud's first deployment manager are routed to it."""
    from plugins.models import PluginInstance, RoutingRule, Secret
    from plugins.secrets import set_secret_value

    url, _ = argocd_server
    secret = Secret.objects.create(name="argocd-token", provider=Secret.Provider.ENCRYPTED)
    set_secret_value(secret, TOKEN)
    instance = PluginInstance.objects.create(
        name="argocd-rest",
        category="dms",
        plugin_type="argocd",
        config={
            "serverUrl": url,
            "authToken": {"secretRef": secret.name},
            "syncPolicy": {"automated": False},
            "packageDir": str(tmp_path / "refs"),
        },
    )
    RoutingRule.objects.create(
        name="git-to-argocd-rest",
        category="dms",
        priority=1,
        plugin_instance=instance,
        match_type="git-repo",
        conditions={"deploymentManager": manager.name, "gitOps": True},
    )
    return instance


def test_argocd_rest_lifecycle_over_o2dms(
    o2: Any,
    manager: Any,
    argocd_rest_dms: Any,
    argocd_server: tuple[str, FakeArgoCD],
    run_tasks: Any,
    receiver: Receiver,
    admin_client: Any,
) -> None:
    _, fake = argocd_server
    subscribed = o2.post(SUBSCRIPTIONS, {"callback": receiver.url + "/smo", "filter": "(eq,objectType,NfDeployment)"})
    assert subscribed.status_code == 201, subscribed.content

    path = f"apps/cnf-{uuid.uuid4().hex[:6]}"
    reference = {"packageType": "git-repo", "artifactRepoUrl": REPO_URL, "artifactName": path, "version": "v1.0.0"}
    created = o2.post(f"{base(manager)}/NfDeploymentDescriptor", {**reference, "gitOps": True})
    assert created.status_code == 201, created.content
    descriptor = json_of(created)

    name = f"nf-{uuid.uuid4().hex[:6]}"
    accepted = run_tasks(
        lambda: o2.post(
            f"{base(manager)}/NfDeployment",
            {"name": name, "descriptorId": descriptor["id"], "namespace": "ran", "values": {"replicaCount": 2}},
        )
    )
    assert accepted.status_code == 202, accepted.content
    assert json_of(o2.get(accepted["Location"]))["state"] == "SUCCEEDED"
    item = f"{base(manager)}/NfDeployment/{json_of(accepted)['nfDeploymentId']}"
    assert json_of(o2.get(f"{item}?all_fields"))["extensions"]["netweave.nativeId"] == f"argocd/{name}"
    app = fake.apps[("argocd", name)]
    assert app["spec"]["source"]["helm"]["valuesObject"] == {"replicaCount": 2}
    assert "automated" not in app["spec"]["syncPolicy"]
    assert f"POST /api/v1/applications/{name}/sync" in fake.calls  # manual sync: netweave asks for it

    upgraded = run_tasks(lambda: o2.put(item, {"values": {"replicaCount": 3}}))
    assert json_of(o2.get(upgraded["Location"]))["state"] == "SUCCEEDED"
    assert json_of(o2.get(f"{item}/status"))["revision"] == 2

    first = fake.apps[("argocd", name)]["status"]["history"][0]
    rolled = run_tasks(lambda: o2.post(f"{item}/rollback", {"revision": 1}))
    assert json_of(o2.get(rolled["Location"]))["state"] == "SUCCEEDED"
    assert f"POST /api/v1/applications/{name}/rollback" in fake.calls  # Argo CD's own rollback
    app = fake.apps[("argocd", name)]
    assert app["status"]["operationState"]["syncResult"]["source"]["helm"]["valuesObject"] == {"replicaCount": 2}
    assert app["spec"]["source"]["targetRevision"] == first["revision"]

    status = json_of(o2.get(f"{item}/status"))
    assert status["status"] == "deployed"
    assert status["revision"] == 3
    assert status["details"]["resources"] == "2"  # from the resource tree
    assert status["details"]["unhealthyResources"] == ""
    history = json_of(o2.get(f"{item}/history"))
    assert [h["revision"] for h in history] == [1, 2, 3]

    deleted = run_tasks(lambda: o2.delete(item))
    assert json_of(o2.get(deleted["Location"]))["state"] == "SUCCEEDED"
    assert o2.get(item).status_code == 404
    assert ("argocd", name) not in fake.apps

    bodies = receiver.wait_for(lambda b: any(n["notificationEventType"] == 2 for n in b))
    events = [n["notificationEventType"] for n in bodies]
    assert events[0] == 0
    assert 1 in events
    assert events[-1] == 2

    # The token is a Secret: the instance's admin page and API show a reference, never the value.
    page = admin_client.get(f"/admin/plugins/plugininstance/{argocd_rest_dms.pk}/change/")
    assert page.status_code == 200
    assert TOKEN not in page.content.decode()
    shown = o2.get("/netweave-admin-ext/v1/pluginInstances/argocd-rest")
    assert TOKEN not in shown.content.decode()
    assert shown.status_code == 200

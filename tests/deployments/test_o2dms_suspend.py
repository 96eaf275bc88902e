"""The suspend and resume extensions of an NfDeployment through the HTTP API, with a DMS plugin that has no
such operation (the mock): 501 ProblemDetails, nothing queued; a reader may not ask (403); every attempt is in
the audit log. The Flux plugin, which has them, is exercised in test_o2dms_flux_e2e.py on the real apiserver."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from deployments.models import LifecycleOperation
from netweave.models import AuditEvent
from tests.deployments.conftest import base, chart
from tests.o2client import O2Client, json_of


@pytest.fixture
def deployed(o2: Any, manager: Any, mock_dms: Any, run_tasks: Any) -> str:
    created = o2.post(
        f"{base(manager)}/NfDeploymentDescriptor", chart("netweave-demo"), content_type="application/gzip"
    )
    assert created.status_code == 201, created.content
    accepted = run_tasks(
        lambda: o2.post(f"{base(manager)}/NfDeployment", {"name": "nf-s", "descriptorId": json_of(created)["id"]})
    )
    assert json_of(o2.get(accepted["Location"]))["state"] == "SUCCEEDED"
    return f"{base(manager)}/NfDeployment/{json_of(accepted)['nfDeploymentId']}"


@pytest.mark.parametrize("action", ["suspend", "resume"])
def test_a_plugin_without_the_operation_answers_501(o2: Any, deployed: str, action: str) -> None:
    before = LifecycleOperation.objects.count()
    refused = o2.post(f"{deployed}/{action}")
    assert refused.status_code == 501, refused.content
    assert action in json_of(refused)["detail"]
    assert LifecycleOperation.objects.count() == before
    assert AuditEvent.objects.filter(method="POST", path=f"{deployed}/{action}", status=501).exists()


def test_readers_may_not_suspend_and_unknown_deployments_are_404(
    anonymous_client: Any, make_api_token: Any, o2: Any, deployed: str, manager: Any
) -> None:
    anon = O2Client(anonymous_client)
    reader = make_api_token("reader")
    denied = anon.post(f"{deployed}/suspend", HTTP_AUTHORIZATION=f"Bearer {reader}")
    assert denied.status_code == 403, denied.content
    assert AuditEvent.objects.filter(path=f"{deployed}/suspend", outcome=AuditEvent.Outcome.FORBIDDEN).exists()
    assert o2.post(f"{base(manager)}/NfDeployment/{uuid.uuid4()}/resume").status_code == 404
    assert o2.post(f"{deployed}/suspend?force=1").status_code == 400


def test_a_plugin_cannot_set_netweaves_own_extensions() -> None:
    from deployments.lifecycle import backend_extensions
    from plugins.sdk.dms import Deployment

    reported = Deployment(
        native_id="ns/a", name="a", package_id="p", extensions={"x.ref": {"name": "s"}, "netweave.nativeId": "forged"}
    )
    assert backend_extensions(reported) == {"x.ref": {"name": "s"}}

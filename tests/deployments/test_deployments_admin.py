"""O2dms admin pages: packages, deployments and operations are browsable (read-only), with their history."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from deployments.models import Deployment, DeploymentPackage, LifecycleOperation
from tests.deployments.conftest import base, chart
from tests.o2client import json_of


def test_admin_lists_and_shows_o2dms_objects(
    o2: Any, admin_client: Any, manager: Any, mock_dms: Any, run_tasks: Any
) -> None:
    descriptor = json_of(
        o2.post(f"{base(manager)}/NfDeploymentDescriptor", chart("netweave-demo"), content_type="application/gzip")
    )
    run_tasks(lambda: o2.post(f"{base(manager)}/NfDeployment", {"name": "nf-admin", "descriptorId": descriptor["id"]}))
    for model in (DeploymentPackage, Deployment, LifecycleOperation):
        opts = model._meta
        listing = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert listing.status_code == 200
        obj = model.objects.get()
        page = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        assert page.status_code == 200
        assert b"nf-admin" in page.content or b"netweave-demo" in page.content
        assert admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 403
    deployment = Deployment.objects.get()
    history = admin_client.get(reverse("admin:deployments_deployment_change", args=[deployment.pk]))
    assert f"object_id={deployment.pk}".encode() in history.content

"""O2dms admin pages: packages, deployments and operations are browsable (read-only), with their history."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from deployments.models import Deployment, DeploymentPackage, LifecycleOperation, NfDeploymentState
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


def test_admin_shows_the_status_names(o2: Any, admin_client: Any, manager: Any, mock_dms: Any, run_tasks: Any) -> None:
    """An NfDeployment's integer status is shown with its O2dms name, in the list and on the object's page."""
    descriptor = json_of(
        o2.post(f"{base(manager)}/NfDeploymentDescriptor", chart("netweave-demo"), content_type="application/gzip")
    )
    run_tasks(lambda: o2.post(f"{base(manager)}/NfDeployment", {"name": "nf-named", "descriptorId": descriptor["id"]}))
    deployment = Deployment.objects.get()
    expected = f"{deployment.status} {NfDeploymentState(deployment.status).name}".encode()
    listing = admin_client.get(reverse("admin:deployments_deployment_changelist"))
    assert expected in listing.content
    page = admin_client.get(reverse("admin:deployments_deployment_change", args=[deployment.pk]))
    assert expected in page.content


def test_openapi_documents_the_status_values() -> None:
    from tests.o2client import published_schema

    schemas = published_schema()["components"]["schemas"]
    status = schemas["NfDeployment"]["properties"]["status"]
    (ref,) = status["allOf"]  # drf-spectacular names the enum as a component
    enum = schemas[ref["$ref"].rsplit("/", 1)[1]]
    assert enum["enum"] == [state.value for state in NfDeploymentState]
    assert status["x-enum-varnames"] == [state.name for state in NfDeploymentState]
    assert len(status["x-enum-descriptions"]) == len(NfDeploymentState)
    assert "3 INSTALLED" in status["description"]

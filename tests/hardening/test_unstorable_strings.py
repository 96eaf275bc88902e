"""Issue 13 item 4: NUL characters and over-length text were 500s on PostgreSQL (and silently stored on
SQLite). Every write endpoint and every admin form now refuses them with a 400 / form error naming the field,
on both databases; and a package whose record cannot commit leaves no archive behind (an orphan archive used
to answer every later upload of the same chart with 409)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import orjson
import pytest

from inventory.alarms.models import AlarmServiceConfiguration
from inventory.models import Subscription
from plugins.testing.dms import MINIMAL_CHART, archive
from tests.deployments.conftest import base
from tests.hardening.test_deep_json import json_write_operations
from tests.o2client import O2Client, check_problem, json_of

pytestmark = pytest.mark.django_db
GZIP = "application/gzip"


@pytest.mark.parametrize(("method", "path", "media_type"), json_write_operations())
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "nf\u0000x"}, "name"),
        ({"extensions": {"owner": "a\u0000"}}, "extensions.owner"),
        ({"labels": ["ok", "b\u0000"]}, "labels[1]"),
    ],
    ids=["top-level", "nested", "in-a-list"],
)
def test_a_nul_character_is_a_400_naming_the_field_on_every_write_operation(
    o2: O2Client, world: dict[str, str], method: str, path: str, media_type: str, body: Any, field: str
) -> None:
    url = re.sub(r"\{(\w+)\}", lambda m: world.get(m.group(1), str(uuid.uuid4())), path)
    response = getattr(o2.client, method)(url, orjson.dumps(body), content_type=media_type)
    assert response.status_code == 400, (response.status_code, response.content[:300])
    problem = check_problem(response)
    assert problem["additionalAttributes"]["field"] == field
    assert "NUL" in problem["detail"]


def test_an_escaped_backslash_before_u0000_is_not_a_nul(o2: O2Client, allow_loopback: None) -> None:
    response = o2.post(
        "/o2ims-infrastructureInventory/v1/subscriptions",
        b'{"callback": "http://127.0.0.1:9/n", "consumerSubscriptionId": "a\\\\u0000b"}',
    )
    assert response.status_code == 201, response.content
    assert json_of(response)["consumerSubscriptionId"] == "a\\u0000b"


@pytest.mark.parametrize(
    "query",
    ["filter=(eq,name,a%00b)", "fields%00=name", "nextpage_opaque_marker=%00"],
)
def test_a_nul_in_a_query_parameter_is_a_400_naming_it(o2: O2Client, query: str) -> None:
    response = o2.client.get(f"/o2ims-infrastructureInventory/v1/resourcePools?{query}")
    assert response.status_code == 400
    problem = check_problem(response)
    assert "NUL" in problem["detail"]
    assert problem["additionalAttributes"]["parameter"] == query.split("=")[0].replace("%00", "%00")


def test_over_length_values_are_a_400_naming_the_field(o2: O2Client, allow_loopback: None) -> None:
    response = o2.post(
        "/o2ims-infrastructureInventory/v1/subscriptions",
        {"callback": "http://127.0.0.1:9/n", "consumerSubscriptionId": "x" * 300},
    )
    assert response.status_code == 400
    assert check_problem(response)["additionalAttributes"]["field"] == "consumerSubscriptionId"
    assert not Subscription.objects.exists()


def test_an_over_length_descriptor_name_is_a_400(o2: O2Client, world: dict[str, str]) -> None:
    url = f"/o2dms/v1/{world['deploymentManagerId']}/O2dms_DeploymentLifecycle/NfDeploymentDescriptor/"
    response = o2.put(url + world["descriptorId"], {"name": "n" * 300})
    assert response.status_code == 400, response.content
    problem = check_problem(response)
    assert problem["additionalAttributes"]["field"] == "name"
    assert "255" in problem["detail"]


def _chart(description: str) -> bytes:
    chart_yaml = f'apiVersion: v2\nname: orphan\nversion: 1.0.0\ndescription: "{description}"\n'
    return archive({**MINIMAL_CHART, "Chart.yaml": chart_yaml}, "orphan")


def test_a_package_whose_record_is_refused_leaves_no_archive_behind(o2: O2Client, manager: Any, mock_dms: Any) -> None:
    from plugins.registry import get_plugin

    descriptors = f"{base(manager)}/NfDeploymentDescriptor"
    refused = o2.post(descriptors, _chart("bad \\0 description"), content_type=GZIP)
    assert refused.status_code == 400, refused.content
    assert check_problem(refused)["additionalAttributes"]["field"] == "description"
    assert get_plugin(mock_dms).list_deployment_packages() == []  # the plugin kept nothing
    again = o2.post(descriptors, _chart("a good description"), content_type=GZIP)
    assert again.status_code == 201, again.content  # not 409: no orphan archive
    assert o2.post(descriptors, _chart("a good description"), content_type=GZIP).status_code == 409


def test_the_admin_refuses_a_nul_in_a_json_field(admin_client: Any) -> None:
    AlarmServiceConfiguration.current()
    response = admin_client.post(
        "/admin/inventory/alarmserviceconfiguration/1/change/",
        {"retention_period": "7", "extensions": '{"owner": "a\\u0000b"}'},
    )
    assert response.status_code == 200  # the form again, with the error: not a 500
    assert "NUL character" in response.content.decode()
    assert AlarmServiceConfiguration.objects.get(pk=1).extensions == {}


def test_every_admin_form_carries_the_check() -> None:
    from django.contrib import admin

    from netweave.o2.storable import APPS, StorableFormMixin

    forms = [(m, a.form) for m, a in admin.site._registry.items() if m._meta.app_label in APPS]
    assert len(forms) > 10
    assert all(issubclass(form, StorableFormMixin) for _, form in forms)

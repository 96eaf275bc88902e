"""O2dms end to end through the HTTP API with the mock DMS plugin (the engine `make run` uses): upload,
deploy, upgrade, scale, roll back, read status/history/logs, delete; bad input is a 4xx that changes nothing;
operations and the change log record every step."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, encode_multipart

from deployments.models import Deployment, DeploymentPackage, LifecycleOperation
from inventory.models import ChangeLogEntry
from plugins.testing.dms import archive
from tests.deployments.conftest import base, chart
from tests.o2client import json_of

GZIP = "application/gzip"


def upload(o2: Any, manager: Any, content: bytes) -> Any:
    return o2.post(f"{base(manager)}/NfDeploymentDescriptor", content, content_type=GZIP)


def test_full_lifecycle(o2: Any, manager: Any, mock_dms: Any, run_tasks: Any) -> None:
    created = upload(o2, manager, chart("netweave-demo"))
    assert created.status_code == 201, created.content
    descriptor = json_of(created)
    assert descriptor["name"] == "netweave-demo"
    assert created["Location"] == f"{base(manager)}/NfDeploymentDescriptor/{descriptor['id']}"
    listed = json_of(o2.get(f"{base(manager)}/NfDeploymentDescriptor?all_fields"))
    assert [d["id"] for d in listed] == [descriptor["id"]]
    assert listed[0]["inputParams"]["replicaCount"] == 1
    assert listed[0]["extensions"]["netweave.pluginInstance"] == "mock-dms"

    accepted = run_tasks(
        lambda: o2.post(
            f"{base(manager)}/NfDeployment",
            {"name": "nf-a", "descriptorId": descriptor["id"], "values": {"replicaCount": 2}},
        )
    )
    assert accepted.status_code == 202, accepted.content
    operation = json_of(accepted)
    assert operation["operation"] == "install"
    assert operation["state"] == "QUEUED"
    polled = json_of(o2.get(accepted["Location"]))
    assert polled["state"] == "SUCCEEDED", polled
    deployment_id = operation["nfDeploymentId"]
    item = f"{base(manager)}/NfDeployment/{deployment_id}"
    nf = json_of(o2.get(f"{item}?all_fields"))
    assert nf["status"] == 3
    assert nf["descriptorId"] == descriptor["id"]
    assert nf["extensions"]["netweave.revision"] == 1
    assert nf["extensions"]["netweave.values"] == {"replicaCount": 2}
    assert nf["extensions"]["mock.release"] == nf["extensions"]["netweave.nativeId"]  # the plugin's own, carried

    assert (
        run_tasks(lambda: o2.put(item, {"values": {"replicaCount": 2, "service": {"port": 8080}}})).status_code == 202
    )
    assert json_of(o2.get(f"{item}/status"))["revision"] == 2

    assert run_tasks(lambda: o2.post(f"{item}/scale", {"replicas": 4})).status_code == 202
    nf = json_of(o2.get(f"{item}?all_fields"))
    assert nf["extensions"]["netweave.values"] == {"replicaCount": 4, "service": {"port": 8080}}

    assert run_tasks(lambda: o2.post(f"{item}/rollback", {"revision": 1})).status_code == 202
    nf = json_of(o2.get(f"{item}?all_fields"))
    assert nf["extensions"]["netweave.values"] == {"replicaCount": 2}
    assert nf["extensions"]["netweave.revision"] == 4

    history = json_of(o2.get(f"{item}/history"))
    assert [h["revision"] for h in history] == [1, 2, 3, 4]
    assert history[-1]["status"] == "deployed"
    assert history[0]["descriptorId"] == descriptor["id"]
    logs = o2.get(f"{item}/logs?tailLines=3")
    assert logs["Content-Type"].startswith("text/plain")
    assert b"Rollback" in logs.content

    deleted = run_tasks(lambda: o2.delete(item))
    assert deleted.status_code == 202
    assert json_of(o2.get(deleted["Location"]))["state"] == "SUCCEEDED"
    assert o2.get(item).status_code == 404
    assert not Deployment.objects.exists()

    operations = json_of(o2.get(f"{base(manager)}/operations?filter=(eq,nfDeploymentId,{deployment_id})"))
    operations.sort(key=lambda op: op["createdTime"])
    assert [(op["operation"], op["state"]) for op in operations] == [
        ("install", "SUCCEEDED"),
        ("upgrade", "SUCCEEDED"),
        ("scale", "SUCCEEDED"),
        ("rollback", "SUCCEEDED"),
        ("delete", "SUCCEEDED"),
    ]
    log = ChangeLogEntry.objects.filter(object_id=deployment_id).order_by("id")
    actions = [entry.action for entry in log]
    assert actions[0] == "create"
    assert actions[-1] == "delete"
    assert "modify" in actions
    assert {e.object_type for e in ChangeLogEntry.objects.filter(object_type__startswith="NfDeployment")} == {
        "NfDeploymentDescriptor",
        "NfDeployment",
        "NfDeploymentOperation",
    }
    assert log.first().source == "api"

    assert o2.delete(f"{base(manager)}/NfDeploymentDescriptor/{descriptor['id']}").status_code == 204
    assert not DeploymentPackage.objects.exists()


def test_multipart_upload_and_sol013_queries(
    o2: Any, manager: Any, mock_dms: Any, django_assert_max_num_queries: Any
) -> None:
    body = encode_multipart(
        BOUNDARY, {"chart": SimpleUploadedFile("demo.tgz", chart("netweave-demo")), "description": "multipart"}
    )
    created = o2.post(
        f"{base(manager)}/NfDeploymentDescriptor", body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )
    assert created.status_code == 201, created.content
    assert json_of(created)["description"] == "multipart"
    # At most: the API credential, the deployment manager, then one page.
    with django_assert_max_num_queries(3):
        found = o2.get(f"{base(manager)}/NfDeploymentDescriptor?filter=(eq,name,netweave-demo)&fields=extensions")
    assert len(json_of(found)) == 1
    assert "extensions" in json_of(found)[0]
    assert json_of(o2.get(f"{base(manager)}/NfDeploymentDescriptor?filter=(eq,name,other)")) == []
    bad = o2.get(f"{base(manager)}/NfDeploymentDescriptor?filter=(eq,nosuch,1)")
    assert bad.status_code == 400
    assert o2.get(f"{base(manager)}/NfDeployment?filter=(eq,status,3)").status_code == 200
    with django_assert_max_num_queries(3):
        assert o2.get(f"{base(manager)}/operations").status_code == 200


def test_bad_input_is_4xx_and_changes_nothing(o2: Any, manager: Any, mock_dms: Any, run_tasks: Any) -> None:
    before = ChangeLogEntry.objects.count()
    corrupt = upload(o2, manager, b"\x1f\x8b this is not a chart")
    assert corrupt.status_code == 400
    assert json_of(corrupt)["additionalAttributes"]["field"] == "chart"
    traversal = upload(
        o2, manager, archive({"Chart.yaml": "apiVersion: v2\nname: x\nversion: 1\n", "../../etc/x": "x"}, "x")
    )
    assert traversal.status_code == 400
    assert "leaving" in json_of(traversal)["detail"]
    no_chart = upload(o2, manager, archive({"values.yaml": "a: 1\n"}, "x"))
    assert no_chart.status_code == 400
    assert "Chart.yaml" in json_of(no_chart)["detail"]
    assert o2.post(f"{base(manager)}/NfDeploymentDescriptor", b"x", content_type="text/plain").status_code == 415
    unknown_dm = f"/o2dms/v1/{uuid.uuid4()}/O2dms_DeploymentLifecycle/NfDeploymentDescriptor"
    assert o2.post(unknown_dm, chart("netweave-demo"), content_type=GZIP).status_code == 404
    assert o2.get(unknown_dm).status_code == 404
    assert not DeploymentPackage.objects.exists()
    assert ChangeLogEntry.objects.count() == before

    descriptor = json_of(upload(o2, manager, chart("netweave-demo")))
    assert upload(o2, manager, chart("netweave-demo")).status_code == 409
    deploy = f"{base(manager)}/NfDeployment"
    unknown = f"/o2dms/v1/{uuid.uuid4()}/O2dms_DeploymentLifecycle/NfDeployment"
    assert o2.post(unknown, {"name": "x", "descriptorId": descriptor["id"]}).status_code == 404
    bad_name = o2.post(deploy, {"name": "Not_A_Name", "descriptorId": descriptor["id"]})
    assert bad_name.status_code == 400
    assert json_of(bad_name)["additionalAttributes"]["field"] == "name"
    no_descriptor = o2.post(deploy, {"name": "x", "descriptorId": str(uuid.uuid4())})
    assert json_of(no_descriptor)["additionalAttributes"]["field"] == "descriptorId"
    bad_values = o2.post(deploy, {"name": "x", "descriptorId": descriptor["id"], "values": {"replicaCount": "two"}})
    assert bad_values.status_code == 400
    assert json_of(bad_values)["additionalAttributes"]["field"] == "values.replicaCount"
    unknown_field = o2.post(deploy, {"name": "x", "descriptorId": descriptor["id"], "replicas": 2})
    assert unknown_field.status_code == 400
    assert not Deployment.objects.exists()
    assert not LifecycleOperation.objects.exists()

    accepted = run_tasks(lambda: o2.post(deploy, {"name": "nf-b", "descriptorId": descriptor["id"]}))
    item = f"{deploy}/{json_of(accepted)['nfDeploymentId']}"
    assert o2.post(deploy, {"name": "nf-b", "descriptorId": descriptor["id"]}).status_code == 409
    missing = o2.post(f"{item}/rollback", {"revision": 7})
    assert missing.status_code == 400
    assert json_of(missing)["additionalAttributes"]["field"] == "revision"
    assert o2.post(f"{item}/scale", {"replicas": -1}).status_code == 400
    assert o2.put(item, {"name": "renamed"}).status_code == 400
    assert o2.get(f"{item}/logs?tailLines=0").status_code == 204  # no lines asked for
    assert o2.get(f"{item}/logs?tailLines=-1").status_code == 400
    assert o2.get(f"{item}/logs?tailLines=10001").status_code == 400
    in_use = o2.delete(f"{base(manager)}/NfDeploymentDescriptor/{descriptor['id']}")
    assert in_use.status_code == 409
    assert LifecycleOperation.objects.count() == 1


def test_operation_follows_simulated_progress(o2: Any, manager: Any, mock_dms: Any, run_tasks: Any) -> None:
    """With progress taking time, the task reports each state the engine goes through."""
    mock_dms.config["progressSeconds"] = 0.3
    mock_dms.save()
    descriptor = json_of(upload(o2, manager, chart("netweave-demo")))
    accepted = run_tasks(
        lambda: o2.post(f"{base(manager)}/NfDeployment", {"name": "slow", "descriptorId": descriptor["id"]})
    )
    deployment_id = json_of(accepted)["nfDeploymentId"]
    statuses = [
        entry.post_state["status"]
        for entry in ChangeLogEntry.objects.filter(object_id=deployment_id, object_type="NfDeployment").order_by("id")
    ]
    assert statuses[0] == 0  # created, queued
    assert 2 in statuses  # installing, as the engine reported
    assert statuses[-1] == 3  # installed


def test_no_dms_instance_is_a_clear_error(o2: Any, manager: Any) -> None:
    response = upload(o2, manager, chart("netweave-demo"))
    assert response.status_code == 503
    assert "package type 'helm-chart'" in json_of(response)["detail"]


def test_a_redelivered_operation_is_not_repeated(o2: Any, manager: Any, mock_dms: Any, run_tasks: Any) -> None:
    """A worker died mid-operation and the broker hands the task out again: the action is not done twice."""
    from deployments.lifecycle import run_operation

    descriptor = json_of(upload(o2, manager, chart("netweave-demo")))
    accepted = run_tasks(
        lambda: o2.post(f"{base(manager)}/NfDeployment", {"name": "nf-r", "descriptorId": descriptor["id"]})
    )
    item = f"{base(manager)}/NfDeployment/{json_of(accepted)['nfDeploymentId']}"
    scale = o2.post(f"{item}/scale", {"replicas": 3})  # queued, but its worker "dies" before finishing
    LifecycleOperation.objects.filter(id=json_of(scale)["operationId"]).update(state="RUNNING")
    assert run_operation(json_of(scale)["operationId"]) == "failed"
    operation = json_of(o2.get(scale["Location"]))
    assert operation["state"] == "FAILED"
    assert "interrupted" in operation["error"]
    assert json_of(o2.get(f"{item}/status"))["revision"] == 1  # the scale was not carried out behind our back
    assert json_of(o2.get(item))["status"] == 3

    delete = o2.delete(item)
    LifecycleOperation.objects.filter(id=json_of(delete)["operationId"]).update(state="RUNNING")
    assert run_operation(json_of(delete)["operationId"]) == "failed"  # the backend still has it
    assert Deployment.objects.filter(name="nf-r").exists()
    assert run_tasks(lambda: o2.delete(item)).status_code == 202  # the SMO retries
    assert not Deployment.objects.filter(name="nf-r").exists()


def test_refresh_records_changes_made_outside_netweave(o2: Any, manager: Any, mock_dms: Any, run_tasks: Any) -> None:
    from deployments.tasks import refresh_deployments
    from plugins.registry import get_plugin

    descriptor = json_of(upload(o2, manager, chart("netweave-demo")))
    first = run_tasks(
        lambda: o2.post(f"{base(manager)}/NfDeployment", {"name": "nf-1", "descriptorId": descriptor["id"]})
    )
    second = run_tasks(
        lambda: o2.post(f"{base(manager)}/NfDeployment", {"name": "nf-2", "descriptorId": descriptor["id"]})
    )
    engine = get_plugin(mock_dms)
    engine.scale_deployment("default/nf-1", 7)  # behind netweave's back
    engine.delete_deployment("default/nf-2")
    assert (
        refresh_deployments() == "healthy backends 1, unhealthy backends 0, checked 2, changed 1, gone 1, unreachable 0"
    )
    nf1 = json_of(o2.get(f"{base(manager)}/NfDeployment/{json_of(first)['nfDeploymentId']}?all_fields"))
    assert nf1["extensions"]["netweave.values"] == {"replicaCount": 7}
    assert nf1["extensions"]["netweave.revision"] == 2
    nf2_id = json_of(second)["nfDeploymentId"]
    assert json_of(o2.get(f"{base(manager)}/NfDeployment/{nf2_id}"))["status"] == 1
    last = ChangeLogEntry.objects.filter(object_id=nf2_id).order_by("-id").first()
    assert last.source == "sync"
    assert last.post_state["status"] == 1
    assert (
        refresh_deployments() == "healthy backends 1, unhealthy backends 0, checked 2, changed 0, gone 0, unreachable 0"
    )


def test_o2dms_changes_are_not_sent_as_inventory_notifications(
    o2: Any, manager: Any, mock_dms: Any, run_tasks: Any
) -> None:
    """O2ims subscribers receive O2ims objects only; O2dms changes stay in the change log (docs/decisions/0005)."""
    from inventory.models import Notification, Subscription

    Subscription.objects.create(callback="https://smo.example.com/notify")
    descriptor = json_of(upload(o2, manager, chart("netweave-demo")))
    run_tasks(lambda: o2.post(f"{base(manager)}/NfDeployment", {"name": "nf-n", "descriptorId": descriptor["id"]}))
    assert ChangeLogEntry.objects.filter(object_type="NfDeployment").exists()
    assert not Notification.objects.exists()


def test_a_lost_task_is_requeued_by_the_sweeper(
    o2: Any, manager: Any, mock_dms: Any, run_tasks: Any, monkeypatch: Any, settings: Any
) -> None:
    """The broker is down when the deploy is accepted: the API still answers 202, the operation waits QUEUED,
    and the periodic sweeper queues it again once it is older than NETWEAVE_DMS_REQUEUE_AFTER."""
    from kombu.exceptions import OperationalError

    from deployments.tasks import requeue_stalled_operations, run_lifecycle_operation

    descriptor = json_of(upload(o2, manager, chart("netweave-demo")))

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with monkeypatch.context() as patch:
        patch.setattr(run_lifecycle_operation, "delay", broker_down)
        accepted = run_tasks(
            lambda: o2.post(f"{base(manager)}/NfDeployment", {"name": "nf-lost", "descriptorId": descriptor["id"]})
        )
    assert accepted.status_code == 202, accepted.content
    assert json_of(o2.get(accepted["Location"]))["state"] == "QUEUED"

    settings.NETWEAVE_DMS_REQUEUE_AFTER = 3600
    run_tasks(requeue_stalled_operations.delay)
    assert json_of(o2.get(accepted["Location"]))["state"] == "QUEUED"  # too young to be called lost

    settings.NETWEAVE_DMS_REQUEUE_AFTER = 0
    run_tasks(requeue_stalled_operations.delay)
    assert json_of(o2.get(accepted["Location"]))["state"] == "SUCCEEDED"
    assert json_of(o2.get(f"{base(manager)}/NfDeployment/{json_of(accepted)['nfDeploymentId']}"))["status"] == 3


def test_a_second_task_for_a_running_operation_leaves_it_alone(
    o2: Any, manager: Any, mock_dms: Any, run_tasks: Any
) -> None:
    """The sweeper re-queued an operation whose first task was only slow: the copy finds it started by another
    task and does nothing; a redelivery of the task that started it settles it (test above)."""
    from deployments.lifecycle import run_operation

    descriptor = json_of(upload(o2, manager, chart("netweave-demo")))
    accepted = o2.post(f"{base(manager)}/NfDeployment", {"name": "nf-slow", "descriptorId": descriptor["id"]})
    operation_id = json_of(accepted)["operationId"]
    LifecycleOperation.objects.filter(id=operation_id).update(state="RUNNING", task_id="first-task")
    assert run_operation(operation_id, task_id="sweeper-copy") == "skipped"
    assert json_of(o2.get(accepted["Location"]))["state"] == "RUNNING"
    assert run_operation(operation_id, task_id="first-task") == "failed"  # redelivered after its worker died
    assert "interrupted" in json_of(o2.get(accepted["Location"]))["error"]


def test_logs_since_seconds(o2: Any, manager: Any, mock_dms: Any, run_tasks: Any) -> None:
    """sinceSeconds keeps the lines of the last N seconds: the engine's events, moved two hours back, are out of
    a one-hour window and inside a three-hour one."""
    import sqlite3

    descriptor = json_of(upload(o2, manager, chart("netweave-demo")))
    accepted = run_tasks(
        lambda: o2.post(f"{base(manager)}/NfDeployment", {"name": "nf-since", "descriptorId": descriptor["id"]})
    )
    item = f"{base(manager)}/NfDeployment/{json_of(accepted)['nfDeploymentId']}"
    assert o2.get(f"{item}/logs?sinceSeconds=3600").content
    with sqlite3.connect(mock_dms.config["stateFile"]) as conn:
        conn.execute("UPDATE events SET at = at - 7200")
    assert o2.get(f"{item}/logs?sinceSeconds=3600").status_code == 204
    assert o2.get(f"{item}/logs?sinceSeconds=10800").content == o2.get(f"{item}/logs").content != b""
    problem = json_of(o2.get(f"{item}/logs?sinceSeconds=soon"))
    assert problem["additionalAttributes"] == {"parameter": "sinceSeconds"}


def test_collections_use_a_fixed_number_of_queries(
    o2: Any, manager: Any, mock_dms: Any, run_tasks: Any, django_assert_max_num_queries: Any
) -> None:
    """Each O2dms collection costs the same few queries whatever its length (manager lookup, rows, paging)."""
    descriptor = json_of(upload(o2, manager, chart("netweave-demo")))
    for n in range(4):
        run_tasks(
            lambda n=n: o2.post(f"{base(manager)}/NfDeployment", {"name": f"nf-q{n}", "descriptorId": descriptor["id"]})
        )
    for collection, length in (("NfDeploymentDescriptor", 1), ("NfDeployment", 4), ("operations", 4)):
        with django_assert_max_num_queries(4):
            assert len(json_of(o2.get(f"{base(manager)}/{collection}?all_fields"))) == length

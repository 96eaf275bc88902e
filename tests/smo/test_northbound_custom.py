"""The SMO northbound machinery end to end with the custom SMO plugin and a real HTTP receiver: full sync on the
first step, incremental pushes and events after an inventory change through the O2 write API, HMAC signatures
checked by the receiver, back-off on failure, and nothing lost or uncounted across an interrupted push."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from inventory.models import AlarmDictionary, Location, OCloudSite, Resource, ResourcePool, ResourceType
from plugins.registry import get_plugin
from smo import northbound
from smo.models import NorthboundCursor, ObjectMapping, OutboundEvent
from tests.o2client import json_of

pytestmark = pytest.mark.django_db
EXT = "/netweave-ims-ext/v1/resourcePools"


def inventory_posts(receiver: Any) -> list[dict[str, Any]]:
    return [r.json() for r in receiver.received if r.path == "/inventory"]


def event_posts(receiver: Any) -> list[dict[str, Any]]:
    return [e for r in receiver.received if r.path == "/events" for e in r.json()["events"]]


def test_full_sync_then_incremental_push_and_events(o2, synced_mock, receiver, make_custom_smo) -> None:
    instance = make_custom_smo(batchSize=25)
    result = northbound.step(instance)
    assert result.full_sync, result.errors
    assert not result.errors, result.errors
    bodies = inventory_posts(receiver)
    objects = [o for body in bodies for o in body["objects"]]
    expected = ResourceType.objects.count() + ResourcePool.objects.count() + Resource.objects.count()
    expected += Location.objects.count() + OCloudSite.objects.count() + AlarmDictionary.objects.count()
    assert len({o["objectId"] for o in objects}) >= expected
    assert {"LocationInfo", "OCloudSiteInfo", "AlarmDictionaryInfo"} <= {o["objectType"] for o in objects}
    assert all(body["complete"] for body in bodies)
    assert bodies[-1]["batch"] == bodies[-1]["batches"]
    assert max(len(body["objects"]) for body in bodies) <= 25
    assert receiver.rejected == 0  # every request carried a valid HMAC signature
    cursor = NorthboundCursor.objects.get(instance=instance)
    assert cursor.last_full_sync is not None
    assert not cursor.full_sync_requested
    assert northbound.lag(cursor) == 0
    assert ObjectMapping.objects.filter(instance=instance).count() == len({o["objectId"] for o in objects})
    receiver.received.clear()

    created = o2.post(EXT, {"name": "far-edge-9", "location": "Porto"})
    assert created.status_code == 201
    pool_id = json_of(created)["resourcePoolId"]
    northbound.step(instance)
    [body] = inventory_posts(receiver)
    assert not body["complete"]
    assert [o["objectId"] for o in body["objects"]] == [pool_id]
    assert body["objects"][0]["state"]["name"] == "far-edge-9"
    [event] = event_posts(receiver)
    assert (event["eventType"], event["objectType"], event["objectId"]) == ("create", "ResourcePoolInfo", pool_id)
    assert event["postObjectState"]["name"] == "far-edge-9"
    receiver.received.clear()

    assert o2.delete(f"{EXT}/{pool_id}").status_code == 204
    northbound.step(instance)
    [body] = inventory_posts(receiver)
    assert body["removed"] == [{"objectType": "ResourcePoolInfo", "objectId": pool_id}]
    assert [e["eventType"] for e in event_posts(receiver)] == ["delete"]
    assert not ObjectMapping.objects.filter(instance=instance, object_id=pool_id).exists()
    cursor.refresh_from_db()
    assert (cursor.events_published, cursor.duplicates, cursor.errors) == (2, 0, 0)
    assert cursor.objects_deleted == 1


def test_wrong_signature_is_refused_and_backs_off(synced_mock, receiver, make_custom_smo) -> None:
    instance = make_custom_smo()
    receiver.hmac_key = "another-key"
    result = northbound.step(instance)
    assert result.errors
    assert "HTTP 401" in result.errors[0]
    cursor = NorthboundCursor.objects.get(instance=instance)
    assert cursor.full_sync_requested
    assert cursor.attempts == 1
    assert cursor.next_attempt > timezone.now()
    assert "HTTP 401" in cursor.last_error
    assert "smo-shared-hmac-key" not in cursor.last_error
    assert receiver.rejected >= 1
    assert not receiver.received
    # Backing off: the next step does not call the SMO before next_attempt.
    rejected = receiver.rejected
    northbound.step(instance)
    assert receiver.rejected == rejected
    receiver.hmac_key = "smo-shared-hmac-key"
    NorthboundCursor.objects.filter(pk=cursor.pk).update(next_attempt=timezone.now() - dt.timedelta(seconds=1))
    assert not northbound.step(instance).errors
    cursor.refresh_from_db()
    assert (cursor.attempts, cursor.last_error, cursor.errors) == (0, "", 1)


def test_interrupted_push_is_pushed_again_and_counted(o2, synced_mock, receiver, make_custom_smo, monkeypatch) -> None:
    """A worker killed after the SMO got a push but before the cursor moved: the next worker (once the lease
    expired) pushes the same change again and counts it; the event id is the same, so the SMO can de-duplicate."""
    instance = make_custom_smo()
    northbound.step(instance)
    receiver.received.clear()
    created = o2.post(EXT, {"name": "edge-kill", "location": "Faro"})
    pool_id = json_of(created)["resourcePoolId"]

    plugin = get_plugin(instance)
    real_sync, real_publish = plugin.sync_infrastructure_inventory, plugin.publish_events

    def sync_then_die(inventory: Any) -> None:
        real_sync(inventory)
        raise SystemExit("worker killed")

    def publish_then_die(events: Any) -> None:
        real_publish(events)
        raise SystemExit("worker killed")

    def expire_lease() -> None:
        NorthboundCursor.objects.update(lease_until=timezone.now() - dt.timedelta(seconds=1))

    # Killed after the inventory push reached the SMO.
    with monkeypatch.context() as m:
        m.setattr(plugin, "sync_infrastructure_inventory", sync_then_die)
        m.setattr(northbound, "_release", lambda cursor: None)  # SIGKILL: no clean-up runs
        with pytest.raises(SystemExit):
            northbound.step(instance)
    assert len(inventory_posts(receiver)) == 1
    cursor = NorthboundCursor.objects.get(instance=instance)
    assert cursor.inflight_upto is not None  # the dead worker's claim
    assert cursor.lease_until is not None
    assert not northbound.step(instance).leased  # the claim still holds
    expire_lease()

    # The next worker pushes the same change again, then is killed after publishing the event.
    with monkeypatch.context() as m:
        m.setattr(plugin, "publish_events", publish_then_die)
        m.setattr(northbound, "_release", lambda cursor: None)
        with pytest.raises(SystemExit):
            northbound.step(instance)
    first, second = inventory_posts(receiver)
    assert first["objects"] == second["objects"]
    assert [o["objectId"] for o in first["objects"]] == [pool_id]
    expire_lease()
    assert not northbound.step(instance).errors

    events = event_posts(receiver)
    assert len(events) == 2
    assert events[0]["eventId"] == events[1]["eventId"]
    cursor.refresh_from_db()
    assert cursor.duplicates == 2
    assert cursor.inflight_upto is None
    assert northbound.lag(cursor) == 0
    assert not OutboundEvent.objects.filter(instance=instance, status="pending").exists()


def test_events_keep_flowing_while_inventory_fails(o2, synced_mock, receiver, make_custom_smo, monkeypatch) -> None:
    instance = make_custom_smo()
    northbound.step(instance)
    receiver.received.clear()
    plugin = get_plugin(instance)
    from plugins.sdk.errors import BackendUnavailable

    def down(inventory: Any) -> None:
        raise BackendUnavailable("inventory endpoint down")

    monkeypatch.setattr(plugin, "sync_infrastructure_inventory", down)
    o2.post(EXT, {"name": "edge-a", "location": "Braga"})
    result = northbound.step(instance)
    assert result.errors == ["inventory: inventory endpoint down"]
    assert [e["postObjectState"]["name"] for e in event_posts(receiver)] == ["edge-a"]
    cursor = NorthboundCursor.objects.get(instance=instance)
    assert northbound.lag(cursor) >= 1
    assert cursor.inflight_upto is not None


def test_northbound_routing_rules_choose_the_instances(synced_mock, receiver, make_custom_smo, run_tasks) -> None:
    """With SMO routing rules of mode northbound, only the instances they name get the push (plugins.yaml
    routing.smo.rules); without any, every enabled SMO instance does."""
    from plugins.models import RoutingRule
    from smo.tasks import sweep

    chosen = make_custom_smo("chosen")
    other = make_custom_smo("other", default=False, secrets={"hmacSecret": "smo-shared-hmac-key"})
    assert set(northbound.northbound_instances()) == {chosen, other}
    RoutingRule.objects.create(name="nb", category="smo", plugin_instance=chosen, mode="northbound")
    run_tasks(sweep.delay)
    assert NorthboundCursor.objects.get(instance=chosen).last_full_sync is not None
    assert NorthboundCursor.objects.get(instance=other).last_full_sync is None

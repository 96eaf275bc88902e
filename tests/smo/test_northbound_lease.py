"""The northbound lease: one worker per SMO instance. Only the holder renews or gives it back; a step renews it
while it runs (a full sync to a distant A&AI can outlast the 120 s term), and a step whose lease was taken by
another worker commits nothing of its push, so the new holder's accounting stays whole."""

from __future__ import annotations

import datetime as dt
import os
import time
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from plugins.registry import get_plugin
from smo import northbound
from smo.models import NorthboundCursor, ObjectMapping

pytestmark = pytest.mark.django_db


def expire(cursor: NorthboundCursor) -> None:
    NorthboundCursor.objects.filter(pk=cursor.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))


def test_only_the_holder_renews_or_gives_back_the_lease(make_custom_smo) -> None:
    instance = make_custom_smo()
    first = northbound.cursor_for(instance)
    second = NorthboundCursor.objects.get(pk=first.pk)

    assert northbound._acquire(first)
    assert first.lease_owner.split(":")[1] == str(os.getpid())  # host:pid:tag, shown in the admin
    assert not northbound._acquire(second)
    assert not northbound._renew(second)
    northbound._release(second)
    assert NorthboundCursor.objects.get(pk=first.pk).lease_owner == first.lease_owner  # not second's to give

    expire(first)
    assert northbound._acquire(second)
    assert second.lease_owner != first.lease_owner
    assert not northbound._renew(first)
    northbound._release(first)
    held = NorthboundCursor.objects.get(pk=first.pk)
    assert (held.lease_owner, held.lease_until is not None) == (second.lease_owner, True)

    assert northbound._renew(second)
    northbound._release(second)
    free = NorthboundCursor.objects.get(pk=first.pk)
    assert (free.lease_owner, free.lease_until) == ("", None)


def test_a_step_that_lost_its_lease_commits_nothing_and_leaves_the_new_holder_alone(
    synced_mock, receiver, make_custom_smo, monkeypatch
) -> None:
    """The lease expired while the SMO was slow and another worker took it: the first worker's push reached the
    SMO, but its mapping and position are not stored and it does not release the other's lease. The new holder
    pushes the same inventory again and counts it as duplicates."""
    instance = make_custom_smo()
    plugin = get_plugin(instance)
    real_sync = plugin.sync_infrastructure_inventory
    taken_by = "other-host:4242:0badc0de"

    def slow_sync(inventory: Any) -> Any:
        synced = real_sync(inventory)
        NorthboundCursor.objects.filter(instance=instance).update(
            lease_owner=taken_by, lease_until=timezone.now() + dt.timedelta(seconds=60)
        )
        return synced

    monkeypatch.setattr(plugin, "sync_infrastructure_inventory", slow_sync)
    result = northbound.step(instance)
    assert [e.split(":")[0] for e in result.errors] == ["lease lost"], result.errors
    cursor = NorthboundCursor.objects.get(instance=instance)
    assert (cursor.lease_owner, cursor.position, cursor.full_sync_requested) == (taken_by, 0, True)
    assert cursor.inflight_upto is not None  # the new holder pushes it again
    assert cursor.inflight_count > 0
    assert (cursor.attempts, cursor.last_error) == (0, "")  # not an SMO failure: no back-off
    assert not ObjectMapping.objects.filter(instance=instance).exists()
    assert not northbound.step(instance).leased

    monkeypatch.undo()
    expire(cursor)
    assert not northbound.step(instance).errors
    cursor.refresh_from_db()
    assert cursor.position > 0
    assert (cursor.full_sync_requested, cursor.inflight_upto) == (False, None)
    assert cursor.duplicates == cursor.objects_pushed  # everything went twice, and is counted
    assert ObjectMapping.objects.filter(instance=instance).exists()
    assert (cursor.lease_owner, cursor.lease_until) == ("", None)


@pytest.mark.django_db(transaction=True)
def test_a_step_longer_than_its_lease_keeps_it(
    transactional_db, settings, synced_mock, receiver, make_custom_smo, monkeypatch
) -> None:
    """A push outlasting the lease term: the heartbeat renews the lease, so a second worker finds it taken after
    the first term has run out, and the push completes as one."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "the heartbeat writes from a second connection: on the in-memory shared-cache SQLite test database that "
            "fails with 'table is locked' instead of waiting (production SQLite is a WAL file with a busy timeout)"
        )
    settings.NETWEAVE_SMO_LEASE_SECONDS = 1.5
    instance = make_custom_smo()
    plugin = get_plugin(instance)
    real_sync = plugin.sync_infrastructure_inventory
    seen: dict[str, Any] = {}

    def outlasting_sync(inventory: Any) -> Any:
        first_term = NorthboundCursor.objects.get(instance=instance).lease_until
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # until the first term has run out and the lease is still held
            until = NorthboundCursor.objects.get(instance=instance).lease_until
            if timezone.now() > first_term and until > timezone.now():
                break
            time.sleep(0.05)
        seen["second worker leased"] = northbound.step(instance).leased
        return real_sync(inventory)

    monkeypatch.setattr(plugin, "sync_infrastructure_inventory", outlasting_sync)
    result = northbound.step(instance)
    assert not result.errors, result.errors
    assert result.full_sync
    assert seen == {"second worker leased": False}
    cursor = NorthboundCursor.objects.get(instance=instance)
    assert (cursor.duplicates, cursor.lease_owner, cursor.lease_until) == (0, "", None)

"""sync/reconcile against the mock backend: stable ids, hash skip, modify and delete detection, change log."""

from __future__ import annotations

import pytest

from inventory import identity
from inventory.models import (
    AlarmDictionary,
    ChangeLogEntry,
    DeploymentManager,
    Location,
    OCloudSite,
    Resource,
    ResourcePool,
    ResourceType,
)
from inventory.sync import ReconcileError, apply_changes, reconcile, retire_instance, sync_instance
from plugins.registry import get_plugin
from plugins.sdk import ims as sdk

pytestmark = pytest.mark.django_db


def _ids() -> set[str]:
    ids: set[str] = set()
    for model in (Resource, ResourcePool, ResourceType, DeploymentManager, Location, OCloudSite, AlarmDictionary):
        ids.update(str(i) for i in model.objects.values_list("id", flat=True))
    return ids


def test_first_sync_creates_everything_with_one_log_row_each(make_mock_instance) -> None:
    instance = make_mock_instance(resources=40)
    result = sync_instance(instance)
    total = Resource.objects.count() + ResourcePool.objects.count()
    total += ResourceType.objects.count() + DeploymentManager.objects.count()
    total += Location.objects.count() + OCloudSite.objects.count() + AlarmDictionary.objects.count()
    assert Resource.objects.count() >= 40
    assert result.counts["resource"].created == Resource.objects.count()
    creates = ChangeLogEntry.objects.filter(action="create", source="sync")
    assert creates.count() == total
    entry = creates.filter(object_type="ResourceInfo").first()
    assert entry.prior_state is None
    assert entry.post_state["resourceId"] == str(entry.object_id)
    assert entry.plugin_instance_name == instance.name


def test_ids_are_deterministic_and_a_no_change_resync_writes_nothing(make_mock_instance) -> None:
    instance = make_mock_instance()
    sync_instance(instance)
    first = _ids()
    rows_before = ChangeLogEntry.objects.count()
    result = sync_instance(instance)
    assert _ids() == first
    assert result.changed == 0
    assert ChangeLogEntry.objects.count() == rows_before
    pool = ResourcePool.objects.first()
    assert pool.id == identity.object_uuid(instance.pk, identity.RESOURCE_POOL, pool.native_id)


def test_backend_changes_become_modify_and_delete_entries(make_mock_instance) -> None:
    instance = make_mock_instance()
    sync_instance(instance)
    plugin = get_plugin(instance)
    victim = Resource.objects.filter(parent__isnull=True, elements__isnull=True).first()
    plugin.delete_resource(victim.native_id)
    pool = ResourcePool.objects.first()
    current = plugin.get_resource_pool(pool.native_id)
    plugin.update_resource_pool(pool.native_id, sdk.ResourcePool(**{**current.__dict__, "description": "renamed"}))

    result = sync_instance(instance)

    assert result.counts["resource"].deleted == 1
    assert result.counts["resourcePool"].modified == 1
    deleted = ChangeLogEntry.objects.get(action="delete", object_id=victim.id)
    assert deleted.prior_state["resourceId"] == str(victim.id)
    assert deleted.post_state is None
    modified = ChangeLogEntry.objects.get(action="modify", object_id=pool.id)
    assert modified.prior_state["description"] != "renamed"
    assert modified.post_state["description"] == "renamed"


def test_unknown_references_are_rejected_without_partial_writes(make_mock_instance) -> None:
    instance = make_mock_instance()
    bad = sdk.Inventory(
        deployment_managers=[],
        resource_pools=[sdk.ResourcePool(native_id="p1", name="p1")],
        resource_types=[],
        resources=[sdk.Resource(native_id="r1", resource_type_id="nope", resource_pool_id="p1")],
    )
    with pytest.raises(ReconcileError, match="unknown resourceType 'nope'"):
        reconcile(instance, bad)
    assert not ResourcePool.objects.exists()
    assert not ChangeLogEntry.objects.exclude(object_type="PluginInstance").exists()  # only the config entry


def test_partial_apply_and_retire(make_mock_instance) -> None:
    instance = make_mock_instance()
    sync_instance(instance)
    pool = ResourcePool.objects.first()
    result = apply_changes(
        instance, upserts={identity.RESOURCE_POOL: [sdk.ResourcePool(native_id=pool.native_id, name="x")]}
    )
    assert result.counts["resourcePool"].modified == 1
    assert ResourcePool.objects.count() > 1  # a partial apply deletes nothing else

    objects = len(_ids())
    retire_instance(instance)
    assert _ids() == set()
    assert ChangeLogEntry.objects.filter(action="delete").count() == objects

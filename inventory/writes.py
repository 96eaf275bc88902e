"""IMS writes through plugins (the seed's IMS create/update/delete), as netweave's API extension uses them.

Each write: pick the plugin instance (routing rules for new pools; the owner for everything that exists),
let the plugin act on its backend, then reconcile the result at once so the database, the change log and
(through it) notifications reflect the change before the API answers. If the backend acted but the database
write failed, the next sync repairs the difference.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from inventory import identity, specs
from inventory.models import Resource, ResourcePool, ResourceType
from inventory.sync import apply_changes
from netweave.o2.problems import BadRequest, O2Problem
from plugins.models import PluginInstance
from plugins.sdk import ims as sdk
from plugins.sdk.base import PluginCategory
from plugins.sdk.errors import NotSupported


def _ims_plugin(instance: PluginInstance) -> sdk.IMSPlugin:
    from plugins.registry import get_plugin

    if not instance.enabled:
        raise O2Problem(409, f"Plugin instance '{instance.name}' is disabled.")
    plugin = get_plugin(instance)
    if not isinstance(plugin, sdk.IMSPlugin):
        raise O2Problem(409, f"Plugin instance '{instance.name}' is not an IMS plugin.")
    return plugin


def _choose_instance(data: Mapping[str, Any]) -> PluginInstance:
    from plugins.routing import NoRoute, route

    explicit = data.get("pluginInstance")
    if explicit:
        instance = PluginInstance.objects.filter(name=explicit, category=PluginCategory.IMS).first()
        if instance is None:
            raise BadRequest(f"No IMS plugin instance named '{explicit}'.", field="pluginInstance")
        return instance
    try:
        return route(
            PluginCategory.IMS, match_type=data.get("resourceType", "*"), labels=data.get("labels", {})
        ).instance
    except NoRoute as exc:
        raise O2Problem(422, str(exc), title="No plugin instance for this request") from exc


def _pool_row(pool_id: uuid.UUID) -> ResourcePool:
    pool = ResourcePool.objects.select_related("plugin_instance").filter(id=pool_id).first()
    if pool is None:
        raise O2Problem(404, f"No resource pool with id '{pool_id}'.")
    return pool


def _rendered(model: Any, spec: Any, object_id: uuid.UUID) -> dict[str, Any]:
    return spec.render(model.objects.filter(id=object_id).values(*spec.columns).get())


def _pool_with_places(plugin: sdk.IMSPlugin, pool: sdk.ResourcePool) -> dict[str, list[Any]]:
    """The upserts of a written pool, with the R005 site it is placed at and that site's location: a pool created
    in (or moved to) a new availability zone names a site the last sync has not seen yet."""
    upserts: dict[str, list[Any]] = {identity.RESOURCE_POOL: [pool]}
    if not pool.site_id:
        return upserts
    try:
        sites = [site for site in plugin.list_sites() if site.native_id == pool.site_id]
        wanted = {site.global_location_id for site in sites}
        locations = [place for place in plugin.list_locations() if place.global_location_id in wanted]
    except NotSupported:
        return upserts
    return {identity.LOCATION: locations, identity.O_CLOUD_SITE: sites, **upserts}


def create_pool(data: Mapping[str, Any]) -> dict[str, Any]:
    instance = _choose_instance(data)
    plugin = _ims_plugin(instance)
    created = plugin.create_resource_pool(
        sdk.ResourcePool(
            native_id="",
            name=data["name"],
            description=data["description"],
            global_location_id=data["globalLocationId"],
            location=data["location"],
            extensions=data["extensions"],
        )
    )
    apply_changes(instance, upserts=_pool_with_places(plugin, created))
    oid = identity.object_uuid(instance.pk, identity.RESOURCE_POOL, created.native_id)
    return _rendered(ResourcePool, specs.RESOURCE_POOL, oid)


def update_pool(pool_id: uuid.UUID, data: Mapping[str, Any]) -> dict[str, Any]:
    pool = _pool_row(pool_id)
    plugin = _ims_plugin(pool.plugin_instance)
    current = plugin.get_resource_pool(pool.native_id)
    merged = sdk.ResourcePool(
        native_id=pool.native_id,
        name=data.get("name", current.name),
        description=data.get("description", current.description),
        global_location_id=data.get("globalLocationId", current.global_location_id),
        location=data.get("location", current.location),
        extensions=data.get("extensions", current.extensions),
    )
    updated = plugin.update_resource_pool(pool.native_id, merged)
    apply_changes(pool.plugin_instance, upserts=_pool_with_places(plugin, updated))
    return _rendered(ResourcePool, specs.RESOURCE_POOL, pool.id)


def delete_pool(pool_id: uuid.UUID) -> None:
    pool = _pool_row(pool_id)
    plugin = _ims_plugin(pool.plugin_instance)
    plugin.delete_resource_pool(pool.native_id)
    # A backend may keep a deleted pool's resources and move them (DTIAS releases a resource group's servers to
    # the unallocated pool): reconcile where they are now, in the same change as the pool's deletion.
    held = set(Resource.objects.filter(resource_pool_id=pool.id).values_list("native_id", flat=True))
    moved = [r for r in plugin.list_resources() if r.native_id in held] if held else []
    gone = sorted(held - {r.native_id for r in moved})
    apply_changes(
        pool.plugin_instance,
        upserts={identity.RESOURCE: moved},
        deletes={identity.RESOURCE_POOL: [pool.native_id], identity.RESOURCE: gone},
    )


def create_resource(pool_id: uuid.UUID, data: Mapping[str, Any]) -> dict[str, Any]:
    pool = _pool_row(pool_id)
    instance = pool.plugin_instance
    rtype = ResourceType.objects.filter(id=data["resourceTypeId"], plugin_instance=instance).first()
    if rtype is None:
        raise BadRequest(
            f"No resource type '{data['resourceTypeId']}' served by the pool's plugin instance '{instance.name}'.",
            field="resourceTypeId",
        )
    parent_native = None
    if data.get("parentId"):
        parent = Resource.objects.filter(id=data["parentId"], plugin_instance=instance).first()
        if parent is None:
            raise BadRequest(f"No resource '{data['parentId']}' in this plugin instance.", field="parentId")
        parent_native = parent.native_id
    plugin = _ims_plugin(instance)
    created = plugin.create_resource(
        sdk.Resource(
            native_id="",
            resource_type_id=rtype.native_id,
            resource_pool_id=pool.native_id,
            description=data["description"],
            global_asset_id=data["globalAssetId"],
            parent_id=parent_native,
            extensions=data["extensions"],
        )
    )
    upserts: dict[str, list[Any]] = {identity.RESOURCE: [created]}
    if not ResourceType.objects.filter(plugin_instance=instance, native_id=created.resource_type_id).exists():
        # The new resource has a type the last sync did not see (a VM cloned from a template has its own shape).
        upserts[identity.RESOURCE_TYPE] = [plugin.get_resource_type(created.resource_type_id)]
    apply_changes(instance, upserts=upserts)
    oid = identity.object_uuid(instance.pk, identity.RESOURCE, created.native_id)
    return _rendered(Resource, specs.RESOURCE, oid)


def delete_resource(pool_id: uuid.UUID, resource_id: uuid.UUID) -> None:
    pool = _pool_row(pool_id)
    resource = Resource.objects.filter(id=resource_id, resource_pool_id=pool.id).first()
    if resource is None:
        raise O2Problem(404, f"No resource with id '{resource_id}' in pool '{pool_id}'.")
    plugin = _ims_plugin(pool.plugin_instance)
    plugin.delete_resource(resource.native_id)
    apply_changes(pool.plugin_instance, deletes={identity.RESOURCE: [resource.native_id]})

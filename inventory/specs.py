"""The O2ims v1 inventory objects (O2-REFERENCE.md §2), declared once for rendering, filters and selectors.

Default-excluded attributes (left out unless asked for, SOL013 `exclude_default`): the free-form and
structured ones, `extensions` everywhere and `alarmDictionary` on resource types. A deployment manager's
`capabilities` and `capacity` are ordinary attributes, in the default view. docs/o2-api.md lists them.
"""

from __future__ import annotations

from netweave.o2.spec import FieldType, O2Field, ObjectSpec, uuid_field

OCLOUD = ObjectSpec(
    "CloudInfo",
    (
        uuid_field("oCloudId", "id", identifier=True),
        uuid_field("globalCloudId", "global_cloud_id"),
        # v1 SMOs read the earlier spelling too (O2-REFERENCE.md §2).
        uuid_field("globalcloudId", "global_cloud_id"),
        O2Field("name", "name"),
        O2Field("description", "description"),
        O2Field("serviceUri", "service_uri"),
        O2Field("extensions", "extensions", FieldType.OBJECT, default_excluded=True),
    ),
)

RESOURCE_TYPE = ObjectSpec(
    "ResourceTypeInfo",
    (
        uuid_field("resourceTypeId", "id", identifier=True),
        O2Field("name", "name"),
        O2Field("description", "description"),
        O2Field("vendor", "vendor"),
        O2Field("model", "model"),
        O2Field("version", "version"),
        O2Field("alarmDictionary", "alarm_dictionary", FieldType.OBJECT, default_excluded=True, nullable=True),
        O2Field("resourceKind", "resource_kind"),
        O2Field("resourceClass", "resource_class"),
        O2Field("extensions", "extensions", FieldType.OBJECT, default_excluded=True),
    ),
)

RESOURCE_POOL = ObjectSpec(
    "ResourcePoolInfo",
    (
        uuid_field("resourcePoolId", "id", identifier=True),
        O2Field("globalLocationId", "global_location_id"),
        O2Field("name", "name"),
        O2Field("description", "description"),
        uuid_field("oCloudId", "o_cloud_id"),
        O2Field("location", "location"),
        O2Field("extensions", "extensions", FieldType.OBJECT, default_excluded=True),
    ),
)

RESOURCE = ObjectSpec(
    "ResourceInfo",
    (
        uuid_field("resourceId", "id", identifier=True),
        uuid_field("resourceTypeId", "resource_type_id"),
        uuid_field("resourcePoolId", "resource_pool_id"),
        O2Field("globalAssetId", "global_asset_id"),
        uuid_field("parentId", "parent_id", nullable=True),
        O2Field("description", "description"),
        # Child resources: rendered on the single-object GET only (no column, so not filterable).
        O2Field("elements", None, FieldType.ARRAY),
        O2Field("extensions", "extensions", FieldType.OBJECT, default_excluded=True),
    ),
)

DEPLOYMENT_MANAGER = ObjectSpec(
    "DeploymentManagerInfo",
    (
        uuid_field("deploymentManagerId", "id", identifier=True),
        O2Field("name", "name"),
        O2Field("description", "description"),
        uuid_field("oCloudId", "o_cloud_id"),
        O2Field("serviceUri", "service_uri"),
        O2Field("supportedLocations", "supported_locations", FieldType.ARRAY),
        O2Field("capabilities", "capabilities", FieldType.OBJECT),
        O2Field("capacity", "capacity", FieldType.OBJECT),
        O2Field("extensions", "extensions", FieldType.OBJECT, default_excluded=True),
    ),
)

"""The O2ims v1 inventory objects (O2-REFERENCE.md §2), declared once for rendering, filters and selectors.

Default-excluded attributes (left out unless asked for, SOL013 `exclude_default`): the free-form and
structured ones, `extensions` everywhere and `alarmDictionary` on resource types. A deployment manager's
`capabilities` and `capacity` are ordinary attributes, in the default view. docs/o2-api.md lists them.
"""

from __future__ import annotations

from netweave.o2.spec import FieldType, O2Field, ObjectSpec, uuid_field

# The spec release each object and attribute follows, published in the OpenAPI as `x-o2-release`
# (inventory.api.serializers): R003 for the v1 model, R005 for what the newer inventory model adds.
R003 = "O-RAN.WG6.O2IMS-INTERFACE-R003"
R005 = "O-RAN.WG6.O2IMS-INTERFACE-R005"

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
        uuid_field("alarmDictionaryId", "alarm_dictionary_id", nullable=True),
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
        uuid_field("oCloudSiteId", "o_cloud_site_id", nullable=True),
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
        O2Field("tags", "tags", FieldType.ARRAY),
        O2Field("groups", "groups", FieldType.ARRAY),
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

# --- R005 additions (O2-REFERENCE.md §1) ---------------------------------------------------------------------

LOCATION = ObjectSpec(
    "LocationInfo",
    (
        O2Field("globalLocationId", "global_location_id", identifier=True),
        O2Field("name", "name"),
        O2Field("description", "description"),
        O2Field("coordinate", "coordinate", FieldType.OBJECT, nullable=True),
        O2Field("civicAddress", "civic_address", FieldType.ARRAY),
        O2Field("address", "address"),
        # The sites at this location: rendered per page from the sites (no column, so not filterable).
        O2Field("oCloudSiteIds", None, FieldType.ARRAY),
        O2Field("extensions", "extensions", FieldType.OBJECT, default_excluded=True),
    ),
)

O_CLOUD_SITE = ObjectSpec(
    "OCloudSiteInfo",
    (
        uuid_field("oCloudSiteId", "id", identifier=True),
        O2Field("globalLocationId", "global_location_id"),
        O2Field("name", "name"),
        O2Field("description", "description"),
        # The pools at this site: rendered per page from the pools (no column, so not filterable).
        O2Field("resourcePools", None, FieldType.ARRAY),
        O2Field("extensions", "extensions", FieldType.OBJECT, default_excluded=True),
    ),
)

ALARM_DICTIONARY = ObjectSpec(
    "AlarmDictionaryInfo",
    (
        uuid_field("alarmDictionaryId", "id", identifier=True),
        uuid_field("resourceTypeId", "resource_type_id"),
        O2Field("alarmDictionaryVersion", "alarm_dictionary_version"),
        O2Field("alarmDictionarySchemaVersion", "alarm_dictionary_schema_version"),
        O2Field("entityType", "entity_type"),
        O2Field("vendor", "vendor"),
        O2Field("managementInterfaceId", "management_interface_id", FieldType.ARRAY),
        O2Field("pkNotificationField", "pk_notification_field", FieldType.ARRAY),
        O2Field("alarmDefinition", "alarm_definition", FieldType.ARRAY),
        O2Field("extensions", "extensions", FieldType.OBJECT, default_excluded=True),
    ),
)

# Which attributes R005 added to the R003 objects (everything else on them follows R003).
R005_ATTRIBUTES = {
    "ResourceTypeInfo": ("alarmDictionaryId",),
    "ResourcePoolInfo": ("oCloudSiteId",),
    "ResourceInfo": ("tags", "groups"),
}

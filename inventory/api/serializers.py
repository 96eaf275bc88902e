"""OpenAPI shapes of the O2ims objects, exactly as O2-REFERENCE.md names them.

These serializers document the API (drf-spectacular reads them) and validate write bodies; reads are
rendered from inventory.specs. Only identifiers are required in responses: attribute selectors may leave
any other attribute out.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from inventory import specs
from netweave.o2 import schema
from netweave.o2.strict import StrictSerializer

KINDS = ["UNDEFINED", "PHYSICAL", "LOGICAL"]
CLASSES = ["UNDEFINED", "COMPUTE", "NETWORKING", "STORAGE"]


class APIVersionSerializer(serializers.Serializer):
    version = serializers.CharField()


class APIVersionsSerializer(serializers.Serializer):
    uriPrefix = serializers.CharField()
    apiVersions = APIVersionSerializer(many=True)


class ExtensionsField(serializers.DictField):
    """A free JSON object; netweave puts backend data under `<plugin>.<key>` names."""

    child = serializers.JSONField()


class OCloudSerializer(serializers.Serializer):
    oCloudId = serializers.UUIDField()
    globalCloudId = serializers.UUIDField(required=False)
    globalcloudId = serializers.UUIDField(
        help_text="v1 spelling of globalCloudId, served for older SMOs", required=False
    )
    name = serializers.CharField(required=False)
    description = serializers.CharField(allow_blank=True, required=False)
    serviceUri = serializers.CharField(required=False)
    extensions = ExtensionsField(required=False)


class ResourceTypeSerializer(serializers.Serializer):
    resourceTypeId = serializers.UUIDField()
    name = serializers.CharField(required=False)
    description = serializers.CharField(allow_blank=True, required=False)
    vendor = serializers.CharField(allow_blank=True, required=False)
    model = serializers.CharField(allow_blank=True, required=False)
    version = serializers.CharField(allow_blank=True, required=False)
    alarmDictionary = serializers.JSONField(required=False)
    alarmDictionaryId = serializers.UUIDField(required=False, help_text="R005: the id of the type's AlarmDictionary")
    resourceKind = serializers.ChoiceField(KINDS, required=False)
    resourceClass = serializers.ChoiceField(CLASSES, required=False)
    extensions = ExtensionsField(required=False)


class ResourcePoolSerializer(serializers.Serializer):
    resourcePoolId = serializers.UUIDField()
    globalLocationId = serializers.CharField(allow_blank=True, required=False)
    name = serializers.CharField(required=False)
    description = serializers.CharField(allow_blank=True, required=False)
    oCloudId = serializers.UUIDField(required=False)
    location = serializers.CharField(allow_blank=True, required=False)
    oCloudSiteId = serializers.UUIDField(required=False, help_text="R005: the O-Cloud site the pool is at")
    extensions = ExtensionsField(required=False)


class ResourceSerializer(serializers.Serializer):
    resourceId = serializers.UUIDField()
    resourceTypeId = serializers.UUIDField(required=False)
    resourcePoolId = serializers.UUIDField(required=False)
    globalAssetId = serializers.CharField(allow_blank=True, required=False)
    parentId = serializers.UUIDField(required=False)
    description = serializers.CharField(allow_blank=True, required=False)
    elements = serializers.ListField(
        child=serializers.JSONField(), help_text="Child resources (single-object GET only)", required=False
    )
    tags = serializers.ListField(child=serializers.CharField(), required=False, help_text="R005")
    groups = serializers.ListField(child=serializers.CharField(), required=False, help_text="R005")
    extensions = ExtensionsField(required=False)


class DeploymentManagerSerializer(serializers.Serializer):
    deploymentManagerId = serializers.UUIDField()
    name = serializers.CharField(required=False)
    description = serializers.CharField(allow_blank=True, required=False)
    oCloudId = serializers.UUIDField(required=False)
    serviceUri = serializers.CharField(allow_blank=True, required=False)
    supportedLocations = serializers.ListField(child=serializers.CharField(), required=False)
    capabilities = serializers.JSONField(required=False)
    capacity = serializers.JSONField(required=False)
    extensions = ExtensionsField(required=False)


class LocationSerializer(serializers.Serializer):
    globalLocationId = serializers.CharField(help_text="The location's identifier (the path parameter)")
    name = serializers.CharField(required=False)
    description = serializers.CharField(allow_blank=True, required=False)
    coordinate = serializers.JSONField(required=False, help_text="GeoJSON Point: [longitude, latitude]")
    civicAddress = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="RFC 4776 civic address elements (caType, caValue)"
    )
    address = serializers.CharField(allow_blank=True, required=False)
    oCloudSiteIds = serializers.ListField(
        child=serializers.UUIDField(), required=False, help_text="The O-Cloud sites at this location"
    )
    extensions = ExtensionsField(required=False)


class OCloudSiteSerializer(serializers.Serializer):
    oCloudSiteId = serializers.UUIDField()
    globalLocationId = serializers.CharField(allow_blank=True, required=False)
    name = serializers.CharField(required=False)
    description = serializers.CharField(allow_blank=True, required=False)
    resourcePools = serializers.ListField(
        child=serializers.UUIDField(), required=False, help_text="The resource pools at this site"
    )
    extensions = ExtensionsField(required=False)


class AlarmDictionarySerializer(serializers.Serializer):
    alarmDictionaryId = serializers.UUIDField()
    resourceTypeId = serializers.UUIDField(required=False, help_text="The resource type the dictionary belongs to")
    alarmDictionaryVersion = serializers.CharField(allow_blank=True, required=False)
    alarmDictionarySchemaVersion = serializers.CharField(allow_blank=True, required=False)
    entityType = serializers.CharField(allow_blank=True, required=False)
    vendor = serializers.CharField(allow_blank=True, required=False)
    managementInterfaceId = serializers.ListField(child=serializers.CharField(), required=False)
    pkNotificationField = serializers.ListField(child=serializers.CharField(), required=False)
    alarmDefinition = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text="alarmDefinitionId, alarmName, alarmLastChange, alarmChangeType, alarmDescription, "
        "proposedRepairActions, clearingType, alarmAdditionalFields",
    )
    extensions = ExtensionsField(required=False)


ProblemDetailsSerializer = schema.ProblemDetailsSerializer

# The spec release each O2ims inventory object follows, and the attributes a later release added to it
# (published as `x-o2-release` by add_release_markers).
RELEASES: dict[str, tuple[str, dict[str, str]]] = {
    "OCloud": (specs.R003, {}),
    "ResourceType": (specs.R003, {"alarmDictionaryId": specs.R005}),
    "ResourcePool": (specs.R003, {"oCloudSiteId": specs.R005}),
    "Resource": (specs.R003, {"tags": specs.R005, "groups": specs.R005}),
    "DeploymentManager": (specs.R003, {}),
    "Location": (specs.R005, {}),
    "OCloudSite": (specs.R005, {}),
    "AlarmDictionary": (specs.R005, {}),
}


def add_release_markers(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular post-processing hook: `x-o2-release` on each inventory object and on the attributes a later
    release added, so an SMO written against R003 sees what it may ignore."""
    components = result.get("components", {}).get("schemas", {})
    for name, (release, added) in RELEASES.items():
        component = components.get(name)
        if component is None:
            continue
        component["x-o2-release"] = release
        properties = component.get("properties", {})
        for attribute in component.get("properties", {}):
            properties[attribute]["x-o2-release"] = added.get(attribute, release)
    return result


# --- netweave IMS write extension -------------------------------------------------------------------------


class RoutingHintsMixin(StrictSerializer):
    labels = serializers.DictField(
        child=serializers.CharField(), required=False, default=dict, help_text="Routing labels (seed conditions)"
    )
    resourceType = serializers.CharField(
        required=False, default="*", help_text="Routing key matched against rules' resourceType; * by default"
    )
    pluginInstance = serializers.CharField(
        required=False, help_text="Name of the IMS plugin instance to use, bypassing the routing rules"
    )


class PoolCreateSerializer(RoutingHintsMixin):
    name = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    globalLocationId = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    location = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    extensions = ExtensionsField(required=False, default=dict)


class PoolUpdateSerializer(StrictSerializer):
    name = serializers.CharField(required=False, max_length=255)
    description = serializers.CharField(required=False, allow_blank=True)
    globalLocationId = serializers.CharField(required=False, allow_blank=True, max_length=255)
    location = serializers.CharField(required=False, allow_blank=True, max_length=255)
    extensions = ExtensionsField(required=False)


class ResourceCreateSerializer(StrictSerializer):
    resourceTypeId = serializers.UUIDField()
    description = serializers.CharField(required=False, allow_blank=True, default="")
    globalAssetId = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    parentId = serializers.UUIDField(required=False, allow_null=True, default=None)
    extensions = ExtensionsField(required=False, default=dict)

"""OpenAPI shapes of the O2ims objects, exactly as O2-REFERENCE.md names them.

These serializers document the API (drf-spectacular reads them) and validate write bodies; reads are
rendered from inventory.specs. Only identifiers are required in responses: attribute selectors may leave
any other attribute out.
"""

from __future__ import annotations

from rest_framework import serializers

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


ProblemDetailsSerializer = schema.ProblemDetailsSerializer


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

"""Serializers of netweave's admin extension API (plugin instances, routing rules, secrets, the simulator).

A plugin instance's `config` is checked by its type's config class (the schema of plugins.sdk.schema), with
credentials given only as {secretRef: <secret name>}: values go in through the secrets endpoint, which never
returns them. Errors name the key by its dotted path (`config.churn.enabled`).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from rest_framework import serializers

from plugins.discovery import UnknownPluginType, get_plugin_class
from plugins.models import CATEGORY_CHOICES, PluginInstance, RoutingRule, Secret
from plugins.secrets import ConfigError, is_secret_ref, set_secret_value, validate_config


class PluginInstanceSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="plugin_type", help_text="The plugin type, e.g. kubernetes or mock.")
    default = serializers.BooleanField(source="is_default", required=False, default=False)
    syncInterval = serializers.IntegerField(source="sync_interval", required=False, min_value=0, default=60)
    config = serializers.JSONField(
        required=False,
        default=dict,
        help_text="Validated by the type's config schema (GET /netweave-admin-ext/v1/pluginTypes/{category}.{type})."
        " Credentials as {secretRef: <secret name>}.",
    )
    health = serializers.SerializerMethodField()
    lastSync = serializers.SerializerMethodField()

    class Meta:
        model = PluginInstance
        fields = [
            "id",
            "name",
            "category",
            "type",
            "enabled",
            "default",
            "syncInterval",
            "config",
            "health",
            "lastSync",
        ]
        read_only_fields = ["id"]

    def get_health(self, obj: PluginInstance) -> dict[str, Any]:
        return {"healthy": obj.health_ok, "message": obj.health_message, "checked": obj.health_checked}

    def get_lastSync(self, obj: PluginInstance) -> dict[str, Any]:
        return {"ok": obj.last_sync_ok, "finished": obj.last_sync_finished, "summary": obj.last_sync_summary}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        current = self.instance
        category = attrs.get("category", current.category if current else None)
        plugin_type = attrs.get("plugin_type", current.plugin_type if current else None)
        if current is not None and (category, plugin_type) != (current.category, current.plugin_type):
            raise serializers.ValidationError({"type": ["An instance keeps its category and type."]})
        try:
            plugin_class = get_plugin_class(str(category), str(plugin_type))
        except UnknownPluginType as exc:
            raise serializers.ValidationError({"type": [str(exc)]}) from None
        config = attrs.get("config", current.config if current else {})
        if not isinstance(config, dict):
            raise serializers.ValidationError({"config": ["Must be an object of keys to values."]})
        try:
            validate_config(plugin_class, config, instance_name=attrs.get("name", ""), require_refs=True)
        except ConfigError as exc:
            raise serializers.ValidationError(
                {("config" if key == "config" else f"config.{key}"): problems for key, problems in exc.errors.items()}
            ) from None
        if attrs.get("is_default"):
            others = PluginInstance.objects.filter(category=category, is_default=True)
            if current is not None:
                others = others.exclude(pk=current.pk)
            other = others.first()
            if other is not None:
                raise serializers.ValidationError({"default": [f"'{other.name}' is already the default {category}."]})
        return attrs

    def _link_secrets(self, instance: PluginInstance) -> None:
        names = {v["secretRef"] for v in (instance.config or {}).values() if is_secret_ref(v)}
        instance.secrets.set(Secret.objects.filter(name__in=names))

    def create(self, validated_data: dict[str, Any]) -> PluginInstance:
        with transaction.atomic():
            instance = super().create(validated_data)
            self._link_secrets(instance)
        return instance

    def update(self, instance: PluginInstance, validated_data: dict[str, Any]) -> PluginInstance:
        with transaction.atomic():
            instance = super().update(instance, validated_data)
            self._link_secrets(instance)
        return instance


class RoutingRuleSerializer(serializers.ModelSerializer):
    plugin = serializers.SlugRelatedField(
        source="plugin_instance", slug_field="name", queryset=PluginInstance.objects.all()
    )
    matchType = serializers.CharField(
        source="match_type", required=False, default="*", help_text="resourceType (ims) / packageType (dms); * any."
    )
    conditions = serializers.JSONField(required=False, default=dict)

    class Meta:
        model = RoutingRule
        fields = ["id", "category", "name", "priority", "plugin", "matchType", "mode", "conditions", "enabled"]
        read_only_fields = ["id"]

    def validate_conditions(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise serializers.ValidationError('Must be an object, e.g. {"labels": {"site": "edge"}}.')
        if not isinstance(value.get("labels", {}), dict):
            raise serializers.ValidationError({"labels": ["Must be an object of label names to values."]})
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        category = attrs.get("category", getattr(self.instance, "category", None))
        target = attrs.get("plugin_instance", getattr(self.instance, "plugin_instance", None))
        if target is not None and target.category != category:
            raise serializers.ValidationError({"plugin": [f"'{target.name}' is a {target.category} instance."]})
        return attrs


class SecretSerializer(serializers.ModelSerializer):
    """Where a credential lives. `value` (encrypted provider) is write-only: no response ever carries it."""

    value = serializers.CharField(
        write_only=True, required=False, trim_whitespace=False, help_text="Encrypted provider only; write-only."
    )
    hasValue = serializers.SerializerMethodField()
    usedBy = serializers.SerializerMethodField()

    class Meta:
        model = Secret
        fields = ["name", "description", "provider", "reference", "value", "hasValue", "usedBy", "updated"]
        read_only_fields = ["updated"]

    def get_hasValue(self, obj: Secret) -> bool:
        return bool(obj.ciphertext) if obj.provider == Secret.Provider.ENCRYPTED else bool(obj.reference)

    def get_usedBy(self, obj: Secret) -> list[str]:
        return sorted(obj.plugin_instances.values_list("name", flat=True))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        provider = attrs.get("provider", getattr(self.instance, "provider", None))
        reference = attrs.get("reference", getattr(self.instance, "reference", ""))
        value = attrs.get("value")
        if provider in (Secret.Provider.ENV, Secret.Provider.FILE) and not reference:
            raise serializers.ValidationError({"reference": [f"A {provider} secret needs a reference."]})
        if provider != Secret.Provider.ENCRYPTED and value:
            raise serializers.ValidationError({"value": ["Only encrypted secrets take a value."]})
        has_value = self.instance is not None and self.instance.ciphertext
        if provider == Secret.Provider.ENCRYPTED and not value and not has_value:
            raise serializers.ValidationError({"value": ["Give the value to encrypt."]})
        if self.instance is not None and "name" in attrs and attrs["name"] != self.instance.name:
            raise serializers.ValidationError({"name": ["Configs reference secrets by name; it cannot change."]})
        return attrs

    def _save(self, secret: Secret, value: str | None) -> Secret:
        if secret.provider != Secret.Provider.ENCRYPTED:
            secret.ciphertext = ""
        if value:
            return set_secret_value(secret, value)
        secret.save()
        return secret

    def create(self, validated_data: dict[str, Any]) -> Secret:
        value = validated_data.pop("value", None)
        return self._save(Secret(**validated_data), value)

    def update(self, instance: Secret, validated_data: dict[str, Any]) -> Secret:
        value = validated_data.pop("value", None)
        for key, item in validated_data.items():
            setattr(instance, key, item)
        with transaction.atomic():
            secret = self._save(instance, value)
            # Users re-read their credentials: the registry re-initializes a plugin whose row's `updated` moved.
            for user in instance.plugin_instances.all():
                user.save(update_fields=["updated"])
        return secret


def _pairs(values: list[str], what: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise serializers.ValidationError(f"Each {what} is key=value, got '{item}'.")
        pairs[key] = value
    return pairs


def _flag(value: str) -> Any:
    return {"true": True, "false": False}.get(value.lower(), value)


class RouteRequestSerializer(serializers.Serializer):
    """The simulator's query parameters, each field named as its parameter, so an error names what was sent.
    (Declared in get_fields: a class attribute `label` would hide the serializer's own.)"""

    def get_fields(self) -> dict[str, serializers.Field]:
        def pairs(help_text: str) -> serializers.ListField:
            child = serializers.CharField(allow_blank=True)
            return serializers.ListField(child=child, required=False, default=list, help_text=help_text)

        return {
            "category": serializers.ChoiceField(choices=[c for c, _ in CATEGORY_CHOICES if c in ("ims", "dms")]),
            "matchType": serializers.CharField(required=False, default="*", help_text="resource or package type"),
            "label": pairs("key=value, repeated"),
            "attribute": pairs("key=value (true/false), repeated"),
        }

    def validate_label(self, value: list[str]) -> dict[str, str]:
        return _pairs(value, "label")

    def validate_attribute(self, value: list[str]) -> dict[str, Any]:
        return {k: _flag(v) for k, v in _pairs(value, "attribute").items()}


class RouteDecisionSerializer(serializers.Serializer):
    routed = serializers.BooleanField()
    instance = serializers.CharField(required=False, help_text="absent when nothing is routed")
    rule = serializers.CharField(required=False, help_text="absent when the category's default instance was chosen")
    explanation = serializers.CharField()


class PluginTypeSerializer(serializers.Serializer):
    category = serializers.CharField()
    type = serializers.CharField()
    version = serializers.CharField()
    credentials = serializers.ListField(child=serializers.CharField())
    configSchema = serializers.DictField(help_text="JSON Schema of the config block")

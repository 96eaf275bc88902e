"""Request and response bodies of the SMO North API (/netweave-smo-ext/v1), for validation and the OpenAPI."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from plugins.sdk.validation import reject_unknown_keys

SMO_INSTANCE_HELP = "The SMO plugin instance to use; absent: the SMO default instance (smo.default in plugins.yaml)."


class StrictSerializer(serializers.Serializer):
    def to_internal_value(self, data: Any) -> Any:
        reject_unknown_keys(self, data)
        return super().to_internal_value(data)


class WorkflowExecuteSerializer(StrictSerializer):
    workflowName = serializers.CharField(max_length=200)
    parameters = serializers.DictField(default=dict)
    smoInstance = serializers.CharField(max_length=63, required=False, help_text=SMO_INSTANCE_HELP)


class WorkflowExecutionSerializer(serializers.Serializer):
    executionId = serializers.UUIDField()
    smoInstance = serializers.CharField()
    workflowName = serializers.CharField()
    parameters = serializers.DictField()
    smoExecutionId = serializers.CharField(help_text="The execution's id in the SMO.")
    status = serializers.CharField()
    message = serializers.CharField(allow_blank=True)
    startedAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()
    requestedBy = serializers.CharField(allow_blank=True)


class ServiceModelSerializer(StrictSerializer):
    modelId = serializers.CharField(max_length=200)
    name = serializers.CharField(max_length=200)
    version = serializers.CharField(max_length=100, default="", allow_blank=True)
    content = serializers.DictField(default=dict)


class ServiceModelCreateSerializer(ServiceModelSerializer):
    smoInstance = serializers.CharField(max_length=63, required=False, help_text=SMO_INSTANCE_HELP)


class PolicySerializer(StrictSerializer):
    policyId = serializers.CharField(max_length=200)
    policyType = serializers.CharField(max_length=200)
    content = serializers.DictField(default=dict)
    smoInstance = serializers.CharField(max_length=63, required=False, help_text=SMO_INSTANCE_HELP)


class PolicyStatusSerializer(serializers.Serializer):
    policyId = serializers.CharField()
    status = serializers.CharField()
    message = serializers.CharField(allow_blank=True)
    smoInstance = serializers.CharField()

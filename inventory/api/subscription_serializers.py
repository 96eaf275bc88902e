"""OpenAPI shapes and body validation of O2ims inventory subscriptions (O2-REFERENCE.md §5)."""

from __future__ import annotations

from rest_framework import serializers

from netweave.o2 import schema
from netweave.o2.query import MAX_FILTER_LENGTH
from netweave.o2.strict import StrictSerializer


class SubscriptionCreateSerializer(StrictSerializer):
    callback = schema.UriField(max_length=2000, help_text="Where notifications are POSTed (https).")
    consumerSubscriptionId = serializers.CharField(
        max_length=255, required=False, allow_null=True, help_text="The SMO's own id, echoed in notifications."
    )
    filter = serializers.CharField(
        max_length=MAX_FILTER_LENGTH,
        required=False,
        allow_blank=True,
        help_text="SOL013 filter selecting the changes that are reported; objectType is an attribute. "
        "Absent: every change.",
    )


class SubscriptionSerializer(serializers.Serializer):
    subscriptionId = serializers.UUIDField()
    consumerSubscriptionId = serializers.CharField(required=False)
    filter = serializers.CharField(allow_blank=True, required=False)
    callback = schema.UriField(required=False)

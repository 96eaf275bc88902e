"""The AWS IMS plugin's config class: region, credentials (access keys as Secrets, or the default chain), an
optional role to assume through STS, an endpoint override (VPC endpoints, tests), and the retry budget."""

from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers

from plugins.sdk.validation import StrictSerializer

SECRET_FIELDS = frozenset({"secretAccessKey", "sessionToken"})
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_CLUSTER = re.compile(r"^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$")


class AWSConfig(StrictSerializer):
    region = serializers.CharField(
        max_length=40, help_text="AWS region, e.g. eu-west-1: EKS, EC2 and STS calls go there."
    )
    endpointUrl = serializers.URLField(
        default="",
        allow_blank=True,
        max_length=1000,
        help_text="Override of every service endpoint (a VPC endpoint, or a test backend). Empty: AWS's own.",
    )
    accessKeyId = serializers.CharField(
        default="", allow_blank=True, max_length=128, help_text="Access key id. Empty: the default credential chain."
    )
    secretAccessKey = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=4096,
        help_text="Credential: the secret access key, as a Secret reference ({secretRef: name}).",
    )
    sessionToken = serializers.CharField(
        default="", allow_blank=True, max_length=8192, help_text="Credential: a session token for temporary keys."
    )
    roleArn = serializers.CharField(
        default="", allow_blank=True, max_length=2048, help_text="IAM role to assume through STS (empty: none)."
    )
    externalId = serializers.CharField(
        default="", allow_blank=True, max_length=1224, help_text="External id the role's trust policy asks for."
    )
    roleSessionName = serializers.CharField(
        default="netweave", max_length=64, help_text="Session name of the assumed role (shows in CloudTrail)."
    )
    clusters = serializers.ListField(
        child=serializers.CharField(max_length=100),
        default=list,
        max_length=100,
        help_text="EKS clusters to map (empty: every cluster of the region).",
    )
    includeUnmanagedInstances = serializers.BooleanField(
        default=True, help_text="List EC2 instances outside any EKS node group, in a pool of their own."
    )
    ocloudId = serializers.CharField(
        default="", allow_blank=True, max_length=255, help_text="Informational: shown in health and extensions."
    )
    maxAttempts = serializers.IntegerField(
        default=10, min_value=1, max_value=50, help_text="Attempts per call under botocore's adaptive retry mode."
    )
    requestTimeoutSeconds = serializers.FloatField(
        default=30.0, min_value=1.0, max_value=600.0, help_text="Connect and read timeout of one API request."
    )

    def validate_region(self, value: str) -> str:
        if not _REGION.match(value):
            raise serializers.ValidationError("Not an AWS region name (e.g. eu-west-1).")
        return value

    def validate_roleArn(self, value: str) -> str:
        if value and not _ROLE_ARN.match(value):
            raise serializers.ValidationError("Not an IAM role ARN (arn:aws:iam::<account>:role/<name>).")
        return value

    def validate_clusters(self, value: list[str]) -> list[str]:
        for name in value:
            if not _CLUSTER.match(name):
                raise serializers.ValidationError(f"{name!r} is not an EKS cluster name.")
        return sorted(set(value))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        refs = self.context.get("secret_refs") or {}  # credentials given as Secret references count as present
        has_secret = bool(attrs.get("secretAccessKey")) or "secretAccessKey" in refs
        has_token = bool(attrs.get("sessionToken")) or "sessionToken" in refs
        if attrs.get("accessKeyId") and not has_secret:
            raise serializers.ValidationError({"secretAccessKey": ["Required with accessKeyId."]})
        if has_secret and not attrs.get("accessKeyId"):
            raise serializers.ValidationError({"accessKeyId": ["Required with secretAccessKey."]})
        if has_token and not attrs.get("accessKeyId"):
            raise serializers.ValidationError({"sessionToken": ["A session token needs accessKeyId and its secret."]})
        if attrs.get("externalId") and not attrs.get("roleArn"):
            raise serializers.ValidationError({"externalId": ["Only used with roleArn."]})
        return attrs

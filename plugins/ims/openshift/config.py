"""The openshift plugin's config: the kubernetes keys, with OpenShift's defaults (the machine API namespace,
MachineSet pools only)."""

from __future__ import annotations

from rest_framework import serializers

from plugins.ims.kubernetes.config import POOL_MODES, KubernetesConfig


class OpenShiftConfig(KubernetesConfig):
    namespace = serializers.CharField(
        default="openshift-machine-api", max_length=63, help_text="Namespace of the MachineSets and Machines."
    )
    poolMode = serializers.ChoiceField(
        choices=POOL_MODES,
        default="machineSets",
        help_text="machineSets (default): pools are MachineSets; nodeLabel / auto as for the kubernetes plugin.",
    )

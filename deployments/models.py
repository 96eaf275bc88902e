"""O2dms as netweave stores it: deployable packages, deployments of them, and the lifecycle operations that
change deployments. Each belongs to one O2ims deployment manager (inventory.DeploymentManager) and is served
by one DMS plugin instance.

The deployment manager is referenced by id, not by a foreign key: deployment managers are owned by IMS sync,
which may retire one while deployments still name it; those rows stay (and answer 404 through the API) rather
than block the sync.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models

from plugins.models import PluginInstance

NETWEAVE_PREFIX = "netweave."


class NfDeploymentState(models.IntegerChoices):
    """O2dms NfDeployment `status` values (docs/o2-api.md)."""

    INITIAL = 0, "Initial"
    NOT_INSTALLED = 1, "Not installed"
    INSTALLING = 2, "Installing"
    INSTALLED = 3, "Installed"
    UPDATING = 4, "Updating"
    UNINSTALLING = 5, "Uninstalling"
    ABNORMAL = 6, "Abnormal"


class DeploymentPackage(models.Model):
    """An O2dms NfDeploymentDescriptor: a package (a Helm chart) the deployment manager can deploy."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    deployment_manager_id = models.UUIDField(db_index=True)
    plugin_instance = models.ForeignKey(
        PluginInstance, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    native_id = models.CharField(max_length=255, help_text="The package's id in its DMS plugin.")
    name = models.CharField(max_length=255)
    version = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    package_type = models.CharField(max_length=50, default="helm-chart")
    input_params: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    output_params: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    artifact_repo_url = models.CharField(max_length=1000, blank=True)
    artifact_name = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0, help_text="Archive size in bytes (0 for a repository chart).")
    sha256 = models.CharField(max_length=64, blank=True)
    extensions: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "deployment package (NfDeploymentDescriptor)"
        verbose_name_plural = "deployment packages (NfDeploymentDescriptor)"
        constraints = [
            models.UniqueConstraint(
                fields=["deployment_manager_id", "plugin_instance", "native_id"], name="uniq_package_native"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}".strip()


class Deployment(models.Model):
    """An O2dms NfDeployment: one package deployed on a deployment manager."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    deployment_manager_id = models.UUIDField(db_index=True)
    package = models.ForeignKey(DeploymentPackage, on_delete=models.PROTECT, related_name="deployments")
    plugin_instance = models.ForeignKey(
        PluginInstance, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    native_id = models.CharField(max_length=255, blank=True, help_text="The deployment's id in its DMS plugin.")
    name = models.CharField(max_length=63)
    description = models.TextField(blank=True)
    parent_deployment_id = models.UUIDField(null=True, blank=True)
    namespace = models.CharField(max_length=63, blank=True)
    values: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    status = models.IntegerField(choices=NfDeploymentState.choices, default=NfDeploymentState.INITIAL)
    phase = models.CharField(max_length=30, blank=True, help_text="What the backend last reported.")
    revision = models.PositiveIntegerField(default=0)
    extensions: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "deployment (NfDeployment)"
        verbose_name_plural = "deployments (NfDeployment)"
        constraints = [
            models.UniqueConstraint(fields=["deployment_manager_id", "namespace", "name"], name="uniq_deployment_name")
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # `extensions` is what the O2 object carries beyond the standard fields; kept as a column so SOL013
        # filters on extensions/... run in the database. The DMS plugin's own (`<plugin>.<key>`, set by
        # lifecycle._observe) are kept; the `netweave.` ones always come from the fields below.
        carried = {k: v for k, v in (self.extensions or {}).items() if not k.startswith(NETWEAVE_PREFIX)}
        self.extensions = {
            **carried,
            "netweave.namespace": self.namespace,
            "netweave.revision": self.revision,
            "netweave.phase": self.phase,
            "netweave.values": self.values,
            "netweave.nativeId": self.native_id,
            "netweave.deploymentManagerId": str(self.deployment_manager_id),
            "netweave.pluginInstance": self.plugin_instance.name if self.plugin_instance else "",
        }
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "extensions", "updated"}
        super().save(*args, **kwargs)


class LifecycleOperation(models.Model):
    """One install, upgrade, scale, rollback, delete, suspend or resume of a deployment, as the SMO polls it."""

    class Kind(models.TextChoices):
        INSTALL = "install"
        UPGRADE = "upgrade"
        SCALE = "scale"
        ROLLBACK = "rollback"
        DELETE = "delete"
        SUSPEND = "suspend"
        RESUME = "resume"

    class State(models.TextChoices):
        QUEUED = "QUEUED"
        RUNNING = "RUNNING"
        SUCCEEDED = "SUCCEEDED"
        FAILED = "FAILED"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    deployment_manager_id = models.UUIDField(db_index=True)
    # Kept after the deployment is deleted: the operation that deleted it stays readable.
    deployment_id = models.UUIDField(db_index=True)
    deployment_name = models.CharField(max_length=63)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    params: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    result: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    # NULL, not "": no error is an absent attribute, which SOL013 `(eq,error,null)` selects.
    error = models.TextField(null=True, blank=True)  # noqa: DJ001
    error_status = models.PositiveSmallIntegerField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    # The Celery task that started it: a redelivery of that task (its worker died) finds the operation RUNNING
    # and settles it; another task for the same operation (the sweeper re-queued it) leaves it alone.
    task_id = models.CharField(max_length=255, blank=True, editable=False)

    class Meta:
        ordering = ["created"]
        verbose_name = "lifecycle operation"

    def __str__(self) -> str:
        return f"{self.kind} {self.deployment_name} ({self.state})"

    @property
    def done(self) -> bool:
        return self.state in (self.State.SUCCEEDED, self.State.FAILED)

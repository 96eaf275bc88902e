"""Admin pages for O2dms: packages, deployments and their lifecycle operations, read-only.

Every change goes through the O2dms API (or its Celery tasks) so that it reaches the DMS backend and the
change log together; an edit here would do neither. Each row links to its change-log history.
"""

from __future__ import annotations

from django.contrib import admin

from deployments.models import Deployment, DeploymentPackage, LifecycleOperation, NfDeploymentState
from inventory.admin import InventoryObjectAdmin, ReadOnlyAdmin


@admin.register(DeploymentPackage)
class DeploymentPackageAdmin(InventoryObjectAdmin):
    list_display = ["name", "version", "package_type", "plugin_instance", "deployment_manager_id", "created"]
    list_select_related = ["plugin_instance"]


@admin.register(Deployment)
class DeploymentAdmin(InventoryObjectAdmin):
    list_display = ["name", "namespace", "status_name", "phase", "revision", "package", "plugin_instance", "updated"]
    list_select_related = ["plugin_instance", "package"]
    list_filter = ["plugin_instance", "status"]
    readonly_fields = [*InventoryObjectAdmin.readonly_fields, "status_name"]

    @admin.display(description="status", ordering="status")
    def status_name(self, obj: Deployment) -> str:
        """The O2dms integer and its name, as an SMO sees it in the API ("3 INSTALLED")."""
        return status_text(obj.status)


def status_text(value: int) -> str:
    try:
        return f"{value} {NfDeploymentState(value).name}"
    except ValueError:
        return str(value)


@admin.register(LifecycleOperation)
class LifecycleOperationAdmin(ReadOnlyAdmin):
    list_display = ["kind", "deployment_name", "state", "created", "started", "finished", "error_status"]
    list_filter = ["kind", "state"]
    search_fields = ["deployment_name", "error"]
    ordering = ["-created"]

"""Packages carry their deployment manager in `extensions` (netweave.deploymentManagerId), as deployments do, so
that an O2dms change notification can name the manager even after the package is deleted."""

from typing import Any

from django.db import migrations


def add_manager_extension(apps: Any, schema_editor: Any) -> None:
    package_model = apps.get_model("deployments", "DeploymentPackage")
    for package in package_model.objects.all().iterator():
        package.extensions = {**package.extensions, "netweave.deploymentManagerId": str(package.deployment_manager_id)}
        package.save(update_fields=["extensions"])


class Migration(migrations.Migration):
    dependencies = [("deployments", "0002_operation_error_null")]

    operations = [migrations.RunPython(add_manager_extension, migrations.RunPython.noop)]

"""The O-Cloud row: its identity comes from settings; changing the settings changes the row (and logs it)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import transaction

from inventory import changelog, specs
from inventory.models import OCloud
from netweave import context


def _desired() -> dict[str, Any]:
    conf = settings.NETWEAVE_OCLOUD
    return {
        "id": uuid.UUID(conf["oCloudId"]),
        "global_cloud_id": uuid.UUID(conf["globalCloudId"]),
        "name": conf["name"],
        "description": conf["description"],
        "service_uri": conf["serviceUri"],
    }


def ensure_ocloud() -> dict[str, Any]:
    """Return the O-Cloud row (as .values()), creating or updating it from settings when they differ."""
    desired = _desired()
    row = OCloud.objects.filter(id=desired["id"]).values(*specs.OCLOUD.columns).first()
    if row is not None and all(row[k] == v for k, v in desired.items()):
        return dict(row)
    with transaction.atomic(), context.bind(source="system"):
        others = list(OCloud.objects.exclude(id=desired["id"]).values(*specs.OCLOUD.columns))
        OCloud.objects.exclude(id=desired["id"]).delete()
        OCloud.objects.update_or_create(id=desired["id"], defaults=desired)
        new_row = dict(OCloud.objects.filter(id=desired["id"]).values(*specs.OCLOUD.columns).get())
        changes = [
            changelog.Change(specs.OCLOUD.object_type, o["id"], changelog.DELETE, specs.OCLOUD.render(o), None)
            for o in others
        ]
        action = changelog.CREATE if row is None else changelog.MODIFY
        prior = specs.OCLOUD.render(row) if row is not None else None
        changes.append(
            changelog.Change(specs.OCLOUD.object_type, desired["id"], action, prior, specs.OCLOUD.render(new_row))
        )
        changelog.record(changes)
    return new_row

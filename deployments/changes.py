"""O2dms changes into the one change log (inventory.changelog), in the transaction that made them.

Object types: NfDeploymentDescriptor, NfDeployment and NfDeploymentOperation; states are the O2
representation, as a GET of the object returns it with `all_fields`. Listeners registered on the change log
(the notification outbox) see these entries like any inventory change.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import models

from deployments import specs
from deployments.models import Deployment, DeploymentPackage, LifecycleOperation
from inventory.changelog import CREATE, DELETE, MODIFY, Change, record
from netweave.o2.spec import ObjectSpec

_SPEC_BY_MODEL: dict[type[models.Model], ObjectSpec] = {
    DeploymentPackage: specs.NF_DEPLOYMENT_DESCRIPTOR,
    Deployment: specs.NF_DEPLOYMENT,
    LifecycleOperation: specs.NF_DEPLOYMENT_OPERATION,
}


def o2_state(model: type[models.Model], pk: uuid.UUID) -> dict[str, Any] | None:
    spec = _SPEC_BY_MODEL[model]
    row = model._default_manager.filter(pk=pk).values(*spec.columns).first()
    return spec.render(row) if row is not None else None


@contextmanager
def tracked(model: type[models.Model], pk: uuid.UUID, *, plugin_instance: Any = None) -> Iterator[None]:
    """Record whatever the block does to one object (create, modify or delete) as one change-log entry.
    Must run inside the transaction that makes the change; no entry when nothing visible changed."""
    prior = o2_state(model, pk)
    yield
    post = o2_state(model, pk)
    if prior == post:
        return
    action = CREATE if prior is None else DELETE if post is None else MODIFY
    spec = _SPEC_BY_MODEL[model]
    record([Change(spec.object_type, pk, action, prior, post)], plugin_instance=plugin_instance)


def save_tracked(obj: models.Model, *, plugin_instance: Any = None, mutate: Callable[[], None] | None = None) -> None:
    """Apply `mutate` (if any) to a model object and save it, recording the change."""
    with tracked(type(obj), obj.pk, plugin_instance=plugin_instance):
        if mutate is not None:
            mutate()
        obj.save()


__all__ = ["o2_state", "save_tracked", "tracked"]

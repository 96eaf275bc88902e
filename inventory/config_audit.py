"""Configuration changes in the change log: plugin instances, routing rules and secrets, whoever changes them
(the admin, the config import, the REST API), next to the inventory's own changes.

Each save or delete writes one change-log entry in the same transaction, with the ambient change context (who,
from where). The recorded state names every key but never a value that could be sensitive: config values and a
secret's reference and value are replaced by a short digest, so the diff shows *which* keys changed
(config.endpoint: changed), never what they hold. Routing rules and secrets have integer keys; their change-log
object id is a UUID derived from the row's key, stable for the row's life, so a deleted object's history stays
reachable by that id (and by name).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from inventory import changelog
from netweave import context
from plugins.models import PluginInstance, RoutingRule, Secret

NAMESPACE = uuid.UUID("6f1c2d0e-8a43-4c55-9a52-3b1f0e7d9c11")
OBJECT_TYPES = {PluginInstance: "PluginInstance", RoutingRule: "RoutingRule", Secret: "Secret"}


def digest(value: Any) -> str:
    """A value's fingerprint: equal values give equal digests, and nothing of the value can be read back."""
    text = json.dumps(value, sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:12]


def audit_id(obj: Any) -> uuid.UUID:
    if isinstance(obj, PluginInstance):
        return obj.pk
    return uuid.uuid5(NAMESPACE, f"{type(obj).__name__.lower()}:{obj.pk}")


def audit_state(obj: Any) -> dict[str, Any]:
    if isinstance(obj, PluginInstance):
        config = obj.config if isinstance(obj.config, dict) else {}
        return {
            "name": obj.name,
            "category": obj.category,
            "type": obj.plugin_type,
            "enabled": obj.enabled,
            "default": obj.is_default,
            "syncInterval": obj.sync_interval,
            "config": {key: digest(value) for key, value in config.items()},
        }
    if isinstance(obj, RoutingRule):
        return {
            "name": obj.name,
            "category": obj.category,
            "priority": obj.priority,
            "plugin": obj.plugin_instance.name if obj.plugin_instance_id else None,
            "matchType": obj.match_type,
            "mode": obj.mode,
            "conditions": {key: digest(value) for key, value in (obj.conditions or {}).items()},
            "enabled": obj.enabled,
        }
    assert isinstance(obj, Secret)
    return {
        "name": obj.name,
        "description": obj.description,
        "provider": obj.provider,
        "reference": digest(obj.reference) if obj.reference else "",
        "value": digest(obj.ciphertext) if obj.ciphertext else "",
    }


def _previous(sender: type, obj: Any) -> dict[str, Any] | None:
    if obj.pk is None or obj._state.adding:
        return None
    old = sender._default_manager.filter(pk=obj.pk).first()  # type: ignore[attr-defined]
    return audit_state(old) if old is not None else None


def _record(obj: Any, action: str, prior: dict[str, Any] | None, post: dict[str, Any] | None) -> None:
    if prior == post:
        return
    change = changelog.Change(OBJECT_TYPES[type(obj)], audit_id(obj), action, prior, post)
    plugin = obj if isinstance(obj, PluginInstance) and action != changelog.DELETE else None
    # A deleted instance cannot be referenced (its row is gone): the entry keeps its name in object_name.
    with transaction.atomic(), context.bind(plugin_instance_id=None):
        changelog.record([change], plugin_instance=plugin)


@receiver(pre_save, dispatch_uid="netweave-config-audit-pre")
def _before_save(sender: type, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if sender in OBJECT_TYPES and not raw:
        instance._audit_prior = _previous(sender, instance)


@receiver(post_save, dispatch_uid="netweave-config-audit-save")
def _after_save(sender: type, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if sender not in OBJECT_TYPES or raw:
        return
    prior = None if created else getattr(instance, "_audit_prior", None)
    action = changelog.CREATE if created or prior is None else changelog.MODIFY
    _record(instance, action, prior, audit_state(instance))


@receiver(post_delete, dispatch_uid="netweave-config-audit-delete")
def _after_delete(sender: type, instance: Any, **kwargs: Any) -> None:
    if sender in OBJECT_TYPES:
        _record(instance, changelog.DELETE, audit_state(instance), None)

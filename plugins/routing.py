"""Which plugin instance handles a request: the seed's routing semantics over RoutingRule rows.

Rules of the category that are enabled and whose instance is enabled are tried highest priority first (ties by
name). A rule matches when its `match_type` is "*" or equals the requested type (resource type for IMS, package
type for DMS) and its conditions hold:

- `conditions.labels`: every label must be present in the request's labels with an equal value;
- any other key (a flag such as `gitOps: true`): must equal the request's attribute of that name.

When no rule matches, the category's default instance (is_default, enabled) is used; otherwise `NoRoute`.

DMS requests also consider the SMO rules with `mode: dms-backend` (the seed's dual-mode SMO plugins): such a rule
names an SMO instance whose plugin runs O2dms deployments itself (`SMOPlugin.dms_backend()`), matches by
`packageType` (its `match_type`) and conditions like a DMS rule, and takes its place among them by priority.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from plugins.models import PluginInstance, RoutingRule
from plugins.sdk.base import PluginCategory
from plugins.sdk.errors import PluginError

ANY_TYPE = "*"
LABELS_CONDITION = "labels"
DMS_BACKEND_MODE = "dms-backend"

_TYPE_WORD = {PluginCategory.IMS.value: "resource type", PluginCategory.DMS.value: "package type"}


class NoRoute(PluginError):
    """No enabled routing rule matched and the category has no usable default instance."""

    status = 503
    title = "No plugin instance for this request"

    def __init__(
        self,
        detail: str,
        *,
        category: str,
        match_type: str = ANY_TYPE,
        labels: Mapping[str, str] | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.category = category
        self.match_type = match_type
        self.labels = dict(labels or {})
        self.attributes = dict(attributes or {})


@dataclass(frozen=True)
class RouteDecision:
    instance: PluginInstance
    rule: RoutingRule | None
    explanation: str


def _show(value: Mapping[str, Any]) -> str:
    return json.dumps(dict(value), sort_keys=True, default=str)


def _label_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _conditions_hold(conditions: Any, labels: Mapping[str, str], attributes: Mapping[str, Any]) -> bool:
    if not conditions:
        return True
    if not isinstance(conditions, Mapping):
        return False  # malformed conditions never match (import validation rejects them)
    for key, expected in conditions.items():
        if key == LABELS_CONDITION:
            if not isinstance(expected, Mapping):
                return False
            for label, value in expected.items():
                if label not in labels:
                    return False
                actual = labels[label]
                if actual != value and actual != _label_text(value):
                    return False
        elif key not in attributes or attributes[key] != expected:
            return False
    return True


def rule_matches(rule: RoutingRule, match_type: str, labels: Mapping[str, str], attributes: Mapping[str, Any]) -> bool:
    """Whether one rule's type and conditions match a request (ignoring enabled flags)."""
    if rule.match_type != ANY_TYPE and rule.match_type != match_type:
        return False
    return _conditions_hold(rule.conditions, labels, attributes)


def _describe_request(category: str, match_type: str, labels: Mapping[str, str], attributes: Mapping[str, Any]) -> str:
    type_word = _TYPE_WORD.get(category, "type")
    return (
        f"{category} request for {type_word} '{match_type}' "
        f"with labels {_show(labels)} and attributes {_show(attributes)}"
    )


def route(
    category: str,
    *,
    match_type: str = ANY_TYPE,
    labels: Mapping[str, str] | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> RouteDecision:
    """The plugin instance for a request, the rule that chose it (None for the default) and why."""
    category = str(category)
    labels = labels or {}
    attributes = attributes or {}
    wanted = Q(category=category)
    if category == PluginCategory.DMS.value:
        wanted |= Q(category=PluginCategory.SMO.value, mode=DMS_BACKEND_MODE)
    rules = list(
        RoutingRule.objects.filter(wanted, enabled=True, plugin_instance__enabled=True)
        .select_related("plugin_instance")
        .order_by("-priority", "name")
    )
    for rule in rules:
        if rule_matches(rule, match_type, labels, attributes):
            conditions = f" and conditions {_show(rule.conditions)}" if rule.conditions else ""
            smo = rule.category != category
            what = f"SMO rule '{rule.name}' (mode {DMS_BACKEND_MODE}, " if smo else f"Rule '{rule.name}' ("
            explanation = (
                f"{what}priority {rule.priority}) matched: "
                f"{_TYPE_WORD.get(category, 'type')} '{rule.match_type}'{conditions}; "
                f"routed to '{rule.plugin_instance.name}'{' (the SMO instance as DMS backend)' if smo else ''}."
            )
            return RouteDecision(rule.plugin_instance, rule, explanation)
    checked = f"none of {len(rules)} enabled {category} rules matched" if rules else f"no enabled {category} rules"
    default = PluginInstance.objects.filter(category=category, is_default=True).first()
    if default is not None and default.enabled:
        return RouteDecision(
            default, None, f"No rule matched ({checked}); using the default {category} instance '{default.name}'."
        )
    if default is not None:
        why = f"the default {category} instance '{default.name}' is disabled"
    else:
        why = f"there is no default {category} instance"
    raise NoRoute(
        f"No plugin instance for the {_describe_request(category, match_type, labels, attributes)}: "
        f"{checked} and {why}.",
        category=category,
        match_type=match_type,
        labels=labels,
        attributes=attributes,
    )


def route_smo(name: str | None = None) -> RouteDecision:
    """The SMO instance to use: the one named, else the SMO default (SMO plugins are not routed by rules)."""
    category = PluginCategory.SMO.value
    if name:
        instance = PluginInstance.objects.filter(category=category, name=name).first()
        if instance is None:
            known = ", ".join(PluginInstance.objects.filter(category=category).values_list("name", flat=True))
            raise NoRoute(
                f"SMO plugin instance '{name}' not found (SMO instances: {known or 'none'}).", category=category
            )
        if not instance.enabled:
            raise NoRoute(f"SMO plugin instance '{name}' is disabled.", category=category)
        return RouteDecision(instance, None, f"SMO instance '{name}' was asked for by name.")
    default = PluginInstance.objects.filter(category=category, is_default=True).first()
    if default is None:
        raise NoRoute("No SMO plugin instance named and there is no default SMO instance.", category=category)
    if not default.enabled:
        raise NoRoute(f"No SMO plugin instance named and the default '{default.name}' is disabled.", category=category)
    return RouteDecision(default, None, f"No SMO instance named; using the default SMO instance '{default.name}'.")


__all__ = ["ANY_TYPE", "NoRoute", "RouteDecision", "route", "route_smo", "rule_matches"]

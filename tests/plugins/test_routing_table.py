"""Routing: the seed's semantics, table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from plugins.models import PluginInstance, RoutingRule
from plugins.routing import NoRoute, route, route_smo

pytestmark = pytest.mark.django_db


@pytest.fixture
def table() -> None:
    def inst(name: str, category: str, *, default: bool = False, enabled: bool = True) -> PluginInstance:
        return PluginInstance.objects.create(
            name=name, category=category, plugin_type="x", is_default=default, enabled=enabled
        )

    def rule(name: str, category: str, plugin: PluginInstance, priority: int, match: str = "*", **kw: Any) -> None:
        RoutingRule.objects.create(
            name=name, category=category, plugin_instance=plugin, priority=priority, match_type=match, **kw
        )

    inst("kubernetes", "ims", default=True)
    openstack = inst("openstack-nfv", "ims")
    dtias = inst("dtias-edge", "ims")
    off = inst("retired", "ims", enabled=False)
    rule("openstack-nfv-resources", "ims", openstack, 100, conditions={"labels": {"infrastructure.type": "openstack"}})
    rule("bare-metal-edge", "ims", dtias, 95, conditions={"labels": {"infrastructure.type": "bare-metal"}})
    rule("compute-to-openstack", "ims", openstack, 50, "compute")
    rule("switched-off", "ims", dtias, 200, enabled=False)
    rule("to-disabled-instance", "ims", off, 150)
    rule("b-tie", "ims", dtias, 10, conditions={"labels": {"tie": "yes"}})
    rule("a-tie", "ims", openstack, 10, conditions={"labels": {"tie": "yes"}})
    rule("two-labels", "ims", dtias, 60, conditions={"labels": {"zone": "z1", "tier": 1}})

    helm = inst("helm-deployer", "dms", default=True)
    argocd = inst("argocd-gitops", "dms")
    onap = inst("onap-lcm", "dms")
    flux = inst("flux-gitops", "dms")
    rule("gitops-argocd", "dms", argocd, 100, "git-repo", conditions={"gitOps": True})
    rule("gitops-flux", "dms", flux, 110, "git-repo", conditions={"gitOps": True, "labels": {"gitops.engine": "flux"}})
    rule("onap-services", "dms", onap, 95, "onap-service")
    rule("default-helm", "dms", helm, 1, "helm-chart")


CASES = [
    # id, category, type, labels, attributes, expected instance, expected rule
    (
        "label-openstack",
        "ims",
        "*",
        {"infrastructure.type": "openstack"},
        {},
        "openstack-nfv",
        "openstack-nfv-resources",
    ),
    ("label-bare-metal", "ims", "*", {"infrastructure.type": "bare-metal"}, {}, "dtias-edge", "bare-metal-edge"),
    ("exact-type", "ims", "compute", {}, {}, "openstack-nfv", "compute-to-openstack"),
    (
        "priority-beats-type",
        "ims",
        "compute",
        {"infrastructure.type": "bare-metal"},
        {},
        "dtias-edge",
        "bare-metal-edge",
    ),
    (
        "wildcard-rule-any-type",
        "ims",
        "storage",
        {"infrastructure.type": "openstack"},
        {},
        "openstack-nfv",
        "openstack-nfv-resources",
    ),
    ("label-value-differs", "ims", "*", {"infrastructure.type": "vmware"}, {}, "kubernetes", None),
    (
        "extra-labels-fine",
        "ims",
        "*",
        {"infrastructure.type": "openstack", "x": "y"},
        {},
        "openstack-nfv",
        "openstack-nfv-resources",
    ),
    ("all-labels-needed", "ims", "*", {"zone": "z1"}, {}, "kubernetes", None),
    ("all-labels-present", "ims", "*", {"zone": "z1", "tier": "1"}, {}, "dtias-edge", "two-labels"),
    ("tie-by-name", "ims", "*", {"tie": "yes"}, {}, "openstack-nfv", "a-tie"),
    ("no-rule-default", "ims", "storage", {}, {}, "kubernetes", None),
    ("flag-true", "dms", "git-repo", {}, {"gitOps": True}, "argocd-gitops", "gitops-argocd"),
    ("flag-and-label", "dms", "git-repo", {"gitops.engine": "flux"}, {"gitOps": True}, "flux-gitops", "gitops-flux"),
    ("label-without-flag", "dms", "git-repo", {"gitops.engine": "flux"}, {}, "helm-deployer", None),
    ("flag-false", "dms", "git-repo", {}, {"gitOps": False}, "helm-deployer", None),
    ("flag-absent", "dms", "git-repo", {}, {}, "helm-deployer", None),
    ("flag-right-wrong-type", "dms", "helm-chart", {}, {"gitOps": True}, "helm-deployer", "default-helm"),
    ("package-type", "dms", "onap-service", {}, {}, "onap-lcm", "onap-services"),
    ("package-type-helm", "dms", "helm-chart", {}, {}, "helm-deployer", "default-helm"),
    ("any-type-request", "dms", "*", {}, {}, "helm-deployer", None),
]


@pytest.mark.usefixtures("table")
@pytest.mark.parametrize(
    ("category", "match_type", "labels", "attributes", "instance", "rule"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_route(
    category: str, match_type: str, labels: dict[str, str], attributes: dict[str, Any], instance: str, rule: str | None
) -> None:
    decision = route(category, match_type=match_type, labels=labels, attributes=attributes)
    assert decision.instance.name == instance
    assert (decision.rule.name if decision.rule else None) == rule
    if rule:
        assert decision.explanation.startswith(f"Rule '{rule}' (priority ")
        assert f"routed to '{instance}'" in decision.explanation
    else:
        assert f"using the default {category} instance '{instance}'" in decision.explanation


@pytest.mark.usefixtures("table")
def test_disabled_rules_and_instances_are_skipped() -> None:
    # "switched-off" (200) and "to-disabled-instance" (150) would match anything.
    decision = route("ims", match_type="storage")
    assert decision.rule is None
    assert "none of 6 enabled ims rules matched" in decision.explanation


@pytest.mark.usefixtures("table")
def test_no_default_means_no_route_naming_the_request() -> None:
    PluginInstance.objects.filter(name="helm-deployer").update(is_default=False)
    with pytest.raises(NoRoute) as raised:
        route("dms", match_type="git-repo", labels={"site": "a"}, attributes={"gitOps": False})
    message = str(raised.value)
    assert "dms request for package type 'git-repo'" in message
    assert 'labels {"site": "a"}' in message
    assert 'attributes {"gitOps": false}' in message
    assert "there is no default dms instance" in message
    assert raised.value.status == 503


@pytest.mark.usefixtures("table")
def test_disabled_default_means_no_route() -> None:
    PluginInstance.objects.filter(name="kubernetes").update(enabled=False)
    with pytest.raises(NoRoute, match="the default ims instance 'kubernetes' is disabled"):
        route("ims", match_type="storage")


def test_empty_category() -> None:
    with pytest.raises(NoRoute, match="no enabled observability rules and there is no default observability instance"):
        route("observability")


def test_route_smo() -> None:
    onap = PluginInstance.objects.create(name="onap", category="smo", plugin_type="x", is_default=True)
    PluginInstance.objects.create(name="osm", category="smo", plugin_type="x")
    PluginInstance.objects.create(name="old", category="smo", plugin_type="x", enabled=False)
    assert route_smo(None).instance == onap
    assert "default SMO instance 'onap'" in route_smo().explanation
    assert route_smo("osm").instance.name == "osm"
    with pytest.raises(NoRoute, match="SMO plugin instance 'nope' not found \\(SMO instances: old, onap, osm\\)"):
        route_smo("nope")
    with pytest.raises(NoRoute, match="'old' is disabled"):
        route_smo("old")
    PluginInstance.objects.filter(name="onap").update(is_default=False)
    with pytest.raises(NoRoute, match="no default SMO instance"):
        route_smo()

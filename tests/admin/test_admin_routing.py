"""RoutingRule admin and its "Which plugin would handle this?" simulator."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from plugins.admin import parse_labels
from plugins.models import PluginInstance, RoutingRule

pytestmark = pytest.mark.django_db

SIMULATE_URL = reverse("admin:plugins_routingrule_simulate")


@pytest.fixture
def rules() -> RoutingRule:
    default = PluginInstance.objects.create(name="k8s", category="dms", plugin_type="helm", is_default=True)
    argo = PluginInstance.objects.create(name="argo", category="dms", plugin_type="argocd")
    RoutingRule.objects.create(name="catch-all", category="dms", priority=1, plugin_instance=default, match_type="cnf")
    return RoutingRule.objects.create(
        name="gitops-edge",
        category="dms",
        priority=100,
        plugin_instance=argo,
        match_type="*",
        conditions={"gitOps": True, "labels": {"site": "edge"}},
    )


def test_changelist_lists_rules_and_links_the_simulator(admin_client: Client, rules: RoutingRule) -> None:
    html = admin_client.get(reverse("admin:plugins_routingrule_changelist")).content.decode()
    assert SIMULATE_URL in html
    assert "gitops-edge" in html
    assert "argo" in html
    assert "&quot;gitOps&quot;: true" in html


def test_simulator_shows_the_matching_rule(admin_client: Client, rules: RoutingRule) -> None:
    response = admin_client.get(
        SIMULATE_URL,
        {"category": "dms", "match_type": "cnf", "labels": "site=edge\nzone = a", "attributes": '{"gitOps": true}'},
    )
    assert response.status_code == 200
    outcome = response.context["outcome"]
    assert outcome["instance"].name == "argo"
    assert outcome["rule"] == rules
    html = response.content.decode()
    assert "gitops-edge" in html
    assert "Rule &#x27;gitops-edge&#x27; (priority 100) matched" in html


def test_simulator_falls_back_to_the_default(admin_client: Client, rules: RoutingRule) -> None:
    response = admin_client.get(SIMULATE_URL, {"category": "dms", "match_type": "vnf", "labels": "", "attributes": ""})
    outcome = response.context["outcome"]
    assert outcome["instance"].name == "k8s"
    assert outcome["rule"] is None
    assert "default (no rule matched)" in response.content.decode()


def test_simulator_shows_no_route(admin_client: Client, rules: RoutingRule) -> None:
    response = admin_client.get(SIMULATE_URL, {"category": "ims", "match_type": "*"})
    assert "No plugin instance for the ims request" in response.context["outcome"]["error"]
    assert 'id="route-error"' in response.content.decode()


def test_simulator_rejects_malformed_input(admin_client: Client) -> None:
    response = admin_client.get(
        SIMULATE_URL, {"category": "dms", "match_type": "*", "labels": "oops", "attributes": "[1]"}
    )
    form = response.context["form"]
    assert form.errors["labels"][0] == "labels, line 1: expected key=value, got 'oops'."
    assert "JSON object" in form.errors["attributes"][0]
    assert response.context["outcome"] is None


def test_simulator_names_a_parameter_it_does_not_take_as_sent(admin_client: Client, rules: RoutingRule) -> None:
    response = admin_client.get(SIMULATE_URL, {"category": "dms", "match_type": "*", "label": "site=edge"})
    assert response.context["outcome"] is None
    errors = response.context["form"].non_field_errors()
    assert errors == ["Unknown parameter 'label'; this form takes category, match_type, labels, attributes."]
    assert "Unknown parameter &#x27;label&#x27;" in response.content.decode()


def test_parse_labels() -> None:
    assert parse_labels("a=1\n\n b = two=2 \n") == {"a": "1", "b": "two=2"}


def test_rule_form_rejects_instance_of_another_category(admin_client: Client, rules: RoutingRule) -> None:
    ims = PluginInstance.objects.create(name="ims-1", category="ims", plugin_type="mock")
    response = admin_client.post(
        reverse("admin:plugins_routingrule_add"),
        {
            "name": "r",
            "category": "dms",
            "priority": "0",
            "plugin_instance": str(ims.pk),
            "match_type": "*",
            "conditions": "{}",
            "enabled": "on",
        },
    )
    assert response.status_code == 200
    assert "is a ims instance" in " ".join(response.context["adminform"].form.errors["plugin_instance"])


def test_dms_backend_mode_only_on_smo_types_that_run_deployments() -> None:
    from plugins.admin import RoutingRuleForm

    custom = PluginInstance.objects.create(name="vendor", category="smo", plugin_type="custom", config={})
    onap = PluginInstance.objects.create(name="onap", category="smo", plugin_type="onap", config={})
    data = {"name": "r", "category": "smo", "priority": 1, "match_type": "onap-service", "mode": "dms-backend"}
    refused = RoutingRuleForm(data={**data, "plugin_instance": custom.pk, "conditions": "{}", "enabled": True})
    assert not refused.is_valid()
    assert "is not a DMS backend" in str(refused.errors["mode"])
    accepted = RoutingRuleForm(data={**data, "plugin_instance": onap.pk, "conditions": "{}", "enabled": True})
    assert accepted.is_valid(), accepted.errors
    wrong = RoutingRuleForm(
        data={**data, "category": "dms", "plugin_instance": onap.pk, "conditions": "{}", "enabled": True}
    )
    assert not wrong.is_valid()
    assert "Only SMO rules have a mode" in str(wrong.errors["mode"])

"""The operators' and auditors' admin in a real browser: adding plugins through the schema form (a Kubernetes
instance with a multi-line kubeconfig), importing with a preview, the change-log search and CSV export, the
routing simulator, and pausing and resuming a subscription's delivery."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from inventory.models import ChangeLogEntry, Subscription
from inventory.sync import sync_instance
from plugins.models import PluginInstance, RoutingRule, Secret
from plugins.secrets import resolve

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- cluster: {server: 'https://10.0.0.1:6443', insecure-skip-tls-verify: true}
  name: edge
contexts:
- context: {cluster: edge, user: netweave}
  name: edge
current-context: edge
users:
- name: netweave
  user: {token: not-a-real-token}
"""


def _text(browser: Any) -> str:
    return browser.find_element(By.TAG_NAME, "body").text


def _after(browser: Any, css: str) -> Any:
    """The element once the page that has it is loaded (a click's navigation may still be under way)."""
    return WebDriverWait(browser, 20).until(lambda b: b.find_element(By.CSS_SELECTOR, css))


def test_add_a_kubernetes_plugin_with_a_kubeconfig_through_the_form(
    browser: Any, admin_session: Any, shot: Any
) -> None:
    admin_session("/admin/plugins/plugininstance/add/")
    assert "choose its type" in browser.title.lower() or "choose" in _text(browser).lower()
    shot("01-choose-type")
    browser.find_element(By.CSS_SELECTOR, 'a[href="?type=ims.kubernetes"]').click()
    assert browser.find_element(By.NAME, "config__namespace").get_attribute("value") == "default"
    assert browser.find_element(By.NAME, "config__poolMode").get_attribute("value") == "auto"
    browser.find_element(By.NAME, "name").send_keys("k8s-edge")
    browser.find_element(By.NAME, "sync_interval").clear()
    browser.find_element(By.NAME, "sync_interval").send_keys("0")
    browser.find_element(By.NAME, "secret__kubeconfig").send_keys(KUBECONFIG)
    shot("02-kubernetes-form")
    browser.find_element(By.NAME, "_save").click()
    assert "was added successfully" in _after(browser, "ul.messagelist").text, _text(browser)[:2000]
    shot("03-added")
    instance = PluginInstance.objects.get(name="k8s-edge")
    assert instance.config == {"kubeconfig": {"secretRef": "k8s-edge-kubeconfig"}}
    assert resolve(Secret.objects.get(name="k8s-edge-kubeconfig")) == KUBECONFIG  # every line, as typed
    assert "not-a-real-token" not in browser.page_source


def test_add_a_mock_plugin_through_the_schema_form(browser: Any, admin_session: Any, tmp_path: Path) -> None:
    admin_session("/admin/plugins/plugininstance/add/?type=ims.mock")
    browser.find_element(By.NAME, "name").send_keys("mock-edge")
    browser.find_element(By.NAME, "config__stateFile").send_keys(str(tmp_path / "m.sqlite3"))
    resources = browser.find_element(By.NAME, "config__resources")
    resources.clear()
    resources.send_keys("2000000")
    churn_rate = browser.find_element(By.NAME, "config__churn__changesPerMinute")  # a nested block's own input
    assert churn_rate.get_attribute("value") == "6"
    churn_rate.clear()
    churn_rate.send_keys("7000")
    browser.find_element(By.NAME, "_save").click()
    assert "less than or equal to 1000000" in _after(browser, ".errorlist").text
    churn_row = browser.find_element(By.CSS_SELECTOR, ".form-row.field-config__churn__changesPerMinute")
    assert "churn.changesPerMinute: Ensure this value is less than or equal to 6000." in churn_row.text
    resources = browser.find_element(By.NAME, "config__resources")
    resources.clear()
    resources.send_keys("12")
    churn_rate = browser.find_element(By.NAME, "config__churn__changesPerMinute")
    churn_rate.clear()
    churn_rate.send_keys("12")
    browser.find_element(By.NAME, "config__churn__enabled").click()
    browser.find_element(By.NAME, "_save").click()
    assert "was added successfully" in _after(browser, "ul.messagelist").text, _text(browser)[:2000]
    assert PluginInstance.objects.get(name="mock-edge").config == {
        "resources": 12,
        "stateFile": str(tmp_path / "m.sqlite3"),
        "churn": {"enabled": True, "changesPerMinute": 12},
    }


def test_import_with_preview(browser: Any, admin_session: Any, shot: Any, tmp_path: Path) -> None:
    PluginInstance.objects.create(
        name="old-dms", category="dms", plugin_type="mock", config={"stateFile": str(tmp_path / "o")}
    )
    document = f"plugins:\n  dms:\n    - {{name: new-dms, type: mock, config: {{stateFile: '{tmp_path / 'n'}'}}}}\n"
    admin_session("/admin/plugins/plugininstance/")
    browser.find_element(By.ID, "import-config").click()
    browser.find_element(By.NAME, "document").send_keys(document)
    browser.find_element(By.NAME, "prune").click()
    browser.find_element(By.ID, "import-preview").click()
    plan = _after(browser, "#import-plan-text").text
    assert "create plugin instance new-dms (dms.mock)" in plan
    assert "remove plugin instance old-dms" in plan
    shot("04-import-preview")
    assert not PluginInstance.objects.filter(name="new-dms").exists()
    browser.find_element(By.ID, "import-apply").click()  # the removal is not ticked: refused
    assert "Tick each removal" in _after(browser, "#import-refused").text
    assert PluginInstance.objects.filter(name="old-dms").exists()
    browser.find_element(By.CSS_SELECTOR, "#import-removals input[type=checkbox]").click()
    browser.find_element(By.ID, "import-apply").click()
    assert "Imported:" in _after(browser, "ul.messagelist").text, _text(browser)[:2000]
    assert list(PluginInstance.objects.values_list("name", flat=True)) == ["new-dms"]


def test_change_log_search_and_csv_export(
    browser: Any, admin_session: Any, make_mock_instance: Any, downloads: Path, shot: Any
) -> None:
    sync_instance(make_mock_instance("edge-audit"))
    pool = ChangeLogEntry.objects.filter(object_type="ResourcePoolInfo").first()
    assert pool is not None
    admin_session("/admin/inventory/changelogentry/")
    box = browser.find_element(By.ID, "searchbar")
    box.send_keys(pool.object_name)
    box.submit()
    day = pool.time.date().isoformat()
    browser.execute_script(
        "document.querySelector('#time-range input[name=time_from]').value = arguments[0];"
        "document.querySelector('#time-range input[name=time_to]').value = arguments[0];",
        day,
    )
    browser.find_element(By.CSS_SELECTOR, "#time-range input[type=submit]").click()
    WebDriverWait(browser, 20).until(lambda b: "time_from" in b.current_url)
    assert pool.object_name in _text(browser)
    assert "sync by edge-audit" in _text(browser)
    shot("05-change-log-search")
    browser.find_element(By.ID, "export-csv").click()
    deadline = time.monotonic() + 20
    files: list[Path] = []
    while time.monotonic() < deadline:
        files = [f for f in downloads.glob("*.csv") if not f.name.endswith(".crdownload")]
        if files:
            break
        time.sleep(0.2)
    assert files, "no CSV was downloaded"
    rows = list(csv.DictReader(files[0].open(encoding="utf-8")))
    assert rows
    assert {r["object_name"] for r in rows} == {pool.object_name}
    assert {r["who"] for r in rows} == {"sync by edge-audit"}


def test_home_is_organised_by_task_with_a_global_search(browser: Any, admin_session: Any, shot: Any) -> None:
    admin_session("/admin/")
    captions = [c.text.lower() for c in browser.find_elements(By.CSS_SELECTOR, "#content-main caption")]
    assert captions[:6] == ["inventory", "deployments", "plugins & routing", "smo", "history", "access"]
    shot("00-admin-home")
    box = browser.find_element(By.CSS_SELECTOR, "#global-search input[name=q]")
    box.send_keys("nothing-is-called-this")
    box.submit()
    assert 'Nothing matches "nothing-is-called-this"' in _after(browser, "#content-main").text


def test_routing_simulator(browser: Any, admin_session: Any, make_mock_instance: Any, shot: Any) -> None:
    edge = make_mock_instance("edge-route", default=False)
    RoutingRule.objects.create(
        name="edge-servers", category="ims", priority=10, plugin_instance=edge, conditions={"labels": {"site": "edge"}}
    )
    admin_session("/admin/plugins/routingrule/")
    browser.find_element(By.CSS_SELECTOR, 'a[href$="/simulate/"]').click()
    browser.find_element(By.NAME, "labels").send_keys("site=edge")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    assert _after(browser, "#route-instance").text.startswith("edge-route")
    assert "edge-servers" in browser.find_element(By.ID, "route-rule").text
    shot("06-routing-simulator")


def test_pause_and_resume_a_subscription(browser: Any, admin_session: Any, shot: Any) -> None:
    subscription = Subscription.objects.create(callback="https://smo.example.com/notify", fingerprint="f" * 64)
    admin_session("/admin/inventory/subscription/")
    browser.find_element(By.CSS_SELECTOR, f'input[name=_selected_action][value="{subscription.pk}"]').click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("pause_delivery")
    browser.find_element(By.NAME, "index").click()
    assert "Paused delivery to 1 subscription(s)" in _after(browser, "ul.messagelist").text
    assert "paused since" in browser.find_element(By.CSS_SELECTOR, "td.field-delivery_state").text
    shot("07-subscription-paused")
    subscription.refresh_from_db()
    assert subscription.paused is not None
    browser.find_element(By.LINK_TEXT, str(subscription.pk)).click()
    _after(browser, "#resume-delivery").click()
    assert "Resumed delivery to 1 subscription(s)" in _after(browser, "ul.messagelist").text
    assert browser.find_element(By.ID, "pause-delivery").is_displayed()
    subscription.refresh_from_db()
    assert subscription.paused is None

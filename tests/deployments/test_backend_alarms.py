"""A DMS backend that cannot be used raises the O-Cloud's backend alarm on the next deployment refresh, and the
first healthy refresh after that clears it: a helm instance whose kubeconfig points where no API server listens,
then at the real kube-apiserver of the harness; an alarm subscriber is told both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from deployments.tasks import refresh_deployments
from inventory.notifications.receiver import Receiver
from plugins.models import PluginInstance
from tests.alarms.conftest import ALARMS, alarm_subscribe
from tests.o2client import json_of

DEFINITION = "netweave-dms-backend-unreachable"


def backend_alarms(o2: Any) -> list[dict[str, Any]]:
    return json_of(o2.get(f"{ALARMS}?filter=(eq,alarmDefinitionId,{DEFINITION})&all_fields"))


def unreachable_kubeconfig(kubeconfig: Path, tmp_path: Path) -> str:
    """The cluster's kubeconfig with its server moved to a loopback port nothing listens on."""
    config = yaml.safe_load(kubeconfig.read_text())
    for cluster in config["clusters"]:
        cluster["cluster"]["server"] = "https://127.0.0.1:1"
    path = tmp_path / "unreachable.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def test_an_unreachable_cluster_raises_and_recovery_clears(
    o2: Any, helm_dms: PluginInstance, kube_cluster: Any, tmp_path: Path, receiver: Receiver, run_tasks: Any
) -> None:
    alarm_subscribe(o2, receiver.url + "/dms-backends", filter=f"(eq,alarmDefinitionId,{DEFINITION})")
    run_tasks(refresh_deployments.delay)
    assert backend_alarms(o2) == []

    good = dict(helm_dms.config)
    helm_dms.config = {**good, "kubeconfig": unreachable_kubeconfig(Path(kube_cluster.kubeconfig), tmp_path)}
    helm_dms.save()
    run_tasks(refresh_deployments.delay)
    (alarm,) = backend_alarms(o2)
    assert alarm["perceivedSeverity"] == 1
    assert alarm["extensions"]["pluginInstance"] == helm_dms.name
    assert "127.0.0.1:1" in alarm["extensions"]["message"] or "connect" in alarm["extensions"]["message"].lower()
    helm_dms.refresh_from_db()
    assert helm_dms.health_ok is False

    helm_dms.config = good
    helm_dms.save()
    run_tasks(refresh_deployments.delay)
    (cleared,) = backend_alarms(o2)
    assert cleared["perceivedSeverity"] == 5
    helm_dms.refresh_from_db()
    assert helm_dms.health_ok is True
    bodies = receiver.wait_for(lambda b: len(b) >= 2)
    assert [b["notificationEventType"] for b in bodies] == [0, 2]

"""From what a DMS backend reports (plugins.sdk.dms.DeploymentPhase) to the O2dms NfDeployment status."""

from __future__ import annotations

from deployments.models import NfDeploymentState
from plugins.sdk.dms import DeploymentPhase

_BY_PHASE = {
    DeploymentPhase.PENDING_INSTALL: NfDeploymentState.INSTALLING,
    DeploymentPhase.DEPLOYED: NfDeploymentState.INSTALLED,
    DeploymentPhase.PENDING_UPGRADE: NfDeploymentState.UPDATING,
    DeploymentPhase.PENDING_ROLLBACK: NfDeploymentState.UPDATING,
    DeploymentPhase.UNINSTALLING: NfDeploymentState.UNINSTALLING,
}


def state_for_phase(phase: str) -> NfDeploymentState:
    """Failed, superseded (as a current state) and anything unrecognised are abnormal."""
    try:
        return _BY_PHASE.get(DeploymentPhase(phase), NfDeploymentState.ABNORMAL)
    except ValueError:
        return NfDeploymentState.ABNORMAL

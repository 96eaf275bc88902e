"""The Argo CD DMS plugin (CRD mode) against the DMS contract kit, on the real kube-apiserver with Argo CD's own
CRDs; the test plays Argo CD's controller (tests/argocd_harness.py)."""

from __future__ import annotations

import pytest

from plugins.dms.argocd.plugin import ArgoCDDMSPlugin
from tests.deployments.gitref_contract import GitReferenceContract

pytestmark = [pytest.mark.backend, pytest.mark.kubernetes, pytest.mark.argocd]


class TestArgoCDContract(GitReferenceContract):
    plugin_class = ArgoCDDMSPlugin
    controller_fixture = "argo_controller"
    reference_version = "v1.0.0"  # a tag

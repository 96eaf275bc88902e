"""The Flux plugin's Helm half (HelmRepository + HelmRelease) against the DMS contract kit, on the real
kube-apiserver with Flux's own CRDs; the test plays source-controller and helm-controller
(tests/flux_helm_harness.py)."""

from __future__ import annotations

import pytest

from plugins.dms.flux.plugin import FluxDMSPlugin
from tests.deployments.gitref_contract import GitReferenceContract

pytestmark = [pytest.mark.backend, pytest.mark.kubernetes, pytest.mark.flux]


class TestFluxHelmContract(GitReferenceContract):
    plugin_class = FluxDMSPlugin
    controller_fixture = "flux_helm_controller"
    package_type = "helm-chart"
    reference_prefix = "chart-"  # a chart's name
    repository_url = "https://charts.example.com/ran"
    reference_version = "1.2.0"

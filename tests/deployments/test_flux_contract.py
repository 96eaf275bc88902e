"""The Flux DMS plugin against the DMS contract kit, on the real kube-apiserver with Flux's own CRDs; the test
plays Flux's source- and kustomize-controllers (tests/flux_harness.py)."""

from __future__ import annotations

import pytest

from plugins.dms.flux.plugin import FluxDMSPlugin
from tests.deployments.gitref_contract import GitReferenceContract

pytestmark = [pytest.mark.backend, pytest.mark.kubernetes, pytest.mark.flux]


class TestFluxContract(GitReferenceContract):
    plugin_class = FluxDMSPlugin
    controller_fixture = "flux_controller"
    reference_version = "release-1"  # a branch

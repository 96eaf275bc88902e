"""The Crossplane DMS plugin against the DMS contract kit, on the real kube-apiserver with the real Crossplane
core composing the sample XRD's claims and composite resources (tests/crossplane_harness.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plugins.dms.crossplane.plugin import CrossplaneDMSPlugin
from plugins.testing.dms import DMSPluginContract
from tests.crossplane_harness import CLAIM_KIND, COMPOSITION, GROUP, VERSION, XR_KIND, XRD_CONFIG, RealCrossplane

pytestmark = [pytest.mark.backend, pytest.mark.kubernetes, pytest.mark.crossplane]


def claim_template(name: str, kind: str = CLAIM_KIND, version: str = "1.0.0", **parameters: Any) -> bytes:
    params = {"sliceType": "eMBB", "bandwidthMbps": 100, **parameters}
    lines = "".join(f"    {key}: {value}\n" for key, value in params.items())
    return (
        f"apiVersion: {GROUP}/{VERSION}\nkind: {kind}\nmetadata:\n  name: {name}\n"
        f"  annotations:\n    netweave.io/version: '{version}'\nspec:\n  parameters:\n{lines}"
    ).encode()


class TestCrossplaneContract(DMSPluginContract):
    settle_timeout = 30.0
    package_type = "crossplane-claim"

    @pytest.fixture
    def chart_archive(self) -> bytes:
        return claim_template(f"slice-{uuid.uuid4().hex[:8]}")

    @pytest.fixture
    def values_pair(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return {"bandwidthMbps": 200}, {"bandwidthMbps": 500, "site": "edge-paris"}

    @pytest.fixture
    def dms_plugin(
        self, crossplane: RealCrossplane, kube_cluster: Any, tmp_path: Path
    ) -> Iterator[CrossplaneDMSPlugin]:
        plugin = CrossplaneDMSPlugin("crossplane-contract")
        plugin.initialize(
            {"kubeconfig": str(kube_cluster.kubeconfig), "xrd": XRD_CONFIG, "packageDir": str(tmp_path / "claims")}
        )
        yield plugin
        plugin.close()


class TestCrossplaneCompositeContract(TestCrossplaneContract):
    """The same contract with deployments as cluster-scoped composite resources (no claim)."""

    @pytest.fixture
    def chart_archive(self) -> bytes:
        return claim_template(f"xslice-{uuid.uuid4().hex[:8]}", kind=XR_KIND)

    @pytest.fixture
    def dms_plugin(
        self, crossplane: RealCrossplane, kube_cluster: Any, tmp_path: Path
    ) -> Iterator[CrossplaneDMSPlugin]:
        plugin = CrossplaneDMSPlugin("crossplane-composite")
        plugin.initialize(
            {
                "kubeconfig": str(kube_cluster.kubeconfig),
                "xrd": XRD_CONFIG,
                "resource": "composite",
                "compositionRef": COMPOSITION,
                "packageDir": str(tmp_path / "claims"),
            }
        )
        yield plugin
        plugin.close()

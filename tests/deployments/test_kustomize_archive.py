"""The kustomize plugin's pure parts (unit stage): archive safety checks and the inventory mapping."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from plugins.dms.kustomize import mapping
from plugins.dms.kustomize.archive import inspect_kustomization, unpack
from plugins.sdk.dms import DeploymentPhase
from plugins.sdk.errors import InvalidRequest
from plugins.testing.dms import archive

LIMIT = 64 * 1024
BASE = "resources: [deployment.yaml]\n"


def test_reads_name_and_version() -> None:
    content = archive(
        {
            "kustomization.yaml": "metadata:\n  name: edge\n  annotations: {netweave.io/version: '1.2'}\n" + BASE,
            "deployment.yaml": "kind: Deployment\n",
        },
        "folder",
    )
    info = inspect_kustomization(content, max_bytes=LIMIT)
    assert (info.name, info.version, info.top) == ("edge", "1.2", "folder")


def test_unversioned_overlay_is_versioned_by_content() -> None:
    content = archive({"kustomization.yaml": BASE, "deployment.yaml": "kind: Deployment\n"}, "plain")
    info = inspect_kustomization(content, max_bytes=LIMIT)
    assert info.name == "plain"
    assert info.version.startswith("sha-")
    assert len(info.version) == 16


def test_nested_bases_and_components_inside_the_archive_are_accepted(tmp_path: Path) -> None:
    content = archive(
        {
            "kustomization.yaml": "resources: [base]\ncomponents: [../overlay/extra]\n",
            "base/kustomization.yaml": BASE,
            "base/deployment.yaml": "kind: Deployment\n",
        },
        "overlay",
    )
    with pytest.raises(InvalidRequest, match="extra"):  # ../overlay/extra resolves inside, but does not exist
        inspect_kustomization(content, max_bytes=LIMIT)
    good = archive(
        {"kustomization.yaml": "resources: [base]\n", "base/kustomization.yaml": BASE, "base/deployment.yaml": "{}"},
        "overlay",
    )
    folder = unpack(good, tmp_path, max_bytes=LIMIT)
    assert (folder / "base" / "deployment.yaml").is_file()


@pytest.mark.parametrize(
    ("files", "words"),
    [
        ({"kustomization.yaml": "resources: ['github.com/org/repo//x?ref=v1']\n"}, "not a file or folder"),
        ({"kustomization.yaml": "bases: [/etc]\n"}, "not a file or folder"),
        ({"kustomization.yaml": "resources: x\n"}, "must be a list"),
        ({"kustomization.yaml": "- a list\n"}, "must be a YAML mapping"),
        ({"kustomization.yaml": "a: [\n"}, "not valid YAML"),
    ],
)
def test_bad_kustomizations_are_refused(files: dict[str, str], words: str) -> None:
    with pytest.raises(InvalidRequest, match=words) as refused:
        inspect_kustomization(archive(files, "o"), max_bytes=LIMIT, field_name="chart")
    assert refused.value.field == "chart"


def test_size_limits() -> None:
    with pytest.raises(InvalidRequest, match="limit"):
        inspect_kustomization(b"x" * 2048, max_bytes=1024)
    bomb = io.BytesIO()
    with tarfile.open(fileobj=bomb, mode="w:gz") as tar:
        info = tarfile.TarInfo("o/kustomization.yaml")
        info.size = 30 * LIMIT
        tar.addfile(info, io.BytesIO(b" " * info.size))
    with pytest.raises(InvalidRequest, match="20 times"):
        inspect_kustomization(bomb.getvalue(), max_bytes=LIMIT)
    with pytest.raises(InvalidRequest, match="one top-level folder"):
        inspect_kustomization(_two_tops(), max_bytes=LIMIT)


def _two_tops() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in ("a/kustomization.yaml", "b/kustomization.yaml"):
            info = tarfile.TarInfo(name)
            info.size = 2
            tar.addfile(info, io.BytesIO(b"{}"))
    return buffer.getvalue()


def test_wrapper_sets_namespace_label_and_only_overlay_fields() -> None:
    overlay = mapping.wrapper("package", "ns", "nf", {"namePrefix": "a-", "labels": [{"pairs": {"team": "ran"}}]})
    assert overlay["namespace"] == "ns"
    assert overlay["resources"] == ["package"]
    assert overlay["namePrefix"] == "a-"
    assert overlay["labels"] == [
        {"pairs": {"team": "ran"}},
        {"pairs": {mapping.DEPLOYMENT_LABEL: "nf"}, "includeSelectors": False},
    ]
    with pytest.raises(InvalidRequest, match="port") as refused:
        mapping.wrapper("package", "ns", "nf", {"port": 80, "namespace": "other"})
    assert refused.value.field == "values"


def test_revisions_supersede_prune_and_trim() -> None:
    web = {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "ns", "name": "web"}
    svc = {"apiVersion": "v1", "kind": "Service", "namespace": "ns", "name": "web"}
    state = mapping.load_state(None)
    assert mapping.to_deployment("ns", "nf", state).status == DeploymentPhase.PENDING_INSTALL
    for revision in (1, 2, 3):
        objects = [web, svc] if revision == 1 else [web]
        entry = mapping.new_revision(revision, "pkg", {}, objects, DeploymentPhase.DEPLOYED, "")
        dropped = mapping.record(state, entry, max_history=2)
    assert dropped == [1]
    assert [r["revision"] for r in state["revisions"]] == [2, 3]
    assert [r["status"] for r in state["revisions"]] == ["superseded", "deployed"]
    assert mapping.stale([web, svc], [web]) == [svc]
    deployment = mapping.to_deployment("ns", "nf", state)
    assert (deployment.native_id, deployment.revision, deployment.status) == ("ns/nf", 3, "deployed")
    status = mapping.to_status(state, [{**web, "exists": True, "replicas": 2, "readyReplicas": 1}])
    assert status.details == {"Deployment/ns/web": "present, 1/2 ready"}
    assert status.status == "deployed"
    missing = mapping.to_status(state, [{**web, "exists": False}])
    assert (missing.status, missing.message) == ("failed", "1 of 1 applied objects are missing from the cluster.")


def test_native_ids() -> None:
    assert mapping.split_native_id("ns/nf") == ("ns", "nf")
    for bad in ("nf", "/nf", "ns/", "a/b/c"):
        with pytest.raises(InvalidRequest):
            mapping.split_native_id(bad)


def test_sample_config_is_valid() -> None:
    import yaml

    from plugins.dms.kustomize.plugin import KustomizeDMSPlugin

    sample = Path(__file__).resolve().parents[2] / "plugins" / "dms" / "kustomize" / "sample.yaml"
    (block,) = yaml.safe_load(sample.read_text())["plugins"]["dms"]
    config = KustomizeDMSPlugin("sample").validated_config(block["config"])
    assert config["fieldManager"] == "netweave-kustomize"
    with pytest.raises(InvalidRequest):
        KustomizeDMSPlugin("sample").validated_config({"timeout": "soon"})

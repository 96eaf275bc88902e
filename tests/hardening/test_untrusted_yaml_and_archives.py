"""Issue 13 item 3: every YAML text and archive from outside is read within bounds (plugins/sdk/untrusted.py).

A 266-byte alias bomb in a chart's values.yaml used to expand to 1.3 GB once stored; the same in plugins.yaml
took `netweave_config import` to 750 MB. Now both are refused naming the file, and so are gzip bombs, archives
with too many entries or hostile path names, and chart names/versions that Helm would not accept.
"""

from __future__ import annotations

import io
import resource
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from plugins.dms.charts import inspect_chart
from plugins.sdk.errors import InvalidRequest
from plugins.sdk.untrusted import ArchiveLimits, UntrustedInputError, YamlLimits, load_yaml, read_tar_archive
from plugins.testing.dms import MINIMAL_CHART, archive
from tests.deployments.conftest import base

CHART_YAML = "apiVersion: v2\nname: c\nversion: 1.2.3\n"


def alias_bomb(levels: int = 9) -> str:
    """The classic billion-laughs document: each level is a list of nine aliases of the one before."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        refs = ",".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_an_alias_bomb_is_refused_without_expanding_it() -> None:
    bomb = alias_bomb()
    assert len(bomb) < 600
    before = _max_rss_mb()
    with pytest.raises(UntrustedInputError, match=r"values\.yaml: it expands to more than") as excinfo:
        load_yaml(bomb, source="values.yaml", field_name="chart")
    assert excinfo.value.field == "chart"
    assert excinfo.value.source == "values.yaml"
    assert _max_rss_mb() - before < 100  # the document was never built


@pytest.mark.parametrize(
    ("text", "limits", "message"),
    [
        ("a: " + "[" * 200 + "]" * 200, YamlLimits(), "nests deeper than 64"),
        ("a: &x [1]\n" + "".join(f"b{i}: *x\n" for i in range(20)), YamlLimits(max_aliases=10), "more than 10 aliases"),
        ("a: &x [1, *x]\n", YamlLimits(), "recursive"),
        ("a: " + "x" * 200, YamlLimits(max_bytes=100), "larger than the limit of 100 bytes"),
        ("- " + "\n- ".join(["1"] * 500), YamlLimits(max_nodes=100), "more than 100 nodes"),
        ("a: " + "1" * 5000, YamlLimits(), "cannot be read"),  # int() refuses more than 4300 digits
        ("a: [unclosed\n", YamlLimits(), "not valid YAML at line"),
        ("a: 1\n---\nb: 2\n", YamlLimits(), "2 YAML documents"),
    ],
)
def test_yaml_limits(text: str, limits: YamlLimits, message: str) -> None:
    with pytest.raises(UntrustedInputError, match=message):
        load_yaml(text, source="f.yaml", limits=limits)


def test_ordinary_yaml_with_a_few_aliases_still_loads() -> None:
    assert load_yaml("base: &b {x: 1}\nother: *b\nempty:\n", source="v.yaml") == {
        "base": {"x": 1},
        "other": {"x": 1},
        "empty": None,
    }
    assert load_yaml("", source="v.yaml") is None


def _tar_gz(members: list[tarfile.TarInfo], *, data: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for member in members:
            tar.addfile(member, io.BytesIO(data) if member.size else None)
    return buffer.getvalue()


def _file(name: str, size: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    return info


def _pax_bomb() -> tarfile.TarInfo:
    """A member whose extended header alone inflates to 3 MB (headers count towards the unpacked size)."""
    info = _file("c/a")
    info.pax_headers = {"comment": "x" * 3_000_000}
    return info


LIMITS = ArchiveLimits(max_compressed_bytes=100_000, max_unpacked_bytes=1_000_000, max_entries=50)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_tar_gz([_pax_bomb()]), "unpacks to more than 1000000 bytes"),
        (_tar_gz([_file("c/big", 2_000_000)], data=b"\0" * 2_000_000), "unpacks to more than"),
        (_tar_gz([_file(f"c/f{i}") for i in range(60)]), "more than 50 entries"),
        (_tar_gz([_file("c/" + "x" * 2000)]), "longer than 1024 characters"),
        (_tar_gz([_file("c/" + "x" * 300)]), "file name longer than 255"),
        (_tar_gz([_file("c/a\x01b")]), "control character"),
        (_tar_gz([_file("c\\..\\..\\evil")]), "backslash"),
        (_tar_gz([_file("c/../../evil")]), "leaving its folder"),
        (b"\0" * 200_000, "the archive is 200000 bytes"),
    ],
    ids=[
        "pax-header-bomb",
        "declared-size",
        "entries",
        "path-length",
        "name-length",
        "control",
        "backslash",
        "dotdot",
        "compressed-size",
    ],
)
def test_archive_limits(content: bytes, message: str) -> None:
    with pytest.raises(UntrustedInputError, match=message) as excinfo:
        read_tar_archive(content, source="pkg.tgz", limits=LIMITS, field_name="body")
    assert str(excinfo.value).startswith("pkg.tgz: ")
    assert excinfo.value.field == "body"


def test_a_kept_file_is_bounded_and_the_rest_only_listed() -> None:
    content = _tar_gz([_file("c/a.yaml", 10), _file("c/b.bin", 10)], data=b"0123456789")
    read = read_tar_archive(content, source="p", limits=LIMITS, keep=lambda p: p.endswith(".yaml"))
    assert read.files == {"c/a.yaml": b"0123456789"}
    assert [e.path for e in read.entries] == ["c/a.yaml", "c/b.bin"]
    with pytest.raises(UntrustedInputError, match=r"c/a\.yaml is 10 bytes; the limit is 5"):
        read_tar_archive(content, source="p", limits=LIMITS, keep=lambda p: True, max_kept_file_bytes=5)


@pytest.mark.parametrize(
    ("name", "version", "message"),
    [
        ("../../etc", "1.0.0", "not a Helm chart name"),
        ("a/b", "1.0.0", "not a Helm chart name"),
        ('"a\\0b"', "1.0.0", "not a Helm chart name"),
        ("Upper", "1.0.0", "not a Helm chart name"),
        ("x" * 100_000, "1.0.0", "100000 characters long"),
        ("x" * 300, "1.0.0", "300 characters long"),
        ("ok", "../1", "not a SemVer 2"),
        ("ok", '"1.0.0\\0"', "not a SemVer 2"),
        ("ok", "1.0", "not a SemVer 2"),
        ("ok", "1.0.0-" + "a" * 100, "characters long"),
    ],
)
def test_chart_name_and_version_follow_helm(name: str, version: str, message: str) -> None:
    content = archive({"Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: {version}\n"}, "c")
    with pytest.raises(InvalidRequest, match=message):
        inspect_chart(content, max_bytes=1_000_000)


def test_valid_helm_names_and_versions_pass() -> None:
    for name, version in [("nginx", "1.2.3"), ("my-chart.v2", "0.1.0-rc.1+build.5"), ("a1", "10.20.30")]:
        content = archive({"Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: {version}\n"}, "c")
        assert inspect_chart(content, max_bytes=1_000_000).version == version


def bomb_chart() -> bytes:
    return archive(
        {**MINIMAL_CHART, "Chart.yaml": "apiVersion: v2\nname: bomb\nversion: 0.1.0\n", "values.yaml": alias_bomb()},
        "bomb",
    )


def test_an_uploaded_chart_with_an_alias_bomb_is_a_400_naming_values_yaml(o2: Any, manager: Any, mock_dms: Any) -> None:
    response = o2.post(f"{base(manager)}/NfDeploymentDescriptor", bomb_chart(), content_type="application/gzip")
    assert response.status_code == 400, response.content
    problem = response.json()
    assert "values.yaml" in problem["detail"]
    assert "expands to more than" in problem["detail"]
    assert response["Content-Type"].startswith("application/problem+json")
    listing = o2.get(f"{base(manager)}/NfDeploymentDescriptor").json()
    assert listing == []


def test_an_uploaded_chart_named_with_dots_and_slashes_is_refused(o2: Any, manager: Any, mock_dms: Any) -> None:
    content = archive({"Chart.yaml": "apiVersion: v2\nname: ../../x\nversion: 0.1.0\n", **MINIMAL_CHART}, "x")
    response = o2.post(f"{base(manager)}/NfDeploymentDescriptor", content, content_type="application/gzip")
    assert response.status_code == 400
    assert "not a Helm chart name" in response.json()["detail"]


@pytest.mark.django_db
def test_config_import_refuses_an_alias_bomb_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "plugins.yaml"
    path.write_text(alias_bomb())
    before = _max_rss_mb()
    with pytest.raises(CommandError, match=rf"{path}: it expands to more than"):
        call_command("netweave_config", "import", str(path))
    assert _max_rss_mb() - before < 100


@pytest.mark.django_db
def test_config_import_refuses_an_oversized_file(tmp_path: Path) -> None:
    path = tmp_path / "plugins.yaml"
    path.write_text("# " + "x" * (5 * 1024 * 1024))
    with pytest.raises(CommandError, match="larger than the limit"):
        call_command("netweave_config", "import", str(path))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"artifactName": "--kubeconfig=/etc/passwd"}, "artifactName"),
        ({"artifactName": "../../x"}, "artifactName"),
        ({"artifactName": "ok", "version": "--devel"}, "version"),
    ],
)
def test_a_chart_reference_is_checked_before_helm_sees_it(
    o2: Any, manager: Any, mock_dms: Any, body: dict[str, str], field: str
) -> None:
    response = o2.post(
        f"{base(manager)}/NfDeploymentDescriptor", {"artifactRepoUrl": "https://charts.example.com", **body}
    )
    assert response.status_code == 400, response.content
    assert response.json()["additionalAttributes"]["field"] == field

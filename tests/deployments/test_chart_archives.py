"""Chart archive validation (plugins/dms/charts.py): only a real chart, within limits, that cannot escape its
folder when unpacked."""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Callable

import pytest

from plugins.dms.charts import inspect_chart
from plugins.sdk.errors import InvalidRequest
from plugins.testing.dms import archive, minimal_chart_archive

CHART_YAML = "apiVersion: v2\nname: c\nversion: 1.2.3\nappVersion: '9'\n"


def _tar(add: Callable[[tarfile.TarFile], None]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        data = CHART_YAML.encode()
        info = tarfile.TarInfo("c/Chart.yaml")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        add(tar)
    return buffer.getvalue()


def test_a_real_chart_is_read() -> None:
    chart = inspect_chart(archive({"Chart.yaml": CHART_YAML, "values.yaml": "a: 1\n"}, "c"), max_bytes=10_000)
    assert (chart.name, chart.version, chart.app_version, chart.default_values) == ("c", "1.2.3", "9", {"a": 1})
    assert inspect_chart(minimal_chart_archive("kit"), max_bytes=10_000).name == "kit"


def _symlink(tar: tarfile.TarFile) -> None:
    info = tarfile.TarInfo("c/templates/evil.yaml")
    info.type = tarfile.SYMTYPE
    info.linkname = "/etc/passwd"
    tar.addfile(info)


def _absolute(tar: tarfile.TarFile) -> None:
    info = tarfile.TarInfo("/etc/cron.d/x")
    tar.addfile(info, io.BytesIO(b""))


def _device(tar: tarfile.TarFile) -> None:
    info = tarfile.TarInfo("c/dev")
    info.type = tarfile.CHRTYPE
    tar.addfile(info)


def _hardlink(tar: tarfile.TarFile) -> None:
    info = tarfile.TarInfo("c/link")
    info.type = tarfile.LNKTYPE
    info.linkname = "c/Chart.yaml"
    tar.addfile(info)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"plain text", "not a gzip"),
        (gzip.compress(b"not a tar at all" * 100), "not a valid tar"),
        (_tar(_symlink), "link"),
        (_tar(_hardlink), "link"),
        (_tar(_absolute), "absolute path"),
        (_tar(_device), "neither a file nor a folder"),
        (archive({"Chart.yaml": CHART_YAML, "../x": "x"}, "c"), "leaving its folder"),
        (archive({"c/Chart.yaml": CHART_YAML}, "a"), "no a/Chart.yaml"),
        (archive({"Chart.yaml": "apiVersion: v2\nversion: 1\n"}, "c"), "no 'name'"),
        (archive({"Chart.yaml": "apiVersion: v9\nname: c\nversion: 1.0.0\n"}, "c"), "apiVersion"),
        (archive({"Chart.yaml": "name: [unclosed\n"}, "c"), "not valid YAML"),
        (archive({"Chart.yaml": CHART_YAML, "values.yaml": "- a list\n"}, "c"), "mapping"),
    ],
)
def test_bad_archives_are_refused(content: bytes, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message) as excinfo:
        inspect_chart(content, max_bytes=100_000)
    assert excinfo.value.field == "chart"


def test_two_top_level_folders_are_refused() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in ("a/Chart.yaml", "b/Chart.yaml"):
            info = tarfile.TarInfo(name)
            info.size = len(CHART_YAML)
            tar.addfile(info, io.BytesIO(CHART_YAML.encode()))
    with pytest.raises(InvalidRequest, match="exactly one top-level"):
        inspect_chart(buffer.getvalue(), max_bytes=100_000)


def test_size_limits_cover_the_archive_and_what_it_expands_to() -> None:
    with pytest.raises(InvalidRequest, match="limit"):
        inspect_chart(minimal_chart_archive(), max_bytes=100)
    bomb = archive({"Chart.yaml": CHART_YAML, "big": b"\0" * 5_000_000}, "c")
    assert len(bomb) < 20_000
    with pytest.raises(InvalidRequest, match="unpacks to more than"):
        inspect_chart(bomb, max_bytes=20_000)

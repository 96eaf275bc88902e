"""config.py: defaults, bounds and field-level messages of the mock IMS config class."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings

from plugins.ims.mock.config import MockConfig
from plugins.ims.mock.plugin import MockIMSPlugin
from plugins.sdk.errors import InvalidRequest
from plugins.sdk.validation import error_paths

SAMPLE = Path(__file__).resolve().parents[1] / "sample.yaml"


def errors_of(data: dict[str, Any]) -> dict[str, str]:
    serializer = MockConfig(data=data)
    assert not serializer.is_valid()
    return dict(error_paths(serializer.errors, root="config"))


def test_defaults() -> None:
    serializer = MockConfig(data={})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {
        "seed": 42,
        "sites": 3,
        "poolsPerSite": 2,
        "resources": 60,
        "stateFile": "",
        "ocloudId": "",
        "churn": {"enabled": False, "changesPerMinute": 6},
        "failHealth": False,
        "pollIntervalSeconds": 1.0,
    }


def test_partial_churn_block_takes_defaults() -> None:
    serializer = MockConfig(data={"churn": {"enabled": True}})
    assert serializer.is_valid(), serializer.errors
    assert dict(serializer.validated_data["churn"]) == {"enabled": True, "changesPerMinute": 6}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"resources": 1_000_001}, "resources", "resources must be between 0 and 1000000."),
        ({"resources": -1}, "resources", "resources must be between 0 and 1000000."),
        ({"resources": "many"}, "resources", "A valid integer is required."),
        ({"sites": 0}, "sites", "greater than or equal to 1"),
        ({"poolsPerSite": 27}, "poolsPerSite", "less than or equal to 26"),
        ({"seed": -5}, "seed", "greater than or equal to 0"),
        ({"churn": {"changesPerMinute": 0}}, "churn.changesPerMinute", "greater than or equal to 1"),
        ({"churn": {"enabled": "perhaps"}}, "churn.enabled", "Must be a valid boolean."),
        ({"churn": "yes"}, "churn", "Invalid data"),
        ({"failHealth": "x"}, "failHealth", "Must be a valid boolean."),
        ({"pollIntervalSeconds": 0}, "pollIntervalSeconds", "greater than or equal to 0.05"),
        ({"stateFile": "a\x00b"}, "stateFile", "Null characters are not allowed."),
        ({"resourcez": 5}, "resourcez", "Unknown setting."),
        ({"churn": {"rate": 5}}, "churn.rate", "Unknown setting."),
    ],
)
def test_field_level_messages(data: dict[str, Any], field: str, message: str) -> None:
    errors = errors_of(data)
    assert field in errors, errors
    assert message in errors[field]


def test_initialize_reports_every_bad_field(tmp_path: Path) -> None:
    plugin = MockIMSPlugin("bad")
    with pytest.raises(InvalidRequest) as caught:
        plugin.initialize({"sites": 0, "churn": {"changesPerMinute": "a"}, "stateFile": str(tmp_path / "s.db")})
    assert caught.value.field == "sites"
    assert "churn.changesPerMinute" in caught.value.detail
    assert not (tmp_path / "s.db").exists()


def test_state_file_defaults_to_the_data_dir_per_instance() -> None:
    plugin = MockIMSPlugin("demo-ims")
    assert plugin.state_file_path("") == Path(settings.DATA_DIR) / "mock-ims-demo-ims.sqlite3"
    assert plugin.state_file_path("x/y.sqlite3") == Path(settings.DATA_DIR) / "x" / "y.sqlite3"
    assert plugin.state_file_path("/tmp/abs.sqlite3") == Path("/tmp/abs.sqlite3")


def test_sample_yaml_is_a_valid_plugins_file() -> None:
    document = yaml.safe_load(SAMPLE.read_text())
    (block,) = document["plugins"]["ims"]
    assert block["type"] == "mock"
    assert {"name", "enabled", "default", "config"} <= set(block)
    serializer = MockConfig(data=block["config"])
    assert serializer.is_valid(), serializer.errors
    # The sample documents every key the config class knows.
    assert set(block["config"]) == set(MockConfig().fields)
    assert set(block["config"]["churn"]) == set(MockConfig().fields["churn"].fields)

"""The GKE config class (multi-line service-account key), sample.yaml, mapping helpers and error translation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.api_core import exceptions as gexc

from plugins.ims.gke import mapping
from plugins.ims.gke.config import GKEConfig
from plugins.ims.gke.errors import translate
from plugins.sdk.errors import AuthenticationFailed, BackendUnavailable, Conflict, InvalidRequest, NotFound

KEY = json.dumps(
    {
        "type": "service_account",
        "client_email": "x@p.iam.gserviceaccount.com",
        "private_key": "-----BEGIN PRIVATE KEY-----\nMIIsecret\n-----END PRIVATE KEY-----\n",
        "token_uri": "https://oauth2.googleapis.com/token",
    },
    indent=2,
)
BASE = {"projectId": "netweave-ran-prod"}


def errors(data: dict[str, Any]) -> dict[str, Any]:
    serializer = GKEConfig(data=data)
    return {} if serializer.is_valid() else dict(serializer.errors)


def test_a_multi_line_key_file_is_kept_verbatim() -> None:
    serializer = GKEConfig(data={**BASE, "credentialsJson": KEY})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["credentialsJson"] == KEY
    assert serializer.fields["credentialsJson"].style["base_template"] == "textarea.html"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"projectId": "X"}, "projectId"),
        ({**BASE, "location": "Europe"}, "location"),
        ({**BASE, "credentialsJson": "not json"}, "credentialsJson"),
        ({**BASE, "credentialsJson": json.dumps({"type": "authorized_user"})}, "credentialsJson"),
        ({**BASE, "loopbackPlaintext": True}, "loopbackPlaintext"),
        ({**BASE, "clusters": ["Bad_Name"]}, "clusters"),
        ({**BASE, "operationPollSeconds": 0}, "operationPollSeconds"),
    ],
)
def test_bad_values_name_the_field(data: dict[str, Any], field: str) -> None:
    assert field in errors(data)


def test_a_bad_key_message_never_quotes_the_key() -> None:
    broken = KEY.replace('"type": "service_account"', '"type": "x"')
    assert "MIIsecret" not in str(errors({**BASE, "credentialsJson": broken}))


def test_sample_yaml_is_a_valid_config() -> None:
    block = yaml.safe_load((Path(__file__).parents[1] / "sample.yaml").read_text())["plugins"]["ims"][0]
    assert block["type"] == "gke"
    assert not errors({**block["config"], "credentialsJson": KEY})


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (gexc.NotFound("x"), NotFound),
        (gexc.Unauthenticated("x"), AuthenticationFailed),
        (gexc.Forbidden("x"), AuthenticationFailed),
        (gexc.AlreadyExists("x"), Conflict),
        (gexc.InvalidArgument("x"), InvalidRequest),
        (gexc.TooManyRequests("x"), BackendUnavailable),
        (gexc.ServiceUnavailable("x"), BackendUnavailable),
    ],
)
def test_google_errors_become_plugin_errors(exc: Exception, expected: type) -> None:
    assert isinstance(translate(exc, "listing"), expected)


def test_ids_and_regions() -> None:
    assert mapping.split_pool_id("europe-west1/ran/cu") == ("europe-west1", "ran", "cu")
    assert mapping.split_pool_id("ran/cu") is None
    assert mapping.region_of("europe-west1-b") == "europe-west1"
    assert mapping.region_of("europe-west1") == "europe-west1"
    assert mapping.last_segment("https://x/zones/europe-west1-b") == "europe-west1-b"

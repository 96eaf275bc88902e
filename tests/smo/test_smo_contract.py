"""The SMO contract kit (plugins/testing/smo.py) against each SMO plugin's test backend: the custom plugin on the
real receiver, the ONAP plugin on the fake A&AI and SO, with DMaaP played by the receiver."""

from __future__ import annotations

from typing import Any

import pytest

from plugins.registry import get_plugin
from plugins.sdk.smo import SMOPlugin
from plugins.testing.smo import SMOPluginContract
from tests.smo.conftest import NATIVE_OPERATIONS

pytestmark = pytest.mark.django_db


class TestCustomContract(SMOPluginContract):
    @pytest.fixture
    def smo_plugin(self, receiver: Any, make_custom_smo: Any) -> SMOPlugin:
        receiver.respond = lambda item: (404, {"error": "unknown"}) if item.method == "GET" else None
        plugin = get_plugin(make_custom_smo(operations=NATIVE_OPERATIONS))
        assert isinstance(plugin, SMOPlugin)
        return plugin


class TestOnapContract(SMOPluginContract):
    @pytest.fixture
    def smo_plugin(self, receiver: Any, fake_so: Any, make_onap_smo: Any) -> SMOPlugin:
        plugin = get_plugin(make_onap_smo(dmaapUrl=receiver.url, soUrl=fake_so.url))
        assert isinstance(plugin, SMOPlugin)
        return plugin

"""Issue 13 item 6: callback URLs that reach loopback or private IPv4 space through an IPv6 address that embeds
it (NAT64, 6to4, Teredo, IPv4-compatible, -mapped, -translated) are refused, by the embedded address; and
every address a name resolves to is checked (one refused answer among allowed ones refuses the URL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from inventory.notifications import callbacks
from inventory.notifications.callbacks import CallbackRefused, check_callback
from tests.notifications.conftest import SUBSCRIPTIONS
from tests.o2client import O2Client, json_of

# (IPv6 literal, form, what the refusal says), every form carrying 127.0.0.1, 10.0.0.1 or 169.254.169.254.
EMBEDDED = [
    ("64:ff9b::7f00:1", "NAT64 well-known prefix", "loopback address (127.0.0.1)"),
    ("64:ff9b::a00:1", "NAT64 well-known prefix", "private or reserved address (10.0.0.1)"),
    ("64:ff9b::a9fe:a9fe", "NAT64 well-known prefix", "link-local address"),
    ("64:ff9b:1::7f00:1", "NAT64 local-use prefix", "local-use NAT64"),
    ("64:ff9b:1:7f00:0:100::", "NAT64 local-use prefix, /48 embedding", "local-use NAT64"),
    ("2002:7f00:1::1", "6to4", "loopback address (127.0.0.1)"),
    ("2002:a00:1::1", "6to4", "private or reserved address (10.0.0.1)"),
    ("2002:a9fe:a9fe::", "6to4", "link-local address"),
    ("::7f00:1", "IPv4-compatible", "loopback address (127.0.0.1)"),
    ("::a00:1", "IPv4-compatible", "private or reserved address (10.0.0.1)"),
    ("::ffff:0:7f00:1", "IPv4-translated", "loopback address (127.0.0.1)"),
    ("::ffff:0:a00:1", "IPv4-translated", "private or reserved address (10.0.0.1)"),
    ("::ffff:7f00:1", "IPv4-mapped", "loopback address (127.0.0.1)"),
    ("::ffff:a9fe:a9fe", "IPv4-mapped", "link-local address"),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo (client 127.0.0.1)", "loopback address (127.0.0.1)"),
]

# Forms that embed a public IPv4 address stay usable (a NAT64 network reaching a public receiver).
PUBLIC = ["64:ff9b::808:808", "2002:808:808::1", "2606:4700:4700::1111"]


@pytest.fixture
def resolver() -> Iterator[None]:
    yield
    callbacks.set_resolver(None)


@pytest.mark.parametrize(("address", "form", "reason"), EMBEDDED, ids=[f"{a} {f}" for a, f, _ in EMBEDDED])
def test_an_embedded_ipv4_literal_is_judged_by_the_ipv4_address(address: str, form: str, reason: str) -> None:
    with pytest.raises(CallbackRefused, match=reason.replace("(", r"\(").replace(")", r"\)")):
        check_callback(f"https://[{address}]/notify")


@pytest.mark.parametrize(("address", "form", "reason"), EMBEDDED, ids=[f"{a} {f}" for a, f, _ in EMBEDDED])
def test_a_name_resolving_to_an_embedded_ipv4_address_is_refused(
    address: str, form: str, reason: str, resolver: None
) -> None:
    callbacks.set_resolver(lambda host, port: [address])
    with pytest.raises(CallbackRefused, match=r"receiver\.example\.com is"):
        check_callback("https://receiver.example.com/notify")


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_in_the_same_forms_are_accepted(address: str) -> None:
    assert check_callback(f"https://[{address}]/notify") is None


@pytest.mark.parametrize(
    "answers",
    [
        ["93.184.215.14", "127.0.0.1"],
        ["127.0.0.1", "93.184.215.14"],
        ["2606:4700:4700::1111", "64:ff9b::a00:1"],
        ["93.184.215.14", "2606:4700:4700::1111", "2002:a9fe:a9fe::"],
        ["93.184.215.14", "::ffff:0:7f00:1"],
    ],
)
def test_every_dns_answer_is_checked_and_one_refused_address_refuses_the_url(
    answers: list[str], resolver: None
) -> None:
    callbacks.set_resolver(lambda host, port: answers)
    with pytest.raises(CallbackRefused, match=r"receiver\.example\.com is"):
        check_callback("https://receiver.example.com/notify")


def test_all_allowed_answers_pin_the_first(resolver: None) -> None:
    callbacks.set_resolver(lambda host, port: ["93.184.215.14", "2606:4700:4700::1111", "64:ff9b::808:808"])
    assert check_callback("https://receiver.example.com/notify") == "93.184.215.14"


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["64:ff9b::7f00:1", "2002:7f00:1::1", "::7f00:1", "::ffff:0:7f00:1"])
def test_the_subscription_api_refuses_them_naming_the_callback(o2: O2Client, address: str) -> None:
    response = o2.post(SUBSCRIPTIONS, {"callback": f"https://[{address}]/notify"})
    assert response.status_code == 400
    problem = json_of(response)
    assert problem["additionalAttributes"]["field"] == "callback"
    assert "127.0.0.1" in problem["detail"]

"""Creating, listing and deleting O2ims subscriptions: the logic behind the subscription views."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from inventory.models import Subscription
from inventory.notifications.callbacks import CallbackRefused, check_callback
from inventory.notifications.delivery import DeliveryFailed, probe
from inventory.notifications.filters import parse_subscription_filter
from netweave.o2.problems import BadRequest, O2Problem
from netweave.o2.spec import O2Field, ObjectSpec, uuid_field

SUBSCRIPTION = ObjectSpec(
    "SubscriptionInfo",
    (
        uuid_field("subscriptionId", "id", identifier=True),
        O2Field("consumerSubscriptionId", "consumer_subscription_id", nullable=True),
        O2Field("filter", "filter"),
        O2Field("callback", "callback"),
    ),
)


def fingerprint(
    callback: str, filter_text: str, consumer_subscription_id: str | None, kind: str = Subscription.Kind.INVENTORY
) -> str:
    """The duplicate rule's key: the same callback, filter and consumerSubscriptionId (O2-REFERENCE.md §5),
    per kind of subscription (an alarm subscription never duplicates an inventory one)."""
    parts = [callback, filter_text, "" if consumer_subscription_id is None else "=" + consumer_subscription_id]
    if kind != Subscription.Kind.INVENTORY:
        parts.insert(0, kind)
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def create_subscription(
    data: dict[str, Any],
    *,
    kind: str = Subscription.Kind.INVENTORY,
    parse_filter: Callable[[str], object] = parse_subscription_filter,
    spec: ObjectSpec = SUBSCRIPTION,
) -> dict[str, Any]:
    """Validate the callback and filter, then store the subscription; 400 or 409 as O2-REFERENCE.md §5 says.

    Alarm subscriptions (inventory.alarms) pass their kind, their filter grammar and their O2 shape."""
    callback: str = data["callback"]
    filter_text: str = data.get("filter") or ""
    consumer_id: str | None = data.get("consumerSubscriptionId")
    try:
        check_callback(callback)
    except CallbackRefused as exc:
        raise BadRequest(f"Invalid callback: {exc}.", field="callback") from None
    if filter_text:
        try:
            parse_filter(filter_text)
        except BadRequest as exc:
            raise BadRequest(exc.detail, field="filter") from None
    key = fingerprint(callback, filter_text, consumer_id, kind)
    if Subscription.objects.filter(fingerprint=key).exists():
        raise _duplicate()
    if settings.NETWEAVE_CALLBACK_CHECK_ON_SUBSCRIBE:
        try:
            probe(callback)
        except DeliveryFailed as exc:
            raise BadRequest(f"The callback did not pass the reachability check: {exc}.", field="callback") from None
    try:
        with transaction.atomic():
            subscription = Subscription.objects.create(
                kind=kind, consumer_subscription_id=consumer_id, filter=filter_text, callback=callback, fingerprint=key
            )
    except IntegrityError:
        raise _duplicate() from None
    return render(subscription, spec)


def _duplicate() -> O2Problem:
    return O2Problem(409, "A subscription with the same callback, filter and consumerSubscriptionId exists already.")


def render(subscription: Subscription, spec: ObjectSpec = SUBSCRIPTION) -> dict[str, Any]:
    row = {column: getattr(subscription, column) for column in spec.columns}
    return spec.render(row)

"""Steps shared by the tests that configure several clouds at once next to the mock (tests/aws and tests/azure
test_clouds_together.py): one O-Cloud with every backend's pools, pools scaled through the O2 write extension,
and subscribers hearing of each change."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from inventory.models import ResourcePool
from inventory.notifications.receiver import Receiver
from inventory.sync import sync_instance
from tests.notifications.conftest import subscribe
from tests.o2client import O2Client, json_of, o2_list

V1 = "/o2ims-infrastructureInventory/v1"
EXT = "/netweave-ims-ext/v1/resourcePools"


def one_o_cloud(o2: O2Client, instances: Mapping[str, Any]) -> None:
    """Sync every instance: O2ims shows one O-Cloud whose pools come from each of them."""
    for instance in instances.values():
        sync_instance(instance)
    cloud = json_of(o2.get(V1))
    pools = o2_list(o2, f"{V1}/resourcePools")
    owners = {ResourcePool.objects.get(id=p["resourcePoolId"]).plugin_instance.name for p in pools}
    assert owners == {instance.name for instance in instances.values()}
    assert {p["oCloudId"] for p in pools} == {cloud["oCloudId"]}


def scale_through_the_api(
    o2: O2Client, receiver: Receiver, deliver: Callable[..., Any], scales: Iterable[tuple[ResourcePool, dict[str, Any]]]
) -> None:
    """A subscriber, then each pool PATCHed with its scaling extensions (200 each)."""
    subscribe(o2, receiver.url + "/smo", consumerSubscriptionId="smo-clouds")
    for pool, extensions in scales:
        response = deliver(
            lambda pool=pool, extensions=extensions: o2.patch(f"{EXT}/{pool.id}", {"extensions": extensions})
        )
        assert response.status_code == 200, response.content


def subscribers_heard(
    receiver: Receiver, deliver: Callable[..., Any], instances: Iterable[Any], pools: Iterable[ResourcePool]
) -> None:
    """After a sync of each instance, the subscriber heard each pool modified and one new node in each."""
    for instance in instances:
        deliver(lambda instance=instance: sync_instance(instance))
    ids = sorted(str(pool.id) for pool in pools)
    bodies = receiver.bodies()
    modified = {b["objectRef"].rsplit("/", 1)[-1] for b in bodies if b["notificationEventType"] == 1}
    assert set(ids) <= modified
    created_in = [b["postObjectState"]["resourcePoolId"] for b in bodies if b["notificationEventType"] == 0]
    assert sorted(created_in) == ids

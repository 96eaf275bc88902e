"""SMO northbound throughput: objects per second to A&AI (a full sync of the mock O-Cloud through the ONAP
plugin into the fake A&AI of the tests, in bulk single-transaction requests of the plugin's default 30
operations) and VES events per second to a real Kafka 4.4.0 broker (KRaft, the test harness's), on SQLite, in
one process (no Celery: the step is called directly, as a worker would).

    nice -n 5 .venv/bin/python bench/smo/smo_bench.py --resources 100000 --events 100000 --out /tmp/smo-bench.json

Standalone: its own SQLite database and broker in a temporary folder. Prints JSON figures."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="netweave-smo-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netweave.settings")
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
os.environ.setdefault("NETWEAVE_DATA_DIR", str(WORK))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500, help="eventPublishBatchSize")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request would be measured too

    from inventory.models import ChangeLogEntry, Resource
    from inventory.sync import apply_changes, sync_instance
    from plugins.models import PluginInstance
    from plugins.registry import forget_all, get_plugin
    from smo import northbound
    from smo.models import NorthboundCursor, OutboundEvent
    from tests.smo.aai_fake import FakeAai
    from tests.smo.kafka_harness import KafkaBroker

    figures: dict[str, object] = {"resources": args.resources}
    ims = PluginInstance.objects.create(
        name="bench-ims",
        category="ims",
        plugin_type="mock",
        is_default=True,
        sync_interval=0,
        config={"stateFile": str(WORK / "mock.sqlite3"), "resources": args.resources},
    )
    started = time.perf_counter()
    sync_instance(ims)
    figures["ims_sync_seconds"] = round(time.perf_counter() - started, 2)

    aai = FakeAai().start()
    onap = PluginInstance.objects.create(
        name="bench-aai", category="smo", plugin_type="onap", sync_interval=0, config={"aaiUrl": aai.url}
    )
    started = time.perf_counter()
    result = northbound.step(onap)
    seconds = time.perf_counter() - started
    assert not result.errors, result.errors
    figures["aai_full_sync"] = {
        "objects": result.pushed,
        "aai_objects": len(aai.objects),
        "http_requests": len(aai.requests),
        "seconds": round(seconds, 2),
        "objects_per_second": round(result.pushed / seconds, 1),
    }
    aai.stop()
    save(figures, args.out)  # the A&AI figures survive a Kafka phase that does not finish

    (WORK / "kafka").mkdir(exist_ok=True)
    broker = KafkaBroker(WORK / "kafka")
    broker.start()
    try:
        kafka = PluginInstance.objects.create(
            name="bench-kafka",
            category="smo",
            plugin_type="onap",
            sync_interval=0,
            config={
                "aaiUrl": "http://127.0.0.1:9",
                "kafkaBootstrapServers": broker.bootstrap,
                "eventTopic": "bench",
                "eventPublishBatchSize": args.batch,
            },
        )
        cursor = northbound.cursor_for(kafka)
        NorthboundCursor.objects.filter(pk=cursor.pk).update(event_position=northbound.changes.head())
        cursor.refresh_from_db()
        plugin = get_plugin(ims)
        resources = plugin.list_resources()[: args.events]  # type: ignore[attr-defined]
        changed = [dataclasses.replace(r, description=f"{r.description} (bench)") for r in resources]
        apply_changes(ims, upserts={"resource": changed})
        wanted = ChangeLogEntry.objects.filter(id__gt=cursor.event_position).count()
        smo = get_plugin(kafka)
        started = time.perf_counter()
        while True:
            captured = northbound.capture_events(cursor)
            step = northbound.StepResult()
            northbound.publish_pending(cursor, smo, step)  # type: ignore[arg-type]
            if not captured and not step.events:
                break
        seconds = time.perf_counter() - started
        published = OutboundEvent.objects.filter(instance=kafka, status="published").count()
        consumed = len(broker.consume("bench", published, timeout=max(120.0, published / 200)))
        figures["kafka_events"] = {
            "events": published,
            "change_log_entries": wanted,
            "consumed_back": consumed,
            "seconds": round(seconds, 2),
            "events_per_second": round(published / seconds, 1),
            "batch": smo.event_batch_size(),  # type: ignore[attr-defined]
        }
    finally:
        forget_all()  # close the producer before its broker goes
        broker.stop()
    figures["resources_in_db"] = Resource.objects.count()
    print(json.dumps(figures, indent=2))
    save(figures, args.out)


def save(figures: dict[str, object], out: str) -> None:
    if out:
        Path(out).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

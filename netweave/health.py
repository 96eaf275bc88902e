"""Health endpoints for load balancers, container engines and Kubernetes probes (public, like api_versions).

`GET /health`: liveness. The process answers requests; nothing else is touched, so a database outage does not
make an orchestrator restart every web process at once.
`GET /health/ready`: readiness. The database answers (503 ProblemDetails otherwise), plus how many enabled
plugin instances their last check found healthy or not: counts only, from the recorded checks (no backend is
called, no name or message is shown to an anonymous caller; the admin and the backend alarms have the details).
Checks are recorded when an instance is saved (a queued task), after every sync and by "Test connection"; a
check older than the instance's last change counts as unchecked.
It also says whether a Celery worker and the beat scheduler were heard from within NETWEAVE_HEARTBEAT_WINDOW
(netweave.heartbeat): if not, `status` is `degraded` (still 200: this process serves requests, but
notifications and scheduled work are stalled).
"""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from netweave import heartbeat
from netweave.o2.problems import O2Problem
from netweave.o2.schema import ProblemDetailsSerializer
from netweave.o2.views import json_response, reject_unknown_parameters

TAG = ["netweave health"]


class PluginCountsSerializer(serializers.Serializer):
    healthy = serializers.IntegerField()
    unhealthy = serializers.IntegerField()
    unchecked = serializers.IntegerField()


class BackgroundSerializer(serializers.Serializer):
    worker = serializers.ChoiceField(["ok", "stale"])
    beat = serializers.ChoiceField(["ok", "stale"])


class ReadinessSerializer(serializers.Serializer):
    status = serializers.ChoiceField(["ok", "degraded"])
    database = serializers.ChoiceField(["ok"])
    plugins = PluginCountsSerializer()
    background = BackgroundSerializer()


class LivenessSerializer(serializers.Serializer):
    status = serializers.ChoiceField(["ok"])


class Liveness(APIView):
    @extend_schema(tags=TAG, responses=LivenessSerializer, operation_id="health_live")
    def get(self, request: Request) -> HttpResponse:
        reject_unknown_parameters(request.query_params.keys(), ())
        return json_response({"status": "ok"})


def plugin_counts() -> dict[str, int]:
    from plugins.models import PluginInstance

    counts = {"healthy": 0, "unhealthy": 0, "unchecked": 0}
    rows = PluginInstance.objects.filter(enabled=True).values_list("health_ok", "health_checked", "updated")
    for healthy, checked, updated in rows:
        # A check made before the instance's last change (new config, new credential) says nothing about it now:
        # it counts as unchecked until the check queued by that save (or the next sync) has answered.
        stale = checked is None or healthy is None or (updated is not None and checked < updated)
        counts["unchecked" if stale else "healthy" if healthy else "unhealthy"] += 1
    return counts


class Readiness(APIView):
    @extend_schema(
        tags=TAG,
        responses={
            200: ReadinessSerializer,
            (503, "application/problem+json"): OpenApiResponse(
                ProblemDetailsSerializer, description="The database does not answer"
            ),
        },
        operation_id="health_ready",
    )
    def get(self, request: Request) -> HttpResponse:
        reject_unknown_parameters(request.query_params.keys(), ())
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            plugins = plugin_counts()
            background = heartbeat.status()
        except DatabaseError:
            raise O2Problem(503, "The database does not answer; this process cannot serve requests.") from None
        state = "ok" if all(value == "ok" for value in background.values()) else "degraded"
        return json_response({"status": state, "database": "ok", "plugins": plugins, "background": background})

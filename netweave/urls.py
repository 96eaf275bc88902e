"""URL map: the O2 API families under their standard prefixes, netweave's extensions under their own
prefix, the OpenAPI document with Swagger UI, health, and the admin."""

from django.contrib import admin
from django.urls import include, path
from django.views.decorators.http import require_safe
from drf_spectacular.views import SpectacularSwaggerView

from netweave import health
from netweave.metrics import metrics
from netweave.o2.schema_view import PublishedSchemaView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", PublishedSchemaView.as_view(), name="openapi-schema"),
    # Swagger UI renders HTML templates, which cannot render a 405 ProblemDetails: only GET and HEAD reach it.
    path("api/docs/", require_safe(SpectacularSwaggerView.as_view(url_name="openapi-schema")), name="swagger-ui"),
    path("metrics", metrics, name="metrics"),
    path("health", health.Liveness.as_view(), name="health"),
    path("health/ready", health.Readiness.as_view(), name="health-ready"),
    path("", include("inventory.api.urls")),
    path("", include("deployments.api.urls")),
    path("", include("inventory.alarms.urls")),
    path("", include("plugins.api.urls")),
    path("", include("smo.api.urls")),
]

handler404 = "netweave.views.not_found"
handler500 = "netweave.views.server_error"

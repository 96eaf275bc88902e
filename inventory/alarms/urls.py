from django.urls import path

from inventory.alarms import ext_views, views

P = "o2ims-infrastructureMonitoring"

urlpatterns = [
    path(f"{P}/api_versions", views.ApiVersionsView.as_view()),
    path(f"{P}/v1/api_versions", views.VersionedApiVersionsView.as_view()),
    path(f"{P}/v1/alarms", views.AlarmList.as_view()),
    path(f"{P}/v1/alarms/<str:alarmEventRecordId>", views.AlarmDetail.as_view()),
    path(f"{P}/v1/alarmSubscriptions", views.AlarmSubscriptionList.as_view()),
    path(f"{P}/v1/alarmSubscriptions/<str:alarmSubscriptionId>", views.AlarmSubscriptionDetail.as_view()),
    path(f"{P}/v1/alarmServiceConfiguration", views.AlarmServiceConfigurationView.as_view()),
]

# netweave's observability extension (ext_views), under its own prefix.
urlpatterns += [
    path("netweave-obs-ext/v1/alertmanager/<str:instanceName>", ext_views.AlertWebhook.as_view()),
    path("netweave-obs-ext/v1/instances/<str:instanceName>/alarmDefinitions", ext_views.AlarmDefinitions.as_view()),
    path("netweave-obs-ext/v1/resources/<str:resourceId>/utilisation", ext_views.ResourceUtilisation.as_view()),
]

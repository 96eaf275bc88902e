from django.urls import path

from plugins.api import views

P = "netweave-admin-ext/v1"

urlpatterns = [
    path("netweave-admin-ext/api_versions", views.ApiVersions.as_view()),
    path(f"{P}/api_versions", views.ApiVersions.as_view()),
    path(f"{P}/pluginTypes", views.PluginTypeList.as_view()),
    path(f"{P}/pluginTypes/<str:kind>", views.PluginTypeDetail.as_view()),
    path(f"{P}/pluginInstances", views.PluginInstanceList.as_view()),
    path(f"{P}/pluginInstances/<str:name>", views.PluginInstanceDetail.as_view()),
    path(f"{P}/routingRules", views.RoutingRuleList.as_view()),
    path(f"{P}/routingRules/<str:ruleId>", views.RoutingRuleDetail.as_view()),
    path(f"{P}/routing/simulate", views.RouteSimulation.as_view()),
    path(f"{P}/secrets", views.SecretList.as_view()),
    path(f"{P}/secrets/<str:name>", views.SecretDetail.as_view()),
]

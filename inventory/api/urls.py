from django.urls import path

from inventory.api import subscription_views, views, write_views

P = "o2ims-infrastructureInventory"

urlpatterns = [
    path(f"{P}/api_versions", views.ApiVersionsView.as_view()),
    path(f"{P}/v1/api_versions", views.VersionedApiVersionsView.as_view()),
    path(f"{P}/v1", views.OCloudView.as_view()),
    path(f"{P}/v1/", views.OCloudSlashView.as_view()),
    path(f"{P}/v1/resourceTypes", views.ResourceTypeList.as_view()),
    path(f"{P}/v1/resourceTypes/<str:resourceTypeId>", views.ResourceTypeDetail.as_view()),
    path(f"{P}/v1/resourcePools", views.ResourcePoolList.as_view()),
    path(f"{P}/v1/resourcePools/<str:resourcePoolId>", views.ResourcePoolDetail.as_view()),
    path(f"{P}/v1/resourcePools/<str:resourcePoolId>/resources", views.ResourceList.as_view()),
    path(f"{P}/v1/resourcePools/<str:resourcePoolId>/resources/<str:resourceId>", views.ResourceDetail.as_view()),
    path(f"{P}/v1/deploymentManagers", views.DeploymentManagerList.as_view()),
    path(f"{P}/v1/deploymentManagers/<str:deploymentManagerId>", views.DeploymentManagerDetail.as_view()),
    # R005 additions, in the same v1 API (O2-REFERENCE.md §1).
    path(f"{P}/v1/resourceTypes/<str:resourceTypeId>/alarmDictionary", views.ResourceTypeAlarmDictionary.as_view()),
    path(f"{P}/v1/alarmDictionaries", views.AlarmDictionaryList.as_view()),
    path(f"{P}/v1/alarmDictionaries/<str:alarmDictionaryId>", views.AlarmDictionaryDetail.as_view()),
    path(f"{P}/v1/locations", views.LocationList.as_view()),
    path(f"{P}/v1/locations/<str:globalLocationId>", views.LocationDetail.as_view()),
    path(f"{P}/v1/oCloudSites", views.OCloudSiteList.as_view()),
    path(f"{P}/v1/oCloudSites/<str:oCloudSiteId>", views.OCloudSiteDetail.as_view()),
    path(f"{P}/v1/subscriptions", subscription_views.SubscriptionList.as_view()),
    path(f"{P}/v1/subscriptions/<str:subscriptionId>", subscription_views.SubscriptionDetail.as_view()),
    # netweave's IMS write extension (seed IMS plugin interface), under its own prefix.
    path("netweave-ims-ext/v1/resourcePools", write_views.PoolCreate.as_view()),
    path("netweave-ims-ext/v1/resourcePools/<str:resourcePoolId>", write_views.PoolItem.as_view()),
    path("netweave-ims-ext/v1/resourcePools/<str:resourcePoolId>/resources", write_views.ResourceCreate.as_view()),
    path(
        "netweave-ims-ext/v1/resourcePools/<str:resourcePoolId>/resources/<str:resourceId>",
        write_views.ResourceItem.as_view(),
    ),
]

from django.urls import path

from deployments.api import subscription_views, views

P = "o2dms/v1/<str:deploymentManagerId>/O2dms_DeploymentLifecycle"
D = f"{P}/NfDeployment/<str:deploymentId>"

urlpatterns = [
    path(f"{P}/NfDeploymentDescriptor", views.DescriptorList.as_view()),
    path(f"{P}/NfDeploymentDescriptor/<str:descriptorId>", views.DescriptorDetail.as_view()),
    path(f"{P}/NfDeployment", views.DeploymentList.as_view()),
    path(D, views.DeploymentDetail.as_view()),
    # netweave's documented lifecycle extensions (the seed's DMS operations), below the deployment they act on.
    path(f"{D}/scale", views.DeploymentScale.as_view()),
    path(f"{D}/rollback", views.DeploymentRollback.as_view()),
    path(f"{D}/suspend", views.DeploymentSuspend.as_view()),
    path(f"{D}/resume", views.DeploymentResume.as_view()),
    path(f"{D}/status", views.DeploymentStatusView.as_view()),
    path(f"{D}/history", views.DeploymentHistory.as_view()),
    path(f"{D}/logs", views.DeploymentLogs.as_view()),
    path(f"{P}/operations", views.OperationList.as_view()),
    path(f"{P}/operations/<str:operationId>", views.OperationDetail.as_view()),
]

# Version discovery, and netweave's O2dms change subscriptions (docs/notifications.md).
urlpatterns += [
    path("o2dms/api_versions", subscription_views.O2dmsApiVersions.as_view()),
    path("o2dms/v1/api_versions", subscription_views.O2dmsV1ApiVersions.as_view()),
    path("netweave-dms-ext/api_versions", subscription_views.DmsExtApiVersions.as_view()),
    path("netweave-dms-ext/v1/api_versions", subscription_views.DmsExtV1ApiVersions.as_view()),
    path("netweave-dms-ext/v1/subscriptions", subscription_views.DmsSubscriptionList.as_view()),
    path("netweave-dms-ext/v1/subscriptions/<str:subscriptionId>", subscription_views.DmsSubscriptionDetail.as_view()),
]

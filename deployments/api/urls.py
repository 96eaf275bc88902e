from django.urls import path

from deployments.api import views

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
    path(f"{D}/status", views.DeploymentStatusView.as_view()),
    path(f"{D}/history", views.DeploymentHistory.as_view()),
    path(f"{D}/logs", views.DeploymentLogs.as_view()),
    path(f"{P}/operations", views.OperationList.as_view()),
    path(f"{P}/operations/<str:operationId>", views.OperationDetail.as_view()),
]

from django.urls import path

from smo.api import views

P = "netweave-smo-ext/v1"

urlpatterns = [
    path("netweave-smo-ext/api_versions", views.SmoExtApiVersions.as_view()),
    path(f"{P}/api_versions", views.SmoExtV1ApiVersions.as_view()),
    path(f"{P}/workflowExecutions", views.WorkflowExecutionList.as_view()),
    path(f"{P}/workflowExecutions/<str:executionId>", views.WorkflowExecutionDetail.as_view()),
    path(f"{P}/workflowExecutions/<str:executionId>/cancel", views.WorkflowExecutionCancel.as_view()),
    path(f"{P}/serviceModels", views.ServiceModelList.as_view()),
    path(f"{P}/serviceModels/<str:modelId>", views.ServiceModelDetail.as_view()),
    path(f"{P}/policies", views.PolicyList.as_view()),
    path(f"{P}/policies/<str:policyId>/status", views.PolicyStatusView.as_view()),
]

from django.apps import AppConfig


class DeploymentsConfig(AppConfig):
    name = "deployments"

    def ready(self) -> None:
        from deployments import notifications
        from inventory import changelog

        changelog.add_listener(notifications.record_dms_notifications)

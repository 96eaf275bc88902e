from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "O2ims inventory"

    def ready(self) -> None:
        from inventory import changelog, schedules  # noqa: F401 - connects the schedule signals
        from inventory.notifications import metrics, outbox, tasks  # noqa: F401 - registers the notification tasks

        changelog.add_listener(outbox.record_notifications)
        metrics.register()

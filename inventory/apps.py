from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "O2ims inventory"

    def ready(self) -> None:
        from inventory import changelog, config_audit, lifecycle, schedules  # noqa: F401 - connect their signals
        from inventory.alarms import notifications as alarm_notifications
        from inventory.alarms import tasks as alarm_tasks  # noqa: F401 - registers the alarm retention task
        from inventory.notifications import metrics, outbox, tasks  # noqa: F401 - registers the notification tasks

        changelog.add_listener(outbox.record_notifications)
        changelog.add_listener(alarm_notifications.record_alarm_notifications)
        metrics.register()

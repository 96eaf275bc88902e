from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "O2ims inventory"

    def ready(self) -> None:
        from inventory import schedules  # noqa: F401 - connects the schedule signals

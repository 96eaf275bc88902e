from django.apps import AppConfig


class SmoConfig(AppConfig):
    name = "smo"
    verbose_name = "SMO integration"

    def ready(self) -> None:
        from smo import metrics, tasks  # noqa: F401 - registers the SMO tasks

        metrics.register()

from django.apps import AppConfig


class NetweaveConfig(AppConfig):
    name = "netweave"
    verbose_name = "netweave"

    def ready(self) -> None:
        # Audit receivers for admin logins and lock-outs; OpenAPI descriptions of the authentication classes.
        from netweave.security import audit, schema  # noqa: F401

        audit.connect_lockout_signal()
        from netweave import heartbeat

        heartbeat.register_metrics()

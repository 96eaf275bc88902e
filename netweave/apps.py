from django.apps import AppConfig


class NetweaveConfig(AppConfig):
    name = "netweave"
    verbose_name = "netweave"

    def ready(self) -> None:
        # Audit receivers for admin logins and lock-outs; OpenAPI descriptions of the authentication classes.
        from netweave.security import audit, schema  # noqa: F401

        audit.connect_lockout_signal()
        # No NUL and no over-length text reaches the database, from the API or the admin (django.contrib.admin
        # is installed first, so every ModelAdmin is registered by now).
        from netweave.o2 import storable
        from netweave.security import tokens

        storable.connect()
        # Revoking or changing a token takes effect on the next request in every process.
        tokens.connect_revocation_signals()
        from netweave import heartbeat

        heartbeat.register_metrics()

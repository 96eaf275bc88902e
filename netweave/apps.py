from django.apps import AppConfig


class NetweaveConfig(AppConfig):
    name = "netweave"
    verbose_name = "netweave"

from django.apps import AppConfig


class SmoConfig(AppConfig):
    name = "smo"

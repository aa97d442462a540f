from django.apps import AppConfig


class GuidanceConfig(AppConfig):
    name = "guidance"

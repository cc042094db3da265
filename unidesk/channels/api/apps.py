from django.apps import AppConfig


class ApiChannelConfig(AppConfig):
    name = "unidesk.channels.api"
    label = "channels_api"
    verbose_name = "API channel"

    def ready(self) -> None:
        from unidesk.channels.api import adapter  # noqa: F401  (registers the adapter)

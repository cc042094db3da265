from django.apps import AppConfig


class EmailChannelConfig(AppConfig):
    name = "unidesk.channels.email"
    label = "channels_email"
    verbose_name = "Email channel"

    def ready(self) -> None:
        from unidesk.channels.email import adapter  # noqa: F401  (registers the adapter)

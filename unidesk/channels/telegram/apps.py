from django.apps import AppConfig


class TelegramChannelConfig(AppConfig):
    name = "unidesk.channels.telegram"
    label = "channels_telegram"
    verbose_name = "Telegram channel"

    def ready(self) -> None:
        from unidesk.channels.telegram import adapter  # noqa: F401  (registers the adapter)

from django.apps import AppConfig


class WhatsAppChannelConfig(AppConfig):
    name = "unidesk.channels.whatsapp"
    label = "channels_whatsapp"
    verbose_name = "WhatsApp channel"

    def ready(self) -> None:
        from unidesk.channels.whatsapp import adapter, composer  # noqa: F401  (registers)

from django.apps import AppConfig


class PhoneChannelConfig(AppConfig):
    name = "unidesk.channels.phone"
    label = "channels_phone"
    verbose_name = "Phone channel"

    def ready(self) -> None:
        from unidesk.channels.phone import adapter, composer  # noqa: F401  (registers)

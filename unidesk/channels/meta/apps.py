from django.apps import AppConfig


class MetaChannelConfig(AppConfig):
    name = "unidesk.channels.meta"
    label = "channels_meta"
    verbose_name = "Facebook Messenger and Instagram Direct channels"

    def ready(self) -> None:
        from unidesk.channels.meta import adapter  # noqa: F401  (registers both adapters)

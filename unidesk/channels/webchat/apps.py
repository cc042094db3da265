from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebchatChannelConfig(AppConfig):
    name = "unidesk.channels.webchat"
    label = "channels_webchat"
    verbose_name = _("Web chat")

    def ready(self) -> None:
        from unidesk.channels.webchat import adapter  # noqa: F401  (registers the adapter)

from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "unidesk.channels"
    # Django Channels (realtime) owns the label "channels".
    label = "unidesk_channels"
    verbose_name = "Channels"

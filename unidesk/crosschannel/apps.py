from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrossChannelConfig(AppConfig):
    """One customer across channels: merge suggestions, linked and duplicate tickets."""

    name = "unidesk.crosschannel"
    label = "crosschannel"
    verbose_name = _("One customer across channels")

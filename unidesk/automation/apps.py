from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "unidesk.automation"
    label = "automation"
    verbose_name = _("Automation")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from unidesk.accounts.models import BusinessHours, Group
        from unidesk.channels.models import ChannelAccount

        # Whether a new conversation may need an automatic word is judged from a memo of
        # these (``replies.may_speak_in``); a change made in this process applies at once.
        for model in (ChannelAccount, Group, BusinessHours):
            for signal in (post_save, post_delete):
                signal.connect(
                    _forget_setups, sender=model, dispatch_uid=f"forget-{model.__name__}"
                )


def _forget_setups(**_kwargs: object) -> None:
    from unidesk.automation.replies import forget_setups

    forget_setups()

from django.apps import AppConfig


class VkChannelConfig(AppConfig):
    name = "unidesk.channels.vk"
    label = "channels_vk"
    verbose_name = "VK channel"

    def ready(self) -> None:
        from unidesk.channels.vk import adapter  # noqa: F401  (registers the adapter)

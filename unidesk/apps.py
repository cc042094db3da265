from django.apps import AppConfig


class UnideskConfig(AppConfig):
    """The project itself: CLI commands and the wiring of subscribers and periodic jobs."""

    name = "unidesk"
    label = "unidesk"
    verbose_name = "unidesk"

    def ready(self) -> None:
        from unidesk import wiring

        wiring.connect()

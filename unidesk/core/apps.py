from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "unidesk.core"
    label = "core"
    verbose_name = "unidesk core"

    def ready(self) -> None:
        from unidesk.core import db

        db.install_connection_hooks()

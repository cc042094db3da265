from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "unidesk.workspace"
    label = "workspace"
    verbose_name = "Agent workspace"

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "unidesk.api"
    label = "api"
    verbose_name = "REST API"

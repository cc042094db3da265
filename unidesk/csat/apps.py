from django.apps import AppConfig


class CsatConfig(AppConfig):
    name = "unidesk.csat"
    label = "csat"
    verbose_name = "Customer satisfaction"

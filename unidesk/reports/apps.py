from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "unidesk.reports"
    label = "reports"
    verbose_name = "Reports"

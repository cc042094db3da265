from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "unidesk.customers"
    label = "customers"
    verbose_name = "Customers"

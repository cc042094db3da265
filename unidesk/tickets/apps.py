from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "unidesk.tickets"
    label = "tickets"
    verbose_name = "Tickets"

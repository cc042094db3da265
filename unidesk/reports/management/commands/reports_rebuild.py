"""``unidesk reports_rebuild``: recompute every ticket's measurements."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from unidesk.reports.services import metrics_rebuild


class Command(BaseCommand):
    help = "Recompute the reports' measurements of every ticket (after changing business hours)."

    def handle(self, *args: Any, **options: Any) -> None:
        done = metrics_rebuild()
        self.stdout.write(f"Recomputed the measurements of {done} tickets.")

"""One row per ticket as CSV or XLSX, safe to open in a spreadsheet.

Subjects, names and comments come from customers. A cell that starts with ``=``, ``+``,
``-`` or ``@`` (or a tab or carriage return, which some spreadsheets skip before reading
one of those) would be run as a formula by Excel or LibreOffice, so such text is prefixed
with an apostrophe, the spreadsheets' own sign for "this is text". Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import itertools
import tempfile
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from asgiref.sync import sync_to_async

from unidesk.tickets.models import Priority

# The fullwidth forms too: some spreadsheets fold them to the ASCII ones.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")

COLUMNS: Final = (
    "number",
    "subject",
    "customer",
    "group",
    "agent",
    "channel",
    "priority",
    "status",
    "created",
    "first_response",
    "solved",
    "replies",
    "csat",
    "csat_scale",
    "csat_score",
    "csat_comment",
    "first_response_seconds",
    "first_response_business_seconds",
    "resolution_seconds",
    "resolution_business_seconds",
    "reopens",
)


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula, made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _time(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).isoformat(timespec="seconds") if value else ""


def export_record(row: dict[str, Any], zone: ZoneInfo) -> list[Any]:
    agent = row["agent__name"] or (row["agent__email"] or "").split("@")[0]
    return [
        row["ticket__number"],
        row["ticket__subject"],
        row["ticket__requester__name"] or "",
        row["group__name"] or "",
        agent,
        row["channel"],
        Priority(row["priority"]).key if row["priority"] in Priority.values else "",
        row["status"],
        _time(row["created_at"], zone),
        _time(row["first_response_at"], zone),
        _time(row["solved_at"], zone),
        row["replies_to_solve"] if row["replies_to_solve"] is not None else row["agent_replies"],
        row["csat_rating"],
        row["csat_scale"],
        row["csat_score"] or "",
        row["csat_comment"] or "",
        row["first_response_seconds"],
        row["first_response_business_seconds"],
        row["resolution_seconds"],
        row["resolution_business_seconds"],
        row["reopen_count"],
    ]


class _Line:
    """A file-like target that hands back what ``csv.writer`` wrote, one row at a time."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()

    def write(self, text: str) -> int:
        return self.buffer.write(text)

    def take(self) -> str:
        value = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return value


def csv_lines(rows: Iterable[dict[str, Any]], zone: ZoneInfo) -> Iterator[str]:
    """The CSV text, streamed: a byte-order mark (so Excel reads UTF-8), the header, rows."""
    line = _Line()
    writer = csv.writer(line)
    writer.writerow(COLUMNS)
    yield "\ufeff" + line.take()
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) for v in export_record(row, zone)])
        yield line.take()


async def lines_async(lines: Iterator[str], batch: int = 500) -> AsyncIterator[str]:
    """The CSV lines for an ASGI response, read in batches on Django's sync thread: served
    from a synchronous iterator, Django would first read the whole export into memory."""

    def take() -> str:
        return "".join(itertools.islice(lines, batch))

    read = sync_to_async(take, thread_sensitive=True)
    while chunk := await read():
        yield chunk


def xlsx_bytes(rows: Iterable[dict[str, Any]], zone: ZoneInfo, *, title: str) -> bytes:
    """The workbook, written row by row (openpyxl's write-only mode keeps memory flat)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "tickets")
    sheet.append(list(COLUMNS))
    for row in rows:
        cells = []
        for value in export_record(row, zone):
            cell = WriteOnlyCell(sheet, value=neutralise(value))
            if isinstance(value, str):
                # Never a formula, whatever the text: openpyxl would store "=…" as one.
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        return handle.read()

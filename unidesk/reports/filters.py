"""Reading report filters from a query string (the API and the workspace share this).

``since`` and ``until`` take an ISO 8601 date or date-time. A date means the whole day in
the report's time zone: ``since=2024-05-01&until=2024-05-31`` is all of May. A date-time
without an offset is read in the report's time zone; ``until`` is exclusive.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils.translation import gettext as _

from unidesk.accounts.models import Agent
from unidesk.channels.models import ChannelKind
from unidesk.core import clock
from unidesk.core.errors import ValidationFailed
from unidesk.core.inputs import MAX_ID
from unidesk.reports.selectors import ReportFilters
from unidesk.tickets.models import Priority

DEFAULT_DAYS: Final = 30
MAX_SPAN: Final = timedelta(days=5 * 366)
EARLIEST: Final = datetime(1970, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(9000, 1, 1, tzinfo=UTC)


def report_zone(name: str, viewer: Agent | None = None) -> ZoneInfo:
    name = (name or "").strip() or (viewer.time_zone if viewer else "") or settings.TIME_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            _("Unknown time zone %(zone)r.") % {"zone": name[:64]}, fields={"tz": "invalid"}
        ) from None


def _moment(raw: str, field: str, zone: ZoneInfo, *, end_of_day: bool) -> datetime:
    raw = raw.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            if end_of_day:
                day += timedelta(days=1)
            moment = datetime.combine(day, time(0, 0), tzinfo=zone)
        else:
            if "T" in raw and " " in raw:
                # A "+03:00" offset left unencoded in a query string arrives as " 03:00".
                raw = raw.replace(" ", "+")
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except OverflowError:
        moment = datetime.max.replace(tzinfo=UTC)  # the day after 9999-12-31: out of range
    except ValueError:
        raise ValidationFailed(
            _("%(field)s is not an ISO 8601 date or date-time.") % {"field": field},
            fields={field: "invalid"},
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    if not EARLIEST <= moment <= LATEST:
        # Far from today a day more or less, or a time zone, runs off the calendar.
        raise ValidationFailed(
            _("%(field)s must be between the years %(first)s and %(last)s.")
            % {"field": field, "first": EARLIEST.year, "last": LATEST.year - 1},
            fields={field: "out_of_range"},
        )
    return moment


def _int(raw: str, field: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValidationFailed(
            _("%(field)s must be a number.") % {"field": field}, fields={field: "invalid"}
        ) from None
    if not 1 <= value <= MAX_ID:
        raise ValidationFailed(
            _("%(field)s must be a number.") % {"field": field}, fields={field: "invalid"}
        )
    return value


def parse_report_filters(params: Mapping[str, str], viewer: Agent) -> ReportFilters:
    """Filters from query parameters; raises ValidationFailed naming the bad one."""
    zone = report_zone(params.get("tz", ""), viewer)
    until_raw = (params.get("until") or "").strip()
    since_raw = (params.get("since") or "").strip()
    until = _moment(until_raw, "until", zone, end_of_day=True) if until_raw else clock.now()
    since = (
        _moment(since_raw, "since", zone, end_of_day=False)
        if since_raw
        else until - timedelta(days=DEFAULT_DAYS)
    )
    if since >= until:
        raise ValidationFailed(_("since must be before until."), fields={"since": "after_until"})
    if until - since > MAX_SPAN:
        raise ValidationFailed(
            _("A report covers at most five years."), fields={"since": "too_long"}
        )
    group = (params.get("group") or "").strip()
    agent = (params.get("agent") or "").strip()
    channel = (params.get("channel") or "").strip()
    if channel and channel not in ChannelKind.values:
        raise ValidationFailed(
            _("Unknown channel %(channel)r; use one of %(known)s.")
            % {"channel": channel[:32], "known": ", ".join(ChannelKind.values)},
            fields={"channel": "invalid"},
        )
    priority_raw = (params.get("priority") or "").strip().lower()
    priority: int | None = None
    if priority_raw:
        names = {p.key: p.value for p in Priority}
        if priority_raw in names:
            priority = names[priority_raw]
        elif priority_raw in {str(value) for value in Priority.values}:
            priority = int(priority_raw)
        else:
            raise ValidationFailed(
                _("Unknown priority; use low, normal, high or urgent."),
                fields={"priority": "invalid"},
            )
    return ReportFilters(
        since=since,
        until=until,
        time_zone=zone,
        group_id=_int(group, "group") if group else None,
        agent_id=viewer.pk if agent == "me" else (_int(agent, "agent") if agent else None),
        channel=channel,
        tag=(params.get("tag") or "").strip().lower()[:64],
        priority=priority,
    )

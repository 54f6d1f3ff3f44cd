"""Conference-local days: a report's day is a calendar day in the conference's time zone,
and "today" is the local day of the injectable clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.clock import Clock, utc_now
from core.models import Conference


def zone(conference: Conference) -> ZoneInfo:
    try:
        return ZoneInfo(conference.timezone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def local_today(conference: Conference, clock: Clock = utc_now) -> date:
    return clock().astimezone(zone(conference)).date()


def report_day(conference: Conference, clock: Clock = utc_now) -> date:
    """The day a report shows when none is asked for: today during the conference; before it
    its first day, after it its last (a report run a week later shows how it ended, not an
    empty today)."""
    today = local_today(conference, clock)
    return min(max(today, conference.first_day), conference.last_day)


def day_bounds(conference: Conference, day: date) -> tuple[datetime, datetime]:
    """[start, end) of a conference-local day, as aware UTC datetimes."""
    tz = zone(conference)
    start = datetime.combine(day, time(0), tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC)
    return start, end


def today_start(conference: Conference, clock: Clock = utc_now) -> datetime:
    """When the conference-local today began (presence since before it is stale)."""
    return day_bounds(conference, local_today(conference, clock))[0]


def conference_days(conference: Conference) -> list[date]:
    days, d = [], conference.first_day
    while d <= conference.last_day:
        days.append(d)
        d += timedelta(days=1)
    return days

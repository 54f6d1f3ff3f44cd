"""A personal agenda as an iCalendar file (RFC 5545): events in the conference's time zone
(TZID on each time, with its VTIMEZONE), titles and halls in the reader's language."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from core.clock import Clock, utc_now
from core.models import Conference, SignupStatus, pick
from core.programme.views import ItemView

PRODID = "-//confdesk//personal agenda//EN"


def build_calendar(
    conference: Conference,
    views: Sequence[ItemView],
    language: str,
    *,
    notes: dict[int, str] | None = None,
    clock: Clock = utc_now,
) -> bytes:
    """`notes`: extra text per item id for the event description (speakers, your place…),
    already in `language`. Cancelled items stay in, marked CANCELLED, so a calendar that
    imported an earlier file learns of it; a place on the waiting list is TENTATIVE."""
    tz = ZoneInfo(conference.timezone)
    now = clock()
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", pick(conference.name, language))
    cal.add("x-wr-timezone", conference.timezone)
    venue = pick(conference.venue, language)
    for view in views:
        item = view.item
        event = Event()
        event.add("uid", f"{conference.slug}-{item.code}@confdesk")
        event.add("dtstamp", now)
        event.add("last-modified", item.updated_at)
        event.add("dtstart", item.starts_at.astimezone(tz))
        event.add("dtend", item.ends_at.astimezone(tz))
        event.add("summary", pick(item.title, language))
        location = ", ".join(p for p in (pick(item.hall, language), venue) if p)
        if location:
            event.add("location", location)
        description = "\n\n".join(p for p in (pick(item.description, language), (notes or {}).get(item.id or 0)) if p)
        if description:
            event.add("description", description)
        if view.cancelled:
            event.add("status", "CANCELLED")
        elif view.my_status == SignupStatus.WAITLISTED:
            event.add("status", "TENTATIVE")
        else:
            event.add("status", "CONFIRMED")
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()

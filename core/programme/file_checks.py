"""The rules of a programme file that span fields and entries, and its times: unique keys,
references between sections (heads, delegations, speakers), agenda times as aware UTC within
the conference days. `resolve` turns a schema-valid file into the `ProgrammeDocument` the
loader takes; a broken rule raises `Located` (where in the file, what is wrong)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from core.models import DelegationKind
from core.programme.file_spec import (
    AgendaSpec,
    ConferenceSpec,
    ProgrammeDocument,
    ProgrammeFile,
    ResolvedItem,
)


class Located(Exception):
    """A broken rule at `loc` (a path into the file: section, index, field...)."""

    def __init__(self, loc: Sequence[str | int], message: str) -> None:
        super().__init__(message)
        self.loc = tuple(loc)
        self.message = message


def resolve(doc: ProgrammeFile, source: str) -> ProgrammeDocument:
    """Check the rules across fields and entries; agenda times become aware UTC."""
    tz = _check_conference(doc.conference)
    codes = _unique_keys("delegations", "code", [d.code for d in doc.delegations])
    keys = _unique_keys("people", "key", [p.key for p in doc.people])
    _unique_keys("agenda", "code", [a.code for a in doc.agenda])
    _check_delegations(doc, keys)
    for i, p in enumerate(doc.people):
        if p.delegation is not None and p.delegation not in codes:
            raise Located(("people", i, "delegation"), f"no delegation with code {p.delegation!r}")
    items = tuple(_resolve_item(a, i, doc.conference, tz, keys) for i, a in enumerate(doc.agenda))
    return ProgrammeDocument(
        source=source,
        conference=doc.conference,
        delegations=tuple(doc.delegations),
        people=tuple(doc.people),
        items=items,
    )


def _check_conference(conf: ConferenceSpec) -> ZoneInfo:
    """The conference's time zone, once its days and categories are checked."""
    try:
        tz = ZoneInfo(conf.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        hint = difflib.get_close_matches(conf.timezone, sorted(available_timezones()), n=1)
        expected = f"did you mean {hint[0]!r}?" if hint else "expected an IANA name like Europe/Minsk"
        raise Located(("conference", "timezone"), f"unknown time zone {conf.timezone!r} ({expected})") from None
    if conf.last_day < conf.first_day:
        raise Located(("conference", "last_day"), "must not be before first_day")
    _unique("conference", "auto_approve_categories", conf.auto_approve_categories)
    return tz


def _check_delegations(doc: ProgrammeFile, keys: set[str]) -> None:
    people = {p.key: p for p in doc.people}
    for i, d in enumerate(doc.delegations):
        if d.kind == DelegationKind.STATE and not d.country:
            raise Located(("delegations", i, "country"), "required for a state")
        if d.head is None:
            continue
        if d.head not in keys:
            raise Located(("delegations", i, "head"), _unknown_person(d.head, keys))
        if people[d.head].delegation != d.code:
            raise Located(
                ("delegations", i, "head"),
                f"{d.head!r} is not in this delegation (set delegation: {d.code} there)",
            )


def _resolve_item(a: AgendaSpec, i: int, conf: ConferenceSpec, tz: ZoneInfo, keys: set[str]) -> ResolvedItem:
    starts_at = _moment(a.start, a.day, tz, ("agenda", i, "start"))
    ends_at = _moment(a.end, a.day, tz, ("agenda", i, "end"))
    if ends_at <= starts_at:
        raise Located(("agenda", i, "end"), "must be after start")
    first = starts_at.astimezone(tz).date()
    last = (ends_at - timedelta(microseconds=1)).astimezone(tz).date()
    if first < conf.first_day or first > conf.last_day:
        raise Located(
            ("agenda", i, "day" if a.day else "start"),
            f"{first} is outside the conference days {conf.first_day} – {conf.last_day}",
        )
    if last > conf.last_day:
        raise Located(("agenda", i, "end"), f"ends after the last day {conf.last_day}")
    _unique("agenda", "allowed_categories", a.allowed_categories, i)
    _unique("agenda", "speakers", a.speakers, i)
    _unique("agenda", "moderator", a.moderator, i)
    for role in ("speakers", "moderator"):
        for j, key in enumerate(getattr(a, role)):
            if key not in keys:
                raise Located(("agenda", i, role, j), _unknown_person(key, keys))
    for j, key in enumerate(a.moderator):
        if key in a.speakers:
            raise Located(("agenda", i, "moderator", j), f"{key!r} is also under speakers")
    return ResolvedItem(a, starts_at, ends_at)


def _unique_keys(section: str, name: str, values: list[str]) -> set[str]:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            raise Located((section, i, name), f"duplicate {name} {value!r}")
        seen.add(value)
    return seen


def _unique(section: str, name: str, values: Iterable[object], index: int | None = None) -> None:
    seen: set[object] = set()
    for j, value in enumerate(values):
        if value in seen:
            loc = (section, index, name, j) if index is not None else (section, name, j)
            raise Located(loc, f"{value!s} is listed twice")
        seen.add(value)


def _unknown_person(key: str, keys: set[str]) -> str:
    hint = difflib.get_close_matches(key, sorted(keys), n=1)
    suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
    return f"no person with key {key!r} under people:{suggestion}"


_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _moment(value: object, day: date | None, tz: ZoneInfo, loc: tuple[str | int, ...]) -> datetime:
    """A local wall-clock time ("10:00" with `day`) or ISO date-time, as aware UTC."""
    if value is None:
        raise Located(loc, "required")
    local: datetime
    if isinstance(value, datetime):
        local = value
    elif isinstance(value, str) and (match := _CLOCK.match(value.strip())):
        if day is None:
            raise Located(loc, "a time of day needs day: on the item (or give a full date-time)")
        local = datetime.combine(day, time(int(match[1]), int(match[2])))
    elif isinstance(value, str):
        try:
            local = datetime.fromisoformat(value.strip())
        except ValueError:
            raise Located(loc, f'expected a time like "10:00" or a date-time, got {value!r}') from None
    else:
        raise Located(loc, f'expected a time like "10:00" in quotes, got {value!r}')
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    if day is not None and local.date() != day:
        raise Located(loc, f"date {local.date()} differs from day {day}")
    aware = local.replace(tzinfo=tz)
    # A wall-clock time skipped by a daylight-saving change does not round-trip.
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local:
        raise Located(loc, f"{local:%Y-%m-%d %H:%M} does not exist in {tz.key}")
    return aware.astimezone(UTC)

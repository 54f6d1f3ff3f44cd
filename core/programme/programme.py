"""The conference programme file: parse a YAML document, then upsert it into the database.

Two halves, testable apart:

* `parse_programme(text, source)` — file text to a validated, resolved `ProgrammeDocument`
  (times converted to aware UTC). Every problem is a `ProgrammeError` whose message names
  the file, the entry and the field, e.g.
  ``examples/x.yaml: agenda[3] (code 'charter'): end: must be after start (line 57)``.
* `load_programme(session, document)` — upserts the conference, its delegations, people and
  agenda by stable keys in one transaction, commits once and returns a `ProgrammeDiff`.

The file format is described in docs/programme.md.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)
from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.accreditation import validation
from core.audit import record
from core.clock import Clock, utc_now
from core.config import LANGUAGES
from core.errors import DomainError, InvalidInput
from core.models import (
    AgendaItem,
    AgendaKind,
    AgendaSignup,
    AgendaSpeaker,
    Category,
    Conference,
    Delegation,
    DelegationKind,
    Participant,
    Registration,
    RegistrationStatus,
    Scan,
    SignupStatus,
    SpeakerRole,
)
from core.programme import agenda
from core.programme.reminders import ItemChange, enqueue_change_notices
from core.text import visible

PROGRAMME_SOURCE = "programme"  # Registration.source of people from the file


class ProgrammeError(DomainError):
    code = "programme_invalid"


# ---------------------------------------------------------------------------------------
# YAML: YAML 1.1 reads `10:00` as the integer 600 and `NO` (Norway) as false. The loader
# below keeps only decimal integers and true/false, so times and country codes stay text.
# ---------------------------------------------------------------------------------------

_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"


class _Loader(yaml.SafeLoader):
    pass


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _INT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver(_INT, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789"))


# ---------------------------------------------------------------------------------------
# The file schema (pydantic, strict, unknown fields are errors)
# ---------------------------------------------------------------------------------------


def _i18n(value: object) -> object:
    """A plain string is English; a mapping gives languages. English is required."""
    if isinstance(value, str):
        value = {"en": value}
    if not isinstance(value, dict):
        raise ValueError("expected a text or a mapping {en: ..., ru: ...}")
    result: dict[str, str] = {}
    for lang, text in value.items():
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r} (expected {', '.join(LANGUAGES)})")
        if not isinstance(text, str):
            raise ValueError(f"{lang}: expected a text")
        text = visible(text, newlines=True).strip()  # no bidi overrides in titles or names
        if text:
            result[lang] = text
    if not result.get("en"):
        raise ValueError("the English text (en) is required")
    return result


def _lax_date(value: object) -> object:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("expected a date like 2024-10-31") from None
    if isinstance(value, datetime):
        raise ValueError("expected a date like 2024-10-31, not a date and time")
    return value


def _one_or_many(value: object) -> object:
    return [value] if isinstance(value, str) else value


def _rule(check: Any) -> AfterValidator:
    """A shared free-text rule (core.accreditation.validation) as a pydantic validator."""

    def run(value: str) -> str:
        try:
            result: str = check(value)
        except InvalidInput as exc:
            raise ValueError(exc.message.split(": ", 1)[-1]) from None
        return result

    return AfterValidator(run)


def _position(text: str) -> str:
    return validation.free_text(text, "position", max_len=300)


def _organisation(text: str) -> str:
    return validation.free_text(text, "organisation", max_len=300)


Text = Annotated[dict[str, str], BeforeValidator(_i18n)]
Day = Annotated[date, BeforeValidator(_lax_date)]
Lax = Field(strict=False)  # enums: accept their string values


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ConferenceSpec(_Spec):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)
    edition: int = Field(ge=1)
    name: Text
    venue: Text | None = None
    city: Text | None = None
    timezone: str
    first_day: Day
    last_day: Day
    auto_approve_categories: list[Annotated[Category, Lax]] = []


class DelegationSpec(_Spec):
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$", max_length=32)
    kind: Annotated[DelegationKind, Lax] = DelegationKind.STATE
    name: Text
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    quota: int | None = Field(default=None, ge=0)
    auto_approve: bool = False
    head: str | None = None  # a key from people:


class PersonSpec(_Spec):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=64)
    name: Annotated[str, _rule(validation.latin_name)]  # Latin script, as in the passport
    native_name: Annotated[str, _rule(validation.native_name)] | None = None
    position: Annotated[str, _rule(_position)] | None = None
    organisation: Annotated[str, _rule(_organisation)] | None = None
    delegation: str | None = None
    category: Annotated[Category, Lax] = Category.SPEAKER


class AgendaSpec(_Spec):
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)
    kind: Annotated[AgendaKind, Lax]
    title: Text
    description: Text | None = None
    hall: Text | None = None
    day: Day | None = None
    start: Any  # "10:00" with day, or an ISO date-time (checked in _resolve)
    end: Any
    capacity: int | None = Field(default=None, ge=0)
    allowed_categories: list[Annotated[Category, Lax]] = []
    signup_open: bool = False
    cancelled: bool = False
    speakers: list[str] = []
    moderator: Annotated[list[str], BeforeValidator(_one_or_many)] = []


class ProgrammeFile(_Spec):
    conference: ConferenceSpec
    delegations: list[DelegationSpec] = []
    people: list[PersonSpec] = []
    agenda: list[AgendaSpec] = []


_SECTIONS: dict[str, tuple[type[_Spec], str]] = {
    "delegations": (DelegationSpec, "code"),
    "people": (PersonSpec, "key"),
    "agenda": (AgendaSpec, "code"),
}

# ---------------------------------------------------------------------------------------
# The resolved document the service loads
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgrammeDocument:
    source: str  # the file name, for messages and the audit log
    conference: ConferenceSpec
    delegations: tuple[DelegationSpec, ...]
    people: tuple[PersonSpec, ...]
    items: tuple[ResolvedItem, ...]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.conference.timezone)


@dataclass(frozen=True)
class ResolvedItem:
    spec: AgendaSpec
    starts_at: datetime  # aware UTC
    ends_at: datetime


class _Located(Exception):
    def __init__(self, loc: Sequence[str | int], message: str) -> None:
        super().__init__(message)
        self.loc = tuple(loc)
        self.message = message


def parse_programme(text: str, source: str = "<programme>") -> ProgrammeDocument:
    """Validate a programme file's text; raise `ProgrammeError` naming file, entry, field."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ProgrammeError(f"{source}: the file is empty")
        _check_duplicate_keys(node, source)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise ProgrammeError(f"{source}: {where}YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise ProgrammeError(f"{source}: YAML syntax error: {exc}") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ProgrammeError(f"{source}: expected a mapping with conference:, delegations:, …")

    try:
        parsed = ProgrammeFile.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        message = _pydantic_message(first, data)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ProgrammeError(_locate(source, node, data, first["loc"], message + more)) from None
    try:
        return _resolve(parsed, source)
    except _Located as exc:
        raise ProgrammeError(_locate(source, node, data, exc.loc, exc.message)) from None


def _check_duplicate_keys(node: yaml.Node, source: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    raise ProgrammeError(
                        f"{source}: line {key.start_mark.line + 1}: key {key.value!r} appears twice in the same mapping"
                    )
                seen.add(key.value)
            _check_duplicate_keys(value, source)
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            _check_duplicate_keys(child, source)


def _pydantic_message(error: Any, data: dict[str, Any]) -> str:
    kind = error["type"]
    loc = error["loc"]
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        allowed = list(model.model_fields)
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        suggestion = f"did you mean {hint[0]!r}? " if hint else ""
        return f"unknown field ({suggestion}expected one of: {', '.join(allowed)})"
    if kind == "missing":
        return "required"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern", "")
        message = {
            "^[A-Z]{2}$": "expected an ISO 3166-1 alpha-2 code in capitals, e.g. BY",
        }.get(pattern, f"invalid value {error.get('input')!r} (allowed: {pattern})")
    return message


def _model_at(loc: Sequence[str | int]) -> type[_Spec]:
    if not loc:
        return ProgrammeFile
    if loc[0] == "conference":
        return ConferenceSpec
    return _SECTIONS.get(str(loc[0]), (ProgrammeFile, ""))[0]


def _locate(source: str, node: yaml.Node, data: dict[str, Any], loc: Sequence[str | int], message: str) -> str:
    """`file: section[i] (code 'x'): field: message (line N)`."""
    parts = [source]
    rest: list[str | int] = list(loc)
    if rest and rest[0] in _SECTIONS and len(rest) >= 2 and isinstance(rest[1], int):
        section, index = str(rest[0]), rest[1]
        entry = f"{section}[{index}]"
        key_name = _SECTIONS[section][1]
        items = data.get(section)
        if isinstance(items, list) and index < len(items) and isinstance(items[index], dict):
            key = items[index].get(key_name)
            if isinstance(key, str | int):
                entry += f" ({key_name} {str(key)!r})"
        parts.append(entry)
        rest = rest[2:]
    elif rest:
        parts.append(str(rest.pop(0)))
    if rest:
        path = ""
        for part in rest:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
        parts.append(path)
    line = _line_of(node, loc)
    suffix = f" (line {line})" if line else ""
    return ": ".join(parts) + f": {message}{suffix}"


def _line_of(node: yaml.Node, loc: Sequence[str | int]) -> int | None:
    """The line of the deepest YAML node along `loc` (1-based)."""
    current = node
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    child = value
                    break
        elif isinstance(current, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(current.value):
                child = current.value[part]
        if child is None:
            break
        current = child
    return current.start_mark.line + 1


# ---------------------------------------------------------------------------------------
# Cross-field checks and time resolution
# ---------------------------------------------------------------------------------------


def _resolve(doc: ProgrammeFile, source: str) -> ProgrammeDocument:
    conf = doc.conference
    try:
        tz = ZoneInfo(conf.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        hint = difflib.get_close_matches(conf.timezone, sorted(available_timezones()), n=1)
        expected = f"did you mean {hint[0]!r}?" if hint else "expected an IANA name like Europe/Minsk"
        raise _Located(("conference", "timezone"), f"unknown time zone {conf.timezone!r} ({expected})") from None
    if conf.last_day < conf.first_day:
        raise _Located(("conference", "last_day"), "must not be before first_day")
    _unique("conference", "auto_approve_categories", conf.auto_approve_categories)

    codes = _unique_keys("delegations", "code", [d.code for d in doc.delegations])
    keys = _unique_keys("people", "key", [p.key for p in doc.people])
    _unique_keys("agenda", "code", [a.code for a in doc.agenda])

    people = {p.key: p for p in doc.people}
    for i, d in enumerate(doc.delegations):
        if d.kind == DelegationKind.STATE and not d.country:
            raise _Located(("delegations", i, "country"), "required for a state")
        if d.head is not None:
            if d.head not in keys:
                raise _Located(("delegations", i, "head"), _unknown_person(d.head, keys))
            if people[d.head].delegation != d.code:
                raise _Located(
                    ("delegations", i, "head"),
                    f"{d.head!r} is not in this delegation (set delegation: {d.code} there)",
                )

    for i, p in enumerate(doc.people):
        if p.delegation is not None and p.delegation not in codes:
            raise _Located(("people", i, "delegation"), f"no delegation with code {p.delegation!r}")

    items = []
    for i, a in enumerate(doc.agenda):
        starts_at = _moment(a.start, a.day, tz, ("agenda", i, "start"))
        ends_at = _moment(a.end, a.day, tz, ("agenda", i, "end"))
        if ends_at <= starts_at:
            raise _Located(("agenda", i, "end"), "must be after start")
        first = starts_at.astimezone(tz).date()
        last = (ends_at - timedelta(microseconds=1)).astimezone(tz).date()
        if first < conf.first_day or first > conf.last_day:
            raise _Located(
                ("agenda", i, "day" if a.day else "start"),
                f"{first} is outside the conference days {conf.first_day} – {conf.last_day}",
            )
        if last > conf.last_day:
            raise _Located(("agenda", i, "end"), f"ends after the last day {conf.last_day}")
        _unique("agenda", "allowed_categories", a.allowed_categories, i)
        _unique("agenda", "speakers", a.speakers, i)
        _unique("agenda", "moderator", a.moderator, i)
        for role in ("speakers", "moderator"):
            for j, key in enumerate(getattr(a, role)):
                if key not in keys:
                    raise _Located(("agenda", i, role, j), _unknown_person(key, keys))
        for j, key in enumerate(a.moderator):
            if key in a.speakers:
                raise _Located(("agenda", i, "moderator", j), f"{key!r} is also under speakers")
        items.append(ResolvedItem(a, starts_at, ends_at))

    return ProgrammeDocument(
        source=source,
        conference=conf,
        delegations=tuple(doc.delegations),
        people=tuple(doc.people),
        items=tuple(items),
    )


def _unique_keys(section: str, name: str, values: list[str]) -> set[str]:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            raise _Located((section, i, name), f"duplicate {name} {value!r}")
        seen.add(value)
    return seen


def _unique(section: str, name: str, values: Iterable[object], index: int | None = None) -> None:
    seen: set[object] = set()
    for j, value in enumerate(values):
        if value in seen:
            loc = (section, index, name, j) if index is not None else (section, name, j)
            raise _Located(loc, f"{value!s} is listed twice")
        seen.add(value)


def _unknown_person(key: str, keys: set[str]) -> str:
    hint = difflib.get_close_matches(key, sorted(keys), n=1)
    suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
    return f"no person with key {key!r} under people:{suggestion}"


_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _moment(value: object, day: date | None, tz: ZoneInfo, loc: tuple[str | int, ...]) -> datetime:
    """A local wall-clock time ("10:00" with `day`) or ISO date-time, as aware UTC."""
    if value is None:
        raise _Located(loc, "required")
    local: datetime
    if isinstance(value, datetime):
        local = value
    elif isinstance(value, str) and (match := _CLOCK.match(value.strip())):
        if day is None:
            raise _Located(loc, "a time of day needs day: on the item (or give a full date-time)")
        local = datetime.combine(day, time(int(match[1]), int(match[2])))
    elif isinstance(value, str):
        try:
            local = datetime.fromisoformat(value.strip())
        except ValueError:
            raise _Located(loc, f'expected a time like "10:00" or a date-time, got {value!r}') from None
    else:
        raise _Located(loc, f'expected a time like "10:00" in quotes, got {value!r}')
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    if day is not None and local.date() != day:
        raise _Located(loc, f"date {local.date()} differs from day {day}")
    aware = local.replace(tzinfo=tz)
    # A wall-clock time skipped by a daylight-saving change does not round-trip.
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local:
        raise _Located(loc, f"{local:%Y-%m-%d %H:%M} does not exist in {tz.key}")
    return aware.astimezone(UTC)


# ---------------------------------------------------------------------------------------
# The database half
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One entry of a diff: `section` is conference, delegation, person or agenda."""

    section: str
    key: str
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        named = f" ({', '.join(self.fields)})" if self.fields else ""
        return f"{self.section} {self.key!r}{named}"


@dataclass
class ProgrammeDiff:
    conference: str  # slug
    created: bool = False
    added: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    cancelled: list[Change] = field(default_factory=list)  # items kept for their sign-ups
    warnings: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed or self.cancelled)

    def summary(self) -> dict[str, object]:
        return {
            "created": self.created,
            "added": [str(c) for c in self.added],
            "changed": [str(c) for c in self.changed],
            "removed": [str(c) for c in self.removed],
            "cancelled": [str(c) for c in self.cancelled],
        }


def _assign(row: object, values: dict[str, object], names: dict[str, str]) -> list[str]:
    """Set the attributes that differ; return their file names."""
    changed = []
    for attr, value in values.items():
        if getattr(row, attr) != value:
            setattr(row, attr, value)
            changed.append(names.get(attr, attr))
    return changed


async def load_programme(
    session: AsyncSession,
    document: ProgrammeDocument,
    *,
    actor: str = "cli",
    dry_run: bool = False,
    clock: Clock = utc_now,
) -> ProgrammeDiff:
    """Upsert the document in one transaction and commit once; nothing is written when
    nothing changed, or with `dry_run` (the diff is still computed)."""
    try:
        diff = await _load(session, document, actor, clock())
    except BaseException:
        await session.rollback()
        raise
    if dry_run or diff.empty:
        await session.rollback()
    else:
        await session.commit()
    return diff


async def _load(session: AsyncSession, doc: ProgrammeDocument, actor: str, now: datetime) -> ProgrammeDiff:
    spec = doc.conference
    # FOR UPDATE on PostgreSQL: two loads of one conference run one after the other.
    query = select(Conference).where(col(Conference.slug) == spec.slug).with_for_update()
    conf = (await session.execute(query)).scalar_one_or_none()
    diff = ProgrammeDiff(conference=spec.slug)
    values: dict[str, object] = {
        "edition": spec.edition,
        "name": spec.name,
        "venue": spec.venue or {},
        "city": spec.city or {},
        "timezone": spec.timezone,
        "first_day": spec.first_day,
        "last_day": spec.last_day,
        "auto_approve_categories": [c.value for c in spec.auto_approve_categories],
    }
    if conf is None:
        conf = Conference(slug=spec.slug, **values)  # type: ignore[arg-type]
        session.add(conf)
        await session.flush()
        diff.created = True
        diff.added.append(Change("conference", spec.slug))
    elif fields := _assign(conf, values, {}):
        conf.updated_at = now
        diff.changed.append(Change("conference", spec.slug, tuple(fields)))
    assert conf.id is not None
    conf_id = conf.id

    # Delegations (heads are set once people exist).
    existing_d = {
        d.code: d for d in (await session.scalars(select(Delegation).where(col(Delegation.conference_id) == conf_id)))
    }
    delegations: dict[str, Delegation] = {}
    d_changes: dict[str, list[str]] = {}
    for d in doc.delegations:
        values = {
            "kind": d.kind,
            "name": d.name,
            "country": d.country,
            "quota": d.quota,
            "auto_approve": d.auto_approve,
        }
        row = existing_d.get(d.code)
        if row is None:
            row = Delegation(conference_id=conf_id, code=d.code, **values)  # type: ignore[arg-type]
            session.add(row)
            diff.added.append(Change("delegation", d.code))
        else:
            d_changes[d.code] = _assign(row, values, {})
        delegations[d.code] = row
    await session.flush()

    # People: a Participant by ref (shared across conferences), an approved registration.
    refs = [p.key for p in doc.people]
    participants = {
        p.ref: p for p in (await session.scalars(select(Participant).where(col(Participant.ref).in_(refs)))) if p.ref
    }
    registrations = {
        r.participant_id: r
        for r in (await session.scalars(select(Registration).where(col(Registration.conference_id) == conf_id)))
    }
    person_ids: dict[str, int] = {}
    for p in doc.people:
        person = participants.get(p.key)
        p_values: dict[str, object] = {
            "full_name": p.name,
            "native_name": p.native_name,
            "position": p.position,
            "organisation": p.organisation,
        }
        fields = []
        if person is None:
            person = Participant(ref=p.key, **p_values)  # type: ignore[arg-type]
            session.add(person)
            await session.flush()
        else:
            fields = _assign(person, p_values, {"full_name": "name"})
            if fields:
                person.updated_at = now
        assert person.id is not None
        person_ids[p.key] = person.id
        r_values: dict[str, object] = {
            "category": p.category,
            "delegation_id": delegations[p.delegation].id if p.delegation else None,
            "status": RegistrationStatus.APPROVED,
        }
        reg = registrations.get(person.id)
        if reg is None:
            session.add(
                Registration(
                    conference_id=conf_id,
                    participant_id=person.id,
                    source=PROGRAMME_SOURCE,
                    decided_at=now,
                    decision_reason="programme file",
                    **r_values,  # type: ignore[arg-type]
                )
            )
            diff.added.append(Change("person", p.key))
            continue
        r_fields = _assign(reg, r_values, {"delegation_id": "delegation"})
        if "status" in r_fields:
            reg.decided_at, reg.decided_by, reg.decision_reason = now, None, "programme file"
        if r_fields:
            reg.updated_at = now
        if fields or r_fields:
            diff.changed.append(Change("person", p.key, tuple(fields + r_fields)))

    # People no longer in the file: their programme registration is cancelled.
    keep = set(person_ids.values())
    gone = await session.execute(
        select(Registration, col(Participant.ref))
        .join(Participant, col(Participant.id) == col(Registration.participant_id))
        .where(
            col(Registration.conference_id) == conf_id,
            col(Registration.source) == PROGRAMME_SOURCE,
            col(Registration.status) != RegistrationStatus.CANCELLED,
        )
    )
    for reg, ref in gone.all():
        if reg.participant_id not in keep:
            reg.status, reg.updated_at, reg.decided_at = RegistrationStatus.CANCELLED, now, now
            reg.decision_reason = "removed from the programme file"
            diff.removed.append(Change("person", ref or f"#{reg.participant_id}"))

    for d in doc.delegations:
        row = delegations[d.code]
        head = person_ids[d.head] if d.head else None
        if row.head_participant_id != head:
            row.head_participant_id = head
            d_changes.setdefault(d.code, []).append("head")
    for code, fields in d_changes.items():
        if fields:
            delegations[code].updated_at = now
            diff.changed.append(Change("delegation", code, tuple(fields)))

    await _load_items(session, doc, conf_id, person_ids, diff, now)

    # Delegations no longer in the file are deleted, unless people are registered in them.
    await session.flush()
    for code, row in existing_d.items():
        if code in delegations:
            continue
        active = await _count(
            session,
            Registration,
            (col(Registration.delegation_id) == row.id)
            & col(Registration.status).in_([RegistrationStatus.PENDING, RegistrationStatus.APPROVED]),
        )
        if active:
            raise ProgrammeError(
                f"{doc.source}: delegations: {code!r} is missing from the file but has "
                f"{active} active registration(s); keep it in the file or move them first"
            )
        await session.delete(row)
        diff.removed.append(Change("delegation", code))

    if not diff.empty:
        record(
            session,
            action="programme.load",
            entity="conference",
            entity_id=conf_id,
            at=now,
            conference_id=conf_id,
            actor=actor,
            file=doc.source,
            created=diff.created,
            added=[str(c) for c in diff.added],
            changed=[str(c) for c in diff.changed],
            removed=[str(c) for c in diff.removed],
            cancelled=[str(c) for c in diff.cancelled],
        )
        await session.flush()
    return diff


async def _load_items(
    session: AsyncSession,
    doc: ProgrammeDocument,
    conf_id: int,
    person_ids: dict[str, int],
    diff: ProgrammeDiff,
    now: datetime,
) -> None:
    existing = {
        a.code: a for a in (await session.scalars(select(AgendaItem).where(col(AgendaItem.conference_id) == conf_id)))
    }
    speaker_rows: dict[int, list[tuple[int, SpeakerRole, int]]] = {}
    if existing:
        rows = await session.execute(
            select(
                col(AgendaSpeaker.agenda_item_id),
                col(AgendaSpeaker.participant_id),
                col(AgendaSpeaker.role),
                col(AgendaSpeaker.position),
            )
            .join(AgendaItem, col(AgendaItem.id) == col(AgendaSpeaker.agenda_item_id))
            .where(col(AgendaItem.conference_id) == conf_id)
        )
        for item_id, participant_id, role, position in rows.all():
            speaker_rows.setdefault(item_id, []).append((participant_id, role, position))
    confirmed = dict(
        (
            await session.execute(
                select(col(AgendaSignup.agenda_item_id), func.count())
                .join(AgendaItem, col(AgendaItem.id) == col(AgendaSignup.agenda_item_id))
                .where(
                    col(AgendaItem.conference_id) == conf_id,
                    col(AgendaSignup.status) == SignupStatus.CONFIRMED,
                )
                .group_by(col(AgendaSignup.agenda_item_id))
            )
        ).all()
    )

    names = {"starts_at": "start", "ends_at": "end", "cancelled_at": "cancelled"}
    pending: list[tuple[AgendaItem, ResolvedItem, bool]] = []
    reseat: list[AgendaItem] = []
    notices: list[ItemChange] = []  # what people signed up for an item are told
    for resolved in doc.items:
        a = resolved.spec
        values: dict[str, object] = {
            "kind": a.kind,
            "title": a.title,
            "description": a.description or {},
            "hall": a.hall or {},
            "starts_at": resolved.starts_at,
            "ends_at": resolved.ends_at,
            "capacity": a.capacity,
            "allowed_categories": [c.value for c in a.allowed_categories],
            "signup_open": a.signup_open,
        }
        row = existing.get(a.code)
        if row is None:
            row = AgendaItem(
                conference_id=conf_id,
                code=a.code,
                cancelled_at=now if a.cancelled else None,
                **values,  # type: ignore[arg-type]
            )
            session.add(row)
            diff.added.append(Change("agenda", a.code))
            pending.append((row, resolved, True))
            continue
        before = (row.starts_at, row.ends_at, dict(row.hall), row.cancelled_at is not None)
        fields = _assign(row, values, names)
        if a.cancelled != (row.cancelled_at is not None):
            row.cancelled_at = now if a.cancelled else None
            fields.append("cancelled")
        notices.append(_item_change(row, before))
        pending.append((row, resolved, False))
        if {"capacity", "signup_open", "cancelled"} & set(fields):
            reseat.append(row)  # seats may have freed up for those waiting
        if fields:
            row.updated_at = now
            diff.changed.append(Change("agenda", a.code, tuple(fields)))
        taken = confirmed.get(row.id or 0, 0)
        if a.capacity is not None and taken > a.capacity:
            diff.warnings.append(f"agenda {a.code!r}: capacity {a.capacity} is below its {taken} confirmed sign-ups")
    await session.flush()
    for row in reseat:
        await agenda.fill_free_seats(session, row.id or 0, now)

    for row, resolved, is_new in pending:
        assert row.id is not None
        a = resolved.spec
        wanted = [(person_ids[k], SpeakerRole.SPEAKER, n) for n, k in enumerate(a.speakers)]
        wanted += [(person_ids[k], SpeakerRole.MODERATOR, n) for n, k in enumerate(a.moderator)]
        have = speaker_rows.get(row.id, [])
        if sorted(wanted) == sorted(have):
            continue
        if not is_new:
            fields = [
                label
                for role, label in _ROLE_LABELS
                if sorted(w for w in wanted if w[1] == role) != sorted(h for h in have if h[1] == role)
            ]
            _merge_change(diff, a.code, fields)
            row.updated_at = now
            await session.execute(delete(AgendaSpeaker).where(col(AgendaSpeaker.agenda_item_id) == row.id))
        if wanted:
            await session.execute(
                insert(AgendaSpeaker),
                [
                    {"agenda_item_id": row.id, "participant_id": pid, "role": role, "position": n}
                    for pid, role, n in wanted
                ],
            )

    # Items missing from the file: deleted, or cancelled when people signed up or scanned in.
    in_file = {r.spec.code for r in doc.items}
    for code, row in existing.items():
        if code in in_file:
            continue
        used = await _count(session, AgendaSignup, col(AgendaSignup.agenda_item_id) == row.id)
        used = used or await _count(session, Scan, col(Scan.agenda_item_id) == row.id)
        if not used:
            await session.delete(row)
            diff.removed.append(Change("agenda", code))
        elif row.cancelled_at is None:
            before = (row.starts_at, row.ends_at, dict(row.hall), False)
            row.cancelled_at = row.updated_at = now
            diff.cancelled.append(Change("agenda", code))
            notices.append(_item_change(row, before))
    await enqueue_change_notices(session, notices, now)


def _item_change(row: AgendaItem, before: tuple[datetime, datetime, dict[str, str], bool]) -> ItemChange:
    """What a participant is told about an item after a load: time, hall, cancellation."""
    starts_at, ends_at, hall, was_cancelled = before
    fields = []
    if (starts_at, ends_at) != (row.starts_at, row.ends_at):
        fields.append("time")
    if hall != row.hall:
        fields.append("hall")
    if was_cancelled != (row.cancelled_at is not None):
        fields.append("restored" if was_cancelled else "cancelled")
    return ItemChange(row, tuple(fields), starts_at, ends_at, hall)


_ROLE_LABELS = ((SpeakerRole.SPEAKER, "speakers"), (SpeakerRole.MODERATOR, "moderator"))


async def _count(session: AsyncSession, table: Any, condition: Any) -> int:
    return int((await session.execute(select(func.count()).select_from(table).where(condition))).scalar_one())


def _merge_change(diff: ProgrammeDiff, code: str, fields: list[str]) -> None:
    for i, change in enumerate(diff.changed):
        if change.section == "agenda" and change.key == code:
            diff.changed[i] = Change("agenda", code, change.fields + tuple(fields))
            return
    diff.changed.append(Change("agenda", code, tuple(fields)))


# ---------------------------------------------------------------------------------------
# Reading, for `program show` / `program list`
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaEntry:
    item: AgendaItem
    speakers: tuple[Participant, ...]
    moderators: tuple[Participant, ...]


async def agenda_of(session: AsyncSession, conference_id: int) -> list[AgendaEntry]:
    items = list(
        await session.scalars(
            select(AgendaItem)
            .where(col(AgendaItem.conference_id) == conference_id)
            .order_by(col(AgendaItem.starts_at), col(AgendaItem.ends_at), col(AgendaItem.code))
        )
    )
    rows = await session.execute(
        select(AgendaSpeaker, Participant)
        .join(Participant, col(Participant.id) == col(AgendaSpeaker.participant_id))
        .join(AgendaItem, col(AgendaItem.id) == col(AgendaSpeaker.agenda_item_id))
        .where(col(AgendaItem.conference_id) == conference_id)
        .order_by(col(AgendaSpeaker.position))
    )
    by_item: dict[int, list[tuple[AgendaSpeaker, Participant]]] = {}
    for speaker, person in rows.all():
        by_item.setdefault(speaker.agenda_item_id, []).append((speaker, person))
    return [
        AgendaEntry(
            item,
            tuple(p for s, p in by_item.get(item.id or 0, []) if s.role == SpeakerRole.SPEAKER),
            tuple(p for s, p in by_item.get(item.id or 0, []) if s.role == SpeakerRole.MODERATOR),
        )
        for item in items
    ]


@dataclass(frozen=True)
class ConferenceSummary:
    conference: Conference
    delegations: int
    items: int
    registrations: int


async def list_conferences(session: AsyncSession) -> list[ConferenceSummary]:
    def count(column: Any, table: Any) -> Any:
        return select(func.count()).select_from(table).where(column == col(Conference.id)).scalar_subquery()

    rows = await session.execute(
        select(
            Conference,
            count(col(Delegation.conference_id), Delegation),
            count(col(AgendaItem.conference_id), AgendaItem),
            count(col(Registration.conference_id), Registration),
        ).order_by(col(Conference.first_day), col(Conference.id))
    )
    return [ConferenceSummary(c, d, i, r) for c, d, i, r in rows.all()]

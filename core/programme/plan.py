"""Planning a programme load: the file compared with what is stored (`StoredProgramme`),
as the changes to make (`ProgrammePlan`) and what they amount to for the organiser
(`ProgrammeDiff`, printed by `confdesk program load`, recorded in the audit log).

Pure: no database here. Rows are matched by stable keys (conference slug, delegation code,
person key = `Participant.ref`, agenda item code); people and speakers by key, since people
new in the file have no id yet. `core.programme.write` makes the changes.

What the file no longer holds: a person's programme registration is cancelled; an agenda
item is deleted, or cancelled when people signed up or were scanned in; a delegation is
deleted, unless people outside the file are registered in it (then the load is refused).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from core.models import (
    AgendaItem,
    Conference,
    Delegation,
    Participant,
    Registration,
    RegistrationStatus,
    SpeakerRole,
)
from core.programme.file import ProgrammeError
from core.programme.file_spec import ConferenceSpec, PersonSpec, ProgrammeDocument, ResolvedItem
from core.programme.stored import PROGRAMME_SOURCE, StoredProgramme


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

    def merge(self, section: str, key: str, fields: list[str]) -> None:
        """Add `fields` to the change of `key`, or add the change."""
        for i, change in enumerate(self.changed):
            if change.section == section and change.key == key:
                self.changed[i] = Change(section, key, change.fields + tuple(fields))
                return
        self.changed.append(Change(section, key, tuple(fields)))


R = TypeVar("R")


@dataclass
class Upsert(Generic[R]):
    """One row of the file: new (`stored` None: created with `values`), or stored (`values`:
    only those that differ, to set)."""

    stored: R | None
    values: dict[str, object]


# A speaker as the file names them: (person key, role, position).
SpeakerKey = tuple[str, SpeakerRole, int]


@dataclass
class PersonPlan:
    spec: PersonSpec
    participant: Upsert[Participant]
    # values by file name: category, delegation (a code), status
    registration: Upsert[Registration]


@dataclass
class ItemPlan:
    resolved: ResolvedItem
    row: Upsert[AgendaItem]
    cancelled: bool | None = None  # the state to set (a new item, or a stored one whose state changes)
    speakers: list[SpeakerKey] | None = None  # the new list, when it changes
    notice: tuple[str, ...] = ()  # what people signed up are told (`reminders.NOTICE_FIELDS`)
    reseat: bool = False  # seats may have freed up for those waiting

    @property
    def touched(self) -> bool:
        """A stored item that changes: its `updated_at` moves."""
        changes = self.row.values or self.cancelled is not None or self.speakers is not None
        return self.row.stored is not None and bool(changes)


@dataclass
class ProgrammePlan:
    diff: ProgrammeDiff
    conference: Upsert[Conference]
    delegations: dict[str, Upsert[Delegation]] = field(default_factory=dict)  # by code, in file order
    people: list[PersonPlan] = field(default_factory=list)
    cancelled_registrations: list[Registration] = field(default_factory=list)  # people gone from the file
    heads: dict[str, str | None] = field(default_factory=dict)  # delegation code: its new head's key
    touched_delegations: list[str] = field(default_factory=list)  # codes whose updated_at moves
    items: list[ItemPlan] = field(default_factory=list)
    dropped_items: list[AgendaItem] = field(default_factory=list)  # gone from the file, unused: deleted
    cancelled_items: list[AgendaItem] = field(default_factory=list)  # gone, with sign-ups or scans
    dropped_delegations: list[Delegation] = field(default_factory=list)


ACTIVE = (RegistrationStatus.PENDING, RegistrationStatus.APPROVED)
ITEM_FIELD_NAMES = {"starts_at": "start", "ends_at": "end"}
ROLE_LABELS = ((SpeakerRole.SPEAKER, "speakers"), (SpeakerRole.MODERATOR, "moderator"))


def plan_load(doc: ProgrammeDocument, stored: StoredProgramme) -> ProgrammePlan:
    """The changes that make the database hold `doc`; raises `ProgrammeError` when a
    delegation gone from the file still has people registered in it."""
    diff = ProgrammeDiff(conference=doc.conference.slug)
    plan = ProgrammePlan(diff, _plan_conference(doc.conference, stored.conference, diff))
    delegation_fields = _plan_delegations(plan, doc, stored)
    _plan_people(plan, doc, stored)
    _plan_heads(plan, doc, stored, delegation_fields)
    _plan_items(plan, doc, stored)
    _plan_speakers(plan, stored)
    _plan_missing_items(plan, doc, stored)
    _plan_missing_delegations(plan, doc, stored)
    return plan


def _differing(row: object, values: dict[str, object]) -> dict[str, object]:
    """Of `values`, those that differ from the row's attributes (keyed as in `values`)."""
    return {attr: value for attr, value in values.items() if getattr(row, attr) != value}


def _named(values: dict[str, object], names: dict[str, str] | None = None) -> list[str]:
    """The file's names of the attributes in `values`."""
    return [(names or {}).get(attr, attr) for attr in values]


def _plan_conference(spec: ConferenceSpec, stored: Conference | None, diff: ProgrammeDiff) -> Upsert[Conference]:
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
    if stored is None:
        diff.created = True
        diff.added.append(Change("conference", spec.slug))
        return Upsert(None, values)
    differing = _differing(stored, values)
    if differing:
        diff.changed.append(Change("conference", spec.slug, tuple(_named(differing))))
    return Upsert(stored, differing)


def _plan_delegations(plan: ProgrammePlan, doc: ProgrammeDocument, stored: StoredProgramme) -> dict[str, list[str]]:
    """Plan the delegations; return the changed fields of the stored ones (heads come later)."""
    fields: dict[str, list[str]] = {}
    for d in doc.delegations:
        values: dict[str, object] = {
            "kind": d.kind,
            "name": d.name,
            "country": d.country,
            "quota": d.quota,
            "auto_approve": d.auto_approve,
        }
        row = stored.delegations.get(d.code)
        if row is None:
            plan.delegations[d.code] = Upsert(None, values)
            plan.diff.added.append(Change("delegation", d.code))
            continue
        differing = _differing(row, values)
        plan.delegations[d.code] = Upsert(row, differing)
        fields[d.code] = _named(differing)
    return fields


def _plan_people(plan: ProgrammePlan, doc: ProgrammeDocument, stored: StoredProgramme) -> None:
    """Each person of the file is a participant (shared by conferences, found by key) with
    an approved registration; people gone from the file lose their programme registration."""
    for p in doc.people:
        values: dict[str, object] = {
            "full_name": p.name,
            "native_name": p.native_name,
            "position": p.position,
            "organisation": p.organisation,
        }
        person = stored.people.get(p.key)
        participant = Upsert(person, values if person is None else _differing(person, values))
        registration = stored.registrations.get(person.id) if person is not None and person.id else None
        wanted: dict[str, object] = {
            "category": p.category,
            "delegation": p.delegation,
            "status": RegistrationStatus.APPROVED,
        }
        if registration is None:
            plan.people.append(PersonPlan(p, participant, Upsert(None, wanted)))
            plan.diff.added.append(Change("person", p.key))
            continue
        stored_values = {
            "category": registration.category,
            "delegation": _code_of(registration.delegation_id, stored),
            "status": registration.status,
        }
        differing = {name: value for name, value in wanted.items() if stored_values[name] != value}
        plan.people.append(PersonPlan(p, participant, Upsert(registration, differing)))
        fields = _named(participant.values, {"full_name": "name"}) + list(differing)
        if fields:
            plan.diff.changed.append(Change("person", p.key, tuple(fields)))

    in_file = {person.id for person in stored.people.values()}
    for registration, ref in stored.from_file:
        if registration.participant_id not in in_file:
            plan.cancelled_registrations.append(registration)
            plan.diff.removed.append(Change("person", ref or f"#{registration.participant_id}"))


def _code_of(delegation_id: int | None, stored: StoredProgramme) -> str | None:
    if delegation_id is None:
        return None
    for code, row in stored.delegations.items():
        if row.id == delegation_id:
            return code
    return f"#{delegation_id}"  # not this conference's: matches no code of the file


def _key_of(stored: StoredProgramme) -> dict[int | None, str]:
    """The file key of each stored participant of the file, by id."""
    return {person.id: key for key, person in stored.people.items()}


def _plan_heads(
    plan: ProgrammePlan, doc: ProgrammeDocument, stored: StoredProgramme, fields: dict[str, list[str]]
) -> None:
    """Heads of delegation (people of the file), and the delegations' changes for the diff."""
    key_of = _key_of(stored)
    for d in doc.delegations:
        row = stored.delegations.get(d.code)
        head_id = row.head_participant_id if row is not None else None
        head = None if head_id is None else key_of.get(head_id, f"#{head_id}")
        if head != d.head:
            plan.heads[d.code] = d.head
            fields.setdefault(d.code, []).append("head")
    for code, changed in fields.items():
        if changed:
            plan.touched_delegations.append(code)
            plan.diff.changed.append(Change("delegation", code, tuple(changed)))


def _plan_items(plan: ProgrammePlan, doc: ProgrammeDocument, stored: StoredProgramme) -> None:
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
        row = stored.items.get(a.code)
        if row is None:
            plan.items.append(ItemPlan(resolved, Upsert(None, values), cancelled=a.cancelled))
            plan.diff.added.append(Change("agenda", a.code))
            continue
        differing = _differing(row, values)
        fields = _named(differing, ITEM_FIELD_NAMES)
        cancelled = a.cancelled if a.cancelled != (row.cancelled_at is not None) else None
        if cancelled is not None:
            fields.append("cancelled")
        reseat = bool({"capacity", "signup_open", "cancelled"} & set(fields))
        plan.items.append(ItemPlan(resolved, Upsert(row, differing), cancelled, None, _notice(row, resolved), reseat))
        if fields:
            plan.diff.changed.append(Change("agenda", a.code, tuple(fields)))
        taken = stored.confirmed.get(row.id or 0, 0)
        if a.capacity is not None and taken > a.capacity:
            plan.diff.warnings.append(
                f"agenda {a.code!r}: capacity {a.capacity} is below its {taken} confirmed sign-ups"
            )


def _notice(row: AgendaItem, resolved: ResolvedItem) -> tuple[str, ...]:
    """What a participant is told about a stored item after the load: time, hall, cancellation."""
    fields = []
    if (row.starts_at, row.ends_at) != (resolved.starts_at, resolved.ends_at):
        fields.append("time")
    if dict(row.hall) != (resolved.spec.hall or {}):
        fields.append("hall")
    was_cancelled = row.cancelled_at is not None
    if was_cancelled != resolved.spec.cancelled:
        fields.append("restored" if was_cancelled else "cancelled")
    return tuple(fields)


def _plan_speakers(plan: ProgrammePlan, stored: StoredProgramme) -> None:
    key_of = _key_of(stored)
    for item in plan.items:
        a = item.resolved.spec
        wanted = [(key, SpeakerRole.SPEAKER, n) for n, key in enumerate(a.speakers)]
        wanted += [(key, SpeakerRole.MODERATOR, n) for n, key in enumerate(a.moderator)]
        row = item.row.stored
        have = []
        if row is not None:
            have = [(key_of.get(pid, f"#{pid}"), role, n) for pid, role, n in stored.speakers.get(row.id or 0, [])]
        if sorted(wanted) == sorted(have):
            continue
        item.speakers = wanted
        if row is not None:
            labels = [
                label
                for role, label in ROLE_LABELS
                if sorted(w for w in wanted if w[1] == role) != sorted(h for h in have if h[1] == role)
            ]
            plan.diff.merge("agenda", a.code, labels)


def _plan_missing_items(plan: ProgrammePlan, doc: ProgrammeDocument, stored: StoredProgramme) -> None:
    in_file = {r.spec.code for r in doc.items}
    for code, row in stored.items.items():
        if code in in_file:
            continue
        if row.id not in stored.used:
            plan.dropped_items.append(row)
            plan.diff.removed.append(Change("agenda", code))
        elif row.cancelled_at is None:
            plan.cancelled_items.append(row)
            plan.diff.cancelled.append(Change("agenda", code))


def _plan_missing_delegations(plan: ProgrammePlan, doc: ProgrammeDocument, stored: StoredProgramme) -> None:
    """Delegations gone from the file are deleted, unless people are still registered in
    them once the load is done (the file's people move to the file's delegations, and its
    people gone from the file are cancelled)."""
    in_file = {person.id for person in stored.people.values()}
    for code, row in stored.delegations.items():
        if code in plan.delegations:
            continue
        active = sum(
            1
            for r in stored.registrations.values()
            if r.delegation_id == row.id
            and r.status in ACTIVE
            and r.participant_id not in in_file
            and r.source != PROGRAMME_SOURCE
        )
        if active:
            raise ProgrammeError(
                f"{doc.source}: delegations: {code!r} is missing from the file but has "
                f"{active} active registration(s); keep it in the file or move them first"
            )
        plan.dropped_delegations.append(row)
        plan.diff.removed.append(Change("delegation", code))

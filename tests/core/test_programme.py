"""The programme file: parsing (pure) and loading (both databases)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.models import (
    AgendaItem,
    AgendaSignup,
    AgendaSpeaker,
    AuditLog,
    Conference,
    Delegation,
    Participant,
    Registration,
    RegistrationStatus,
    SignupStatus,
    SpeakerRole,
)
from core.programme.file import ProgrammeError, parse_programme
from core.programme.load import load_programme
from core.programme.plan import Change
from core.uow import unit_of_work
from tests.factories import make_registration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MINSK_2024 = (EXAMPLES / "minsk-2024.yaml").read_text(encoding="utf-8")
MINSK_2023 = (EXAMPLES / "minsk-2023.yaml").read_text(encoding="utf-8")

SMALL = """\
conference:
  slug: test-conf
  edition: 1
  name: {en: Test conference, ru: Тестовая конференция}
  timezone: Europe/Minsk
  first_day: 2024-10-31
  last_day: 2024-11-01
delegations:
  - {code: BY, country: BY, quota: 10, name: Belarus}
  - {code: OSCE, kind: organisation, name: OSCE}
people:
  - {key: ryzhenkov, name: Maxim Ryzhenkov, delegation: BY, category: head_of_delegation}
  - {key: guest, name: Anna Guest}
agenda:
  - code: opening
    kind: opening
    day: 2024-10-31
    start: "10:00"
    end: "11:00"
    title: Opening
    speakers: [ryzhenkov]
  - code: charter
    kind: thematic
    day: 2024-10-31
    start: "11:30"
    end: "13:00"
    title: {en: Charter, ru: Хартия}
    capacity: 50
    signup_open: true
    moderator: guest
"""


async def count(session: AsyncSession, model: type) -> int:
    return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


@contextmanager
def writes(engine: AsyncEngine) -> Iterator[list[str]]:
    """Collect INSERT/UPDATE/DELETE statements run on `engine` inside the block."""
    seen: list[str] = []

    def listen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listen)


def parse_error(text: str, source: str = "examples/x.yaml") -> str:
    with pytest.raises(ProgrammeError) as info:
        parse_programme(text, source)
    message = info.value.message
    assert "\n" not in message
    return message


# ---------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------


def test_example_2024_parses_with_local_times_as_utc():
    doc = parse_programme(MINSK_2024, "examples/minsk-2024.yaml")
    states = [d for d in doc.delegations if d.kind == "state"]
    assert len(states) >= 38 and all(d.country and len(d.country) == 2 for d in states)
    assert {"OSCE", "CIS", "SCO", "CSTO", "CICA", "UNION-STATE"} <= {d.code for d in doc.delegations}
    assert 550 <= sum(d.quota or 0 for d in doc.delegations) <= 700
    items = {i.spec.code: i for i in doc.items}
    # 10:00 in Minsk (UTC+3) is 07:00 UTC.
    assert items["high-level"].starts_at == datetime(2024, 10, 31, 7, 0, tzinfo=UTC)
    assert items["high-level"].spec.speakers == ["lukashenko", "lavrov", "szijjarto", "sabbagh"]
    assert items["high-level"].spec.moderator == ["ryzhenkov"]
    assert items["charter"].spec.signup_open and items["charter"].spec.capacity
    assert "Multipolarity" in items["charter"].spec.title["en"]
    assert items["closing"].spec.speakers == ["ryzhenkov"]
    people = {p.key: p for p in doc.people}
    assert people["sabbagh"].native_name == "بسام الصباغ"
    assert people["szijjarto"].name == "Péter Szijjártó"


def test_plain_string_is_english_and_iso_datetimes_are_accepted():
    text = SMALL.replace('start: "10:00"', "start: 2024-10-31T09:30:00+02:00").replace(
        'end: "11:00"', 'end: "2024-10-31 11:00"'
    )
    doc = parse_programme(text)
    opening = doc.items[0]
    assert opening.spec.title == {"en": "Opening"}
    assert opening.starts_at == datetime(2024, 10, 31, 7, 30, tzinfo=UTC)
    assert opening.ends_at == datetime(2024, 10, 31, 8, 0, tzinfo=UTC)


def test_unquoted_times_and_country_no_are_not_mangled_by_yaml_1_1():
    text = SMALL.replace('start: "10:00"', "start: 10:00").replace(
        "{code: OSCE, kind: organisation, name: OSCE}", "{code: NO, country: NO, name: Norway}"
    )
    doc = parse_programme(text)
    assert doc.items[0].starts_at == datetime(2024, 10, 31, 7, 0, tzinfo=UTC)
    assert doc.delegations[1].country == "NO"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'end: "13:00"',
            'end: "11:00"',
            r"^examples/x\.yaml: agenda\[1\] \(code 'charter'\): end: must be after start \(line 26\)$",
        ),
        (
            "    capacity: 50",
            "    capacity: 50\n    capactiy: 5",
            r"agenda\[1\] \(code 'charter'\): capactiy: unknown field \(did you mean 'capacity'\?",
        ),
        (
            "timezone: Europe/Minsk",
            "timezone: Europe/Minks",
            r"conference: timezone: unknown time zone 'Europe/Minks' \(did you mean 'Europe/Minsk'\?\) \(line 5\)",
        ),
        (
            "{code: OSCE, kind: organisation, name: OSCE}",
            "{code: XX, name: Nowhere}",
            r"delegations\[1\] \(code 'XX'\): country: required for a state \(line 10\)",
        ),
        (
            "{code: OSCE, kind: organisation, name: OSCE}",
            "{code: BY, country: BY, name: Belarus again}",
            r"delegations\[1\] \(code 'BY'\): code: duplicate code 'BY'",
        ),
        (
            "    signup_open: true",
            "    signup_open: true\n    allowed_categories: [delegate, vip]",
            r"agenda\[1\] \(code 'charter'\): allowed_categories\[1\]: Input should be 'head_of_delegation'",
        ),
        (
            "moderator: guest",
            "moderator: gest",
            r"agenda\[1\] \(code 'charter'\): moderator\[0\]: no person with key 'gest' under "
            r"people: \(did you mean 'guest'\?\)",
        ),
        (
            "speakers: [ryzhenkov]",
            "speakers: [ryzhenkov, nobody]",
            r"agenda\[0\] \(code 'opening'\): speakers\[1\]: no person with key 'nobody'",
        ),
        (
            "{code: BY, country: BY, quota: 10, name: Belarus}",
            "{code: BY, country: by, quota: 10, name: Belarus}",
            r"delegations\[0\] \(code 'BY'\): country: expected an ISO 3166-1 alpha-2 code",
        ),
        (
            "quota: 10",
            "quota: -1",
            r"delegations\[0\] \(code 'BY'\): quota: Input should be greater than or equal to 0",
        ),
        (
            'day: 2024-10-31\n    start: "11:30"',
            'day: 2024-11-02\n    start: "11:30"',
            r"agenda\[1\] \(code 'charter'\): day: 2024-11-02 is outside the conference days",
        ),
        (
            "name: Anna Guest",
            "name: Анна Гость",
            r"people\[1\] \(key 'guest'\): name: use Latin letters",
        ),
        (
            "name: {en: Test conference, ru: Тестовая конференция}",
            "name: {ru: Тестовая конференция}",
            r"conference: name: the English text \(en\) is required",
        ),
        (
            "    title: Opening",
            "    title: Opening\n    title: Again",
            r"line 21: key 'title' appears twice",
        ),
    ],
)
def test_malformed_file_names_file_entry_and_field(old, new, expected):
    assert old in SMALL
    message = parse_error(SMALL.replace(old, new, 1))
    assert message.startswith("examples/x.yaml: ")
    assert re.search(expected, message), message


def test_yaml_syntax_error_names_the_line():
    message = parse_error(SMALL.replace("title: Opening", "title: [Opening"))
    assert re.match(r"examples/x\.yaml: line \d+, column \d+: YAML syntax error: ", message)
    message = parse_error("conference:\n  slug: x\n   edition: 1\n")
    assert message.startswith("examples/x.yaml: line 3, column 11: YAML syntax error: mapping")


# ---------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------


async def test_load_example_counts(session):
    doc = parse_programme(MINSK_2024, "examples/minsk-2024.yaml")
    diff = await load_programme(session, doc, actor="cli:test")
    assert diff.created and diff.conference == "minsk-2024"
    assert len(diff.added) == 1 + len(doc.delegations) + len(doc.people) + len(doc.items)
    assert await count(session, Conference) == 1
    assert await count(session, Delegation) == len(doc.delegations) == 46
    assert await count(session, AgendaItem) == len(doc.items) == 14
    assert await count(session, Participant) == 5
    regs = list(await session.scalars(select(Registration)))
    assert len(regs) == 5
    assert {(r.status, r.source) for r in regs} == {(RegistrationStatus.APPROVED, "programme")}
    hl = await session.scalar(select(AgendaItem).where(AgendaItem.code == "high-level"))
    assert hl.starts_at == datetime(2024, 10, 31, 7, 0, tzinfo=UTC)
    speakers = (
        await session.execute(
            select(Participant.ref, AgendaSpeaker.role, AgendaSpeaker.position)
            .join(AgendaSpeaker, AgendaSpeaker.participant_id == Participant.id)
            .where(AgendaSpeaker.agenda_item_id == hl.id)
            .order_by(AgendaSpeaker.role, AgendaSpeaker.position)
        )
    ).all()
    assert [tuple(s) for s in speakers] == [
        ("ryzhenkov", SpeakerRole.MODERATOR, 0),
        ("lukashenko", SpeakerRole.SPEAKER, 0),
        ("lavrov", SpeakerRole.SPEAKER, 1),
        ("szijjarto", SpeakerRole.SPEAKER, 2),
        ("sabbagh", SpeakerRole.SPEAKER, 3),
    ]
    by = await session.scalar(select(Delegation).where(Delegation.code == "BY"))
    head = await session.get(Participant, by.head_participant_id)
    assert head.ref == "ryzhenkov"
    audit = list(await session.scalars(select(AuditLog)))
    assert [(a.action, a.actor, a.details["file"]) for a in audit] == [
        ("programme.load", "cli:test", "examples/minsk-2024.yaml")
    ]


async def test_second_load_changes_nothing_and_writes_nothing(session, engine):
    doc = parse_programme(MINSK_2024, "examples/minsk-2024.yaml")
    await load_programme(session, doc)
    with writes(engine) as statements:
        diff = await load_programme(session, parse_programme(MINSK_2024))
    assert diff.empty and not diff.created and not diff.warnings
    assert statements == []
    assert await count(session, AuditLog) == 1


async def test_edit_reports_exactly_what_changed(session):
    await load_programme(session, parse_programme(SMALL))
    edited = SMALL.replace('start: "11:30"', 'start: "12:00"').replace(
        "  - {code: OSCE, kind: organisation, name: OSCE}\n",
        "  - {code: OSCE, kind: organisation, name: OSCE}\n  - {code: KZ, country: KZ, quota: 3, name: Kazakhstan}\n",
    )
    edited = edited[: edited.index("  - code: opening")] + edited[edited.index("  - code: charter") :]
    diff = await load_programme(session, parse_programme(edited))
    assert diff.added == [Change("delegation", "KZ")]
    assert diff.changed == [Change("agenda", "charter", ("start",))]
    assert diff.removed == [Change("agenda", "opening")]
    assert diff.cancelled == []
    charter = await session.scalar(select(AgendaItem).where(AgendaItem.code == "charter"))
    assert charter.starts_at == datetime(2024, 10, 31, 9, 0, tzinfo=UTC)
    assert await count(session, AgendaItem) == 1
    assert await count(session, AgendaSpeaker) == 1  # the opening's speaker went with it
    assert await count(session, AuditLog) == 2
    # And once more: nothing.
    assert (await load_programme(session, parse_programme(edited))).empty


async def test_speakers_people_and_fields_are_named(session):
    await load_programme(session, parse_programme(SMALL))
    edited = (
        SMALL.replace("speakers: [ryzhenkov]", "speakers: [ryzhenkov, guest]")
        .replace("moderator: guest", "moderator: ryzhenkov")
        .replace("name: Maxim Ryzhenkov,", "name: Maksim Ryzhenkov, position: Minister,")
        .replace("    capacity: 50", "    capacity: 40\n    hall: Hall 1")
    )
    diff = await load_programme(session, parse_programme(edited))
    assert sorted(diff.changed, key=str) == sorted(
        [
            Change("person", "ryzhenkov", ("name", "position")),
            Change("agenda", "opening", ("speakers",)),
            Change("agenda", "charter", ("hall", "capacity", "moderator")),
        ],
        key=str,
    )
    assert not diff.added and not diff.removed


async def test_item_with_signups_is_cancelled_not_deleted(session):
    await load_programme(session, parse_programme(SMALL))
    conf = await session.scalar(select(Conference))
    charter = await session.scalar(select(AgendaItem).where(AgendaItem.code == "charter"))
    reg = await make_registration(session, conf)
    session.add(AgendaSignup(registration_id=reg.id, agenda_item_id=charter.id, status=SignupStatus.CONFIRMED))
    await session.commit()
    without = SMALL[: SMALL.index("  - code: charter")]
    diff = await load_programme(session, parse_programme(without))
    assert diff.cancelled == [Change("agenda", "charter")] and diff.removed == []
    await session.refresh(charter)
    assert charter.cancelled_at is not None
    assert await count(session, AgendaSignup) == 1
    assert (await load_programme(session, parse_programme(without))).empty
    # Back in the file: restored.
    diff = await load_programme(session, parse_programme(SMALL))
    assert diff.changed == [Change("agenda", "charter", ("cancelled",))]
    await session.refresh(charter)
    assert charter.cancelled_at is None


async def test_capacity_below_confirmed_signups_is_a_warning(session):
    await load_programme(session, parse_programme(SMALL))
    conf = await session.scalar(select(Conference))
    charter = await session.scalar(select(AgendaItem).where(AgendaItem.code == "charter"))
    for _ in range(3):
        reg = await make_registration(session, conf)
        session.add(AgendaSignup(registration_id=reg.id, agenda_item_id=charter.id, status=SignupStatus.CONFIRMED))
    await session.commit()
    diff = await load_programme(session, parse_programme(SMALL.replace("capacity: 50", "capacity: 2")))
    assert diff.warnings == ["agenda 'charter': capacity 2 is below its 3 confirmed sign-ups"]


async def test_removed_person_registration_is_cancelled(session):
    await load_programme(session, parse_programme(SMALL))
    edited = SMALL.replace("  - {key: guest, name: Anna Guest}\n", "").replace("    moderator: guest\n", "")
    diff = await load_programme(session, parse_programme(edited))
    assert Change("person", "guest") in diff.removed
    guest = await session.scalar(select(Participant).where(Participant.ref == "guest"))
    reg = await session.scalar(select(Registration).where(Registration.participant_id == guest.id))
    assert reg.status == RegistrationStatus.CANCELLED
    diff = await load_programme(session, parse_programme(SMALL))
    assert Change("person", "guest", ("status",)) in diff.changed


async def test_delegation_with_registrations_is_not_removed(session):
    await load_programme(session, parse_programme(SMALL))
    conf = await session.scalar(select(Conference))
    osce = await session.scalar(select(Delegation).where(Delegation.code == "OSCE"))
    await make_registration(session, conf, delegation=osce)
    await session.commit()
    without = SMALL.replace("  - {code: OSCE, kind: organisation, name: OSCE}\n", "")
    with pytest.raises(ProgrammeError, match="'OSCE' is missing from the file but has 1 active"):
        await load_programme(session, parse_programme(without, "f.yaml"))
    assert await count(session, Delegation) == 2


async def test_refused_load_writes_nothing(session, engine):
    """A load the rules refuse is refused while planning, before anything is written."""
    await load_programme(session, parse_programme(SMALL))
    conf = await session.scalar(select(Conference))
    osce = await session.scalar(select(Delegation).where(Delegation.code == "OSCE"))
    await make_registration(session, conf, delegation=osce)
    await session.commit()
    before = await count(session, AgendaItem), await count(session, AuditLog)
    edited = (
        SMALL.replace("  - {code: OSCE, kind: organisation, name: OSCE}\n", "")
        .replace('end: "11:00"', 'end: "11:15"')
        .replace("title: Opening", "title: Opening ceremony")
    )
    with writes(engine) as statements, pytest.raises(ProgrammeError):
        await load_programme(session, parse_programme(edited))
    assert statements == []
    session.expunge_all()
    opening = await session.scalar(select(AgendaItem).where(AgendaItem.code == "opening"))
    assert opening.title == {"en": "Opening"}
    assert opening.ends_at == datetime(2024, 10, 31, 8, 0, tzinfo=UTC)
    assert (await count(session, AgendaItem), await count(session, AuditLog)) == before


async def test_failure_half_way_writes_nothing(session_factory, monkeypatch):
    """A load that fails after writing some rows leaves the database as it was: the loader
    never commits, its unit of work rolls back."""
    async with unit_of_work(session_factory) as s:
        await load_programme(s, parse_programme(SMALL))

    async def broken(*_args: object) -> int:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr("core.programme.write.enqueue_change_notices", broken)
    edited = SMALL.replace('end: "11:00"', 'end: "11:15"').replace("title: Opening", "title: Opening ceremony")
    with pytest.raises(RuntimeError):
        async with unit_of_work(session_factory) as s:
            await load_programme(s, parse_programme(edited))
    async with session_factory() as s:
        opening = await s.scalar(select(AgendaItem).where(AgendaItem.code == "opening"))
        assert opening.title == {"en": "Opening"}
        assert opening.ends_at == datetime(2024, 10, 31, 8, 0, tzinfo=UTC)
        assert await count(s, AuditLog) == 1


async def test_dry_run_reports_but_writes_nothing(session):
    diff = await load_programme(session, parse_programme(SMALL), dry_run=True)
    assert diff.created
    assert await count(session, Conference) == 0


async def test_two_editions_side_by_side(session):
    d24 = await load_programme(session, parse_programme(MINSK_2024))
    d23 = await load_programme(session, parse_programme(MINSK_2023))
    assert d24.created and d23.created
    confs = {c.slug: c for c in await session.scalars(select(Conference))}
    assert set(confs) == {"minsk-2023", "minsk-2024"}
    per_conf = dict(
        (await session.execute(select(Delegation.conference_id, func.count()).group_by(Delegation.conference_id))).all()
    )
    assert per_conf == {confs["minsk-2024"].id: 46, confs["minsk-2023"].id: 35}
    # Codes repeat across editions; the same person key is one participant, two registrations.
    lavrov = await session.scalar(select(Participant).where(Participant.ref == "lavrov"))
    regs = list(await session.scalars(select(Registration).where(Registration.participant_id == lavrov.id)))
    assert {r.conference_id for r in regs} == {c.id for c in confs.values()}
    # Reloading one edition leaves the other alone.
    assert (await load_programme(session, parse_programme(MINSK_2024))).empty
    assert (await load_programme(session, parse_programme(MINSK_2023))).empty

from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core.errors import NotFound
from core.models import (
    AppSetting,
    AuditLog,
    Category,
    DelegationKind,
    Participant,
    Registration,
    RegistrationStatus,
)
from core.services import importing
from core.services import registration as reg_svc
from core.services.badges import resolve_bot_username
from core.services.importing import ImportFailed, import_table, parse_bytes, read_table
from core.services.registration import TelegramAccount
from tests.factories import make_conference, make_delegation

NOW = datetime(2024, 10, 20, 12, 0, tzinfo=UTC)
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "participants.csv"
HEADER = "name,native_name,delegation,category,position,organisation,telegram_id,telegram_username,email,status"
GOOD = (
    "\n".join(
        [
            HEADER,
            "Liu Wenjun,刘文军,CN,head_of_delegation,Vice Minister,MFA of China,,,protocol.cn@example.org,approved",
            "Zhao Meilin,赵美琳,China,delegate,Counsellor,MFA of China,,,protocol.cn@example.org,pending",
            "Milica Jovanović,Милица Јовановић,RS,Глава делегации,State Secretary,MFA of Serbia,5208841173,,,approved",
            "Ahmad Al-Khatib,أحمد الخطيب,SY,Delegate,Counsellor,MFA of Syria,,@ahmad_khatib,,",
            "Nour Haddad,نور حداد,,expert,Researcher,,,,,",
        ]
    )
    + "\n"
)


def clock():
    return NOW


async def setup(session, **quotas):
    conf = await make_conference(session)
    for code in ("CN", "RS", "SY", "HU"):
        await make_delegation(
            session,
            conf,
            code,
            name={"en": {"CN": "China", "RS": "Serbia", "SY": "Syria", "HU": "Hungary"}[code]},
            quota=quotas.get(code),
        )
    await make_delegation(session, conf, "UNION-STATE", kind=DelegationKind.ORGANISATION)
    await session.commit()
    return conf


def csv_table(text: str, name: str = "people.csv", *, encoding: str = "utf-8"):
    return parse_bytes(text.encode(encoding), name)


async def counts(session):
    people = (await session.execute(select(func.count()).select_from(Participant))).scalar_one()
    regs = (await session.execute(select(func.count()).select_from(Registration))).scalar_one()
    return people, regs


async def regs_by_name(session):
    rows = (
        await session.execute(
            select(Participant.full_name, Registration).join(
                Registration, Registration.participant_id == Participant.id
            )
        )
    ).all()
    return {name: reg for name, reg in rows}


async def test_good_csv_imports_everyone(session):
    conf = await setup(session)
    result = await import_table(session, conf, csv_table(GOOD), clock=clock)
    assert (result.created, result.updated, result.unchanged) == (5, 0, 0)
    assert result.without_telegram == 4  # all but the one with a telegram_id
    regs = await regs_by_name(session)
    liu = regs["Liu Wenjun"]
    assert liu.status == RegistrationStatus.APPROVED and liu.decided_by is None
    assert liu.decision_reason == "import" and liu.source == "import" and liu.category == Category.HEAD
    assert regs["Zhao Meilin"].status == RegistrationStatus.PENDING
    assert regs["Milica Jovanović"].category == Category.HEAD  # Russian label
    assert regs["Ahmad Al-Khatib"].category == Category.DELEGATE
    assert regs["Nour Haddad"].delegation_id is None
    assert regs["Milica Jovanović"].bind_token is None
    assert all(regs[n].bind_token for n in ("Liu Wenjun", "Zhao Meilin", "Ahmad Al-Khatib", "Nour Haddad"))
    people = {p.full_name: p for p in (await session.execute(select(Participant))).scalars()}
    assert people["Ahmad Al-Khatib"].native_name == "أحمد الخطيب"
    assert people["Ahmad Al-Khatib"].telegram_username == "ahmad_khatib"
    assert people["Liu Wenjun"].native_name == "刘文军"
    assert people["Milica Jovanović"].telegram_id == 5208841173
    assert all((p.ref or "").startswith("import:") for p in people.values())
    actions = (await session.execute(select(AuditLog.action, AuditLog.actor))).all()
    assert actions.count(("registration.create", "cli")) == 5
    assert actions.count(("registration.approve", "cli")) == 2
    assert ("participants.import", "cli") in actions


async def test_reimport_creates_no_duplicates(session):
    conf = await setup(session)
    await import_table(session, conf, csv_table(GOOD), clock=clock)
    tokens = {n: r.bind_token for n, r in (await regs_by_name(session)).items()}
    before = await counts(session)
    again = await import_table(session, conf, csv_table(GOOD), clock=clock)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert {r.matched_by for r in again.rows} == {"name and delegation", "telegram_id", "telegram_username"}
    assert await counts(session) == before
    assert {n: r.bind_token for n, r in (await regs_by_name(session)).items()} == tokens


async def test_edited_file_updates(session):
    conf = await setup(session)
    await import_table(session, conf, csv_table(GOOD), clock=clock)
    edited = (
        GOOD.replace("Vice Minister,", "First Vice Minister,")
        .replace("Milica Jovanović,Милица Јовановић", "Milica Jovanovic,Милица Јовановић")
        .replace("Nour Haddad,نور حداد,,expert", "Nour Haddad,نور حداد,,observer")
        .replace("@ahmad_khatib,,", "@ahmad_khatib,,approved")
    )
    result = await import_table(session, conf, csv_table(edited), clock=clock)
    assert (result.created, result.updated, result.unchanged) == (0, 4, 1)
    changed = {r.full_name: r.changed for r in result.rows}
    assert changed["Liu Wenjun"] == ["position"]
    assert changed["Milica Jovanovic"] == ["full_name"]  # matched by telegram_id
    assert changed["Nour Haddad"] == ["category"]
    assert changed["Ahmad Al-Khatib"] == ["status"]
    regs = await regs_by_name(session)
    assert regs["Milica Jovanovic"].status == RegistrationStatus.APPROVED  # the file says so
    assert regs["Ahmad Al-Khatib"].status == RegistrationStatus.APPROVED
    assert regs["Ahmad Al-Khatib"].decision_reason == "import"
    assert await counts(session) == (5, 5)
    # The corrected name's ref moved with it: a file without the Telegram id still finds her.
    third = edited.replace("5208841173", "")
    result = await import_table(session, conf, csv_table(third), clock=clock)
    assert result.created == 0 and await counts(session) == (5, 5)


async def test_badge_change_sends_an_approval_back_to_pending(session):
    conf = await setup(session)
    await import_table(session, conf, csv_table("name,delegation,category,status\nAnna Smith,CN,delegate,approved\n"))
    # Same person (same name and delegation), new category, no status: back to pending.
    result = await import_table(session, conf, csv_table("name,delegation,category\nAnna Smith,CN,expert\n"))
    assert result.rows[0].changed == ["category", "status"] and result.rows[0].status == "pending"
    reg = (await session.execute(select(Registration))).scalar_one()
    await session.refresh(reg)
    assert reg.status == RegistrationStatus.PENDING and reg.decided_at is None
    # An officer's approval is left alone when nothing on the badge changes.
    await reg_svc.decide(session, reg.id, approve=True, actor_telegram_id=1, conference_id=conf.id)
    result = await import_table(
        session, conf, csv_table("name,delegation,category,position\nAnna Smith,CN,expert,Adviser\n")
    )
    assert result.rows[0].changed == ["position"] and result.rows[0].status == "approved"


async def test_xlsx_import(session, tmp_path):
    conf = await setup(session)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Name", "Native name", "Delegation", "Category", "Telegram ID", "Telegram username", "Status"])
    ws.append(["Dragan Petrović", "Драган Петровић", "RS", "delegate", 5208841174, None, "approved"])
    ws.append([None, None, None, None, None, None, None])  # an empty row is skipped
    ws.append(["Eszter Kovács", "Kovács Eszter", "Hungary", "Delegate", None, "eszter_kovacs", None])
    ws.append(["Pavel Zhuk", "Павел Жук", "union_state", "head_of_delegation", 7033518842.0, None, "pending"])
    path = tmp_path / "people.xlsx"
    wb.save(path)
    result = await import_table(session, conf, read_table(path), clock=clock)
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    people = {p.full_name: p for p in (await session.execute(select(Participant))).scalars()}
    assert people["Dragan Petrović"].telegram_id == 5208841174
    assert people["Pavel Zhuk"].telegram_id == 7033518842
    assert [r.row for r in result.rows] == [2, 4, 5]
    # The same workbook again, detected by content even under another name.
    again = await import_table(session, conf, parse_bytes(path.read_bytes(), "upload.bin"), clock=clock)
    assert again.unchanged == 3


async def test_every_problem_is_reported_and_nothing_written(session):
    conf = await setup(session)
    bad = (
        "\n".join(
            [
                "name,native_name,delegation,category,telegram_id,emial,telegram_username,email,status",
                "Good Person,,CN,delegate,,,,,",
                "Ivan,,CN,delegate,,,,,",  # one word
                "Иван Петров,,CN,delegate,,,,,",  # not Latin
                "Anna Smith,,XX,boss,12ab,,a b,not-an-email,maybe",
                ",,CN,delegate,,,,,",
                "Zed Zedson,A1,CN,,-5,,,,",
                "Big Number,,CN,delegate,9223372036854775808,,,,",
            ]
        )
        + "\n"
    )
    with pytest.raises(ImportFailed) as err:
        await import_table(session, conf, csv_table(bad), clock=clock)
    problems = err.value.problems
    assert problems[0].startswith("unknown column 'emial' (did you mean 'email'? expected one of: name,")
    assert "row 3: name: give first and last name" in problems
    assert "row 4: name: use Latin letters as in the passport" in problems
    assert "row 5: delegation: unknown 'XX' (a code such as CN, RS, SY, HU, UNION-STATE)" in problems
    assert any(p.startswith("row 5: category: unknown 'boss' (expected one of: head_of_delegation,") for p in problems)
    assert "row 5: telegram_id: not a number" in problems
    assert any(p.startswith("row 5: telegram_username:") for p in problems)
    assert "row 5: email: not an email address" in problems
    assert "row 5: status: unknown 'maybe' (expected approved or pending)" in problems
    assert "row 6: name: required" in problems
    assert "row 7: native_name: letters only" in problems
    assert "row 7: category: required" in problems
    assert "row 7: telegram_id: must be positive" in problems
    assert "row 8: telegram_id: too large" in problems
    assert err.value.code == "import_invalid" and len(problems) == 14
    assert await counts(session) == (0, 0)


async def test_problem_list_is_capped(session):
    conf = await setup(session)
    text = HEADER + "\n" + "\n".join(f"Person Number,,CN,delegate,,,x{i},,," for i in range(150)) + "\n"
    with pytest.raises(ImportFailed) as err:
        await import_table(session, conf, csv_table(text), clock=clock)
    assert len(err.value.problems) == importing.MAX_PROBLEMS + 1
    assert err.value.problems[-1] == "… and 50 more"
    assert err.value.message == "150 problems found; nothing was imported"


async def test_semicolon_bom_crlf(session):
    conf = await setup(session)
    text = GOOD.replace(",", ";").replace("\n", "\r\n")
    result = await import_table(session, conf, csv_table(text, encoding="utf-8-sig"), clock=clock)
    assert result.created == 5
    people = {p.full_name for p in (await session.execute(select(Participant))).scalars()}
    assert "Liu Wenjun" in people and "Nour Haddad" in people  # no BOM, no \r in the values


async def test_quoted_commas_and_utf16(session):
    conf = await setup(session)
    text = 'name,category,organisation\r\n"Anna Smith",expert,"Institute of Peace, Minsk"\r\n'
    result = await import_table(session, conf, csv_table(text, encoding="utf-16"), clock=clock)
    assert result.created == 1
    person = (await session.execute(select(Participant))).scalar_one()
    assert person.organisation == "Institute of Peace, Minsk"


async def test_not_utf8_is_one_clear_problem(session):
    conf = await setup(session)
    with pytest.raises(ImportFailed) as err:
        await import_table(session, conf, csv_table("name,category\nИван Петров,delegate\n", encoding="cp1251"))
    assert err.value.problems == ['people.csv: line 2: not UTF-8 text (in Excel use Save As → "CSV UTF-8")']


async def test_quota_overflow_names_the_rows(session):
    conf = await setup(session, HU=2)
    hu_id = (await session.execute(select(func.min(Registration.id)))).scalar()
    assert hu_id is None
    await reg_svc.register(
        session,
        conf,
        reg_svc.PersonData("Early Bird"),
        category=Category.DELEGATE,
        delegation_id=await _delegation_id(session, "HU"),
        account=TelegramAccount(99),
    )
    text = (
        HEADER
        + "\n"
        + "\n".join(
            [
                "Member One,,HU,delegate,,,,,,",
                "Member Two,,HU,delegate,,,,,,",
                "Member Three,,Hungary,delegate,,,,,,",
                "Someone Else,,CN,delegate,,,,,,",
            ]
        )
        + "\n"
    )
    with pytest.raises(ImportFailed) as err:
        await import_table(session, conf, csv_table(text), clock=clock)
    assert err.value.problems == [
        "row 3: delegation HU has no seats left (2 of 2 taken)",
        "row 4: delegation HU has no seats left (2 of 2 taken)",
    ]
    assert await counts(session) == (1, 1)


async def test_moving_between_delegations_frees_the_seat(session):
    conf = await setup(session, HU=1)
    await import_table(session, conf, csv_table("name,delegation,category,email\nAnna Smith,HU,delegate,a@x.org\n"))
    # Anna moves to CN (email keeps her identity), Boris takes the HU seat she freed.
    text = "name,delegation,category,email\nAnna Smith,CN,delegate,a@x.org\nBoris Brown,HU,delegate,\n"
    result = await import_table(session, conf, csv_table(text))
    assert (result.created, result.updated) == (1, 1)


async def test_dry_run_writes_nothing(session):
    conf = await setup(session)
    result = await import_table(session, conf, csv_table(GOOD), dry_run=True, clock=clock)
    assert result.dry_run and result.created == 5
    assert await counts(session) == (0, 0)


async def test_duplicates_inside_the_file(session):
    conf = await setup(session)
    text = (
        HEADER
        + "\n"
        + "\n".join(
            [
                "Anna Smith,,CN,delegate,,,111,,,",
                "Anna Smyth,,CN,delegate,,,111,,,",
                "Boris Brown,,CN,delegate,,,,boris_b,,",
                "Boris Braun,,CN,delegate,,,,@Boris_B,,",
                "Carl Clark,,RS,delegate,,,,,,",
                "Carl  Clark,,rs,expert,,,,,,",
            ]
        )
        + "\n"
    )
    with pytest.raises(ImportFailed) as err:
        await import_table(session, conf, csv_table(text))
    assert err.value.problems == [
        "row 3: telegram_id: 111 is also on row 2",
        "row 5: telegram_username: @Boris_B is also on row 4",
        "row 7: same name and delegation as row 6; add a telegram_id or email to tell them apart",
    ]


async def test_shared_office_email_does_not_merge_people(session):
    conf = await setup(session)
    text = (
        HEADER
        + "\n"
        + "\n".join(
            [
                "Liu Wenjun,,CN,delegate,,,,,office@example.org,",
                "Zhao Meilin,,CN,delegate,,,,,office@example.org,",
            ]
        )
        + "\n"
    )
    await import_table(session, conf, csv_table(text))
    assert await counts(session) == (2, 2)
    # Later only Zhao is sent again: the mailbox is shared, so it is not a key.
    result = await import_table(
        session, conf, csv_table(HEADER + "\nZhao Meilin,,CN,delegate,,,,,office@example.org,\n")
    )
    assert result.unchanged == 1 and await counts(session) == (2, 2)


async def test_person_registered_through_the_bot_is_matched(session):
    conf = await setup(session)
    await reg_svc.register(
        session,
        conf,
        reg_svc.PersonData("Anna Smith", email="Anna@Example.org"),
        category=Category.DELEGATE,
        account=TelegramAccount(555, "anna_smith"),
    )
    await import_table(
        session, conf, csv_table("name,category,email,status\nAnna Smith,expert,anna@example.org,approved\n")
    )
    regs = await regs_by_name(session)
    assert await counts(session) == (1, 1)
    assert regs["Anna Smith"].category == Category.EXPERT
    assert regs["Anna Smith"].status == RegistrationStatus.APPROVED
    assert regs["Anna Smith"].bind_token is None  # she has Telegram already


async def test_possible_duplicate_is_flagged(session):
    conf = await setup(session)
    await import_table(session, conf, csv_table("name,delegation,category\nAnna Smith,CN,delegate\n"))
    # She also signed up herself through the bot instead of using her personal link.
    await reg_svc.register(
        session, conf, reg_svc.PersonData("Anna Smith"), category=Category.DELEGATE, account=TelegramAccount(77)
    )
    result = await import_table(
        session, conf, csv_table("name,delegation,category,telegram_id\nAnna Smith,CN,delegate,77\n")
    )
    assert result.rows[0].matched_by == "telegram_id"
    assert len(result.warnings) == 1 and "check for a duplicate registration" in result.warnings[0]


async def test_rejected_registration_keeps_its_status(session):
    conf = await setup(session)
    await import_table(session, conf, csv_table("name,category\nAnna Smith,delegate\n"))
    reg = (await session.execute(select(Registration))).scalar_one()
    await reg_svc.decide(
        session, reg.id, approve=False, actor_telegram_id=1, conference_id=conf.id, reason="no invitation"
    )
    result = await import_table(session, conf, csv_table("name,category,status\nAnna Smith,delegate,approved\n"))
    assert result.warnings == [f"row 2: registration #{reg.id} of Anna Smith is rejected; its status was left as is"]
    await session.refresh(reg)
    assert reg.status == RegistrationStatus.REJECTED


async def test_links_only_for_people_without_telegram_and_bind_works(session):
    conf = await setup(session)
    await import_table(session, conf, csv_table(GOOD), clock=clock)
    with pytest.raises(NotFound) as err:
        await resolve_bot_username(session, None)
    assert err.value.message == "the bot's username is not known: run the bot once or set BOT_USERNAME"
    session.add(AppSetting(key="bot_username", value="confdesk_bot"))
    await session.commit()
    assert await resolve_bot_username(session, None) == "confdesk_bot"
    assert await resolve_bot_username(session, "@other_bot") == "other_bot"
    links = await importing.bind_links(session, conf, "confdesk_bot")
    assert sorted(link.full_name for link in links) == ["Ahmad Al-Khatib", "Liu Wenjun", "Nour Haddad", "Zhao Meilin"]
    assert all(link.url.startswith("https://t.me/confdesk_bot?start=bind_") for link in links)
    # Links are stable: asking twice gives the same tokens.
    assert [link.url for link in await importing.bind_links(session, conf, "confdesk_bot")] == [
        link.url for link in links
    ]
    liu = next(link for link in links if link.full_name == "Liu Wenjun")
    token = liu.url.split("start=bind_", 1)[1]
    bound = await reg_svc.bind_account(session, token, TelegramAccount(8001, "liu_w", "en"))
    assert bound.participant.telegram_id == 8001 and bound.registration.bind_token is None
    assert "Liu Wenjun" not in {link.full_name for link in await importing.bind_links(session, conf, "confdesk_bot")}
    # Re-importing after the bind keeps the Telegram account and gives no new token.
    result = await import_table(session, conf, csv_table(GOOD), clock=clock)
    assert result.unchanged == 5 and result.without_telegram == 3
    liu_person = (await session.execute(select(Participant).where(Participant.full_name == "Liu Wenjun"))).scalar_one()
    assert liu_person.telegram_id == 8001


async def test_links_for_registrations_made_without_a_token(session):
    conf = await setup(session)
    reg = await reg_svc.register(session, conf, reg_svc.PersonData("Anna Smith"), category=Category.EXPERT)
    assert reg.registration.bind_token is None
    links = await importing.bind_links(session, conf, "bot")
    assert [link.registration_id for link in links] == [reg.registration.id]
    await session.refresh(reg.registration)
    assert reg.registration.bind_token and len(reg.registration.bind_token) <= 32


async def test_example_file_imports(session):
    conf = await make_conference(session)
    for code in ("CN", "RS", "CH", "SY", "CSTO", "CIS", "SCO", "OSCE", "HU", "RU", "CICA", "UNION-STATE", "BY"):
        await make_delegation(
            session,
            conf,
            code,
            name={"en": {"CN": "China", "RS": "Serbia"}.get(code, code)},
            kind=DelegationKind.STATE if len(code) == 2 else DelegationKind.ORGANISATION,
        )
    await session.commit()
    result = await import_table(session, conf, read_table(EXAMPLE))
    assert result.created == 17 and not result.warnings
    assert (await import_table(session, conf, read_table(EXAMPLE))).unchanged == 17


async def _delegation_id(session, code):
    from core.models import Delegation

    return (await session.execute(select(Delegation.id).where(Delegation.code == code))).scalar_one()

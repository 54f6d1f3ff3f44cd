from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core.accreditation import importing
from core.accreditation import registration as reg_svc
from core.accreditation.importing import ImportFailed, import_table, parse_bytes, read_table
from core.accreditation.registration import TelegramAccount
from core.app_settings import resolve_bot_username
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


async def test_one_name_and_surname_first(session):
    """Mononyms are names; "Surname, Given" is stored in printed order, so the same person
    written either way is one person."""
    conf = await setup(session)
    for code, name in (("ID", "Indonesia"), ("MM", "Myanmar")):
        await make_delegation(session, conf, code, name={"en": name})
    await session.commit()
    text = (
        "name,native_name,delegation,category\n"
        "Sukarno,,ID,head_of_delegation\n"
        "Aung San Suu Kyi,အောင်ဆန်းစုကြည်,MM,head_of_delegation\n"
        '"Kuznetsov, Anatoly","Кузнецов, Анатолий",CN,delegate\n'
    )
    result = await import_table(session, conf, csv_table(text), clock=clock)
    assert result.created == 3
    people = {p.full_name: p for p in (await session.execute(select(Participant))).scalars()}
    assert set(people) == {"Sukarno", "Aung San Suu Kyi", "Anatoly Kuznetsov"}
    assert people["Anatoly Kuznetsov"].native_name == "Анатолий Кузнецов"
    again = "name,native_name,delegation,category\nAnatoly Kuznetsov,Анатолий Кузнецов,CN,delegate\n"
    assert (await import_table(session, conf, csv_table(again), clock=clock)).unchanged == 1


async def test_every_problem_is_reported_and_nothing_written(session):
    conf = await setup(session)
    bad = (
        "\n".join(
            [
                "name,native_name,delegation,category,telegram_id,emial,telegram_username,email,status",
                "Good Person,,CN,delegate,,,,,",
                '"Petrov, Ivan, Ivanovich",,CN,delegate,,,,,',  # two commas: which is the surname?
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
    assert "row 3: name: at most one comma, as in 'Surname, Given names'" in problems
    assert (
        "row 4: name: use Latin letters as in the passport (a name in its own script goes in a native_name "
        "column, e.g. 'ФИО в оригинале')"
    ) in problems
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
    links = await reg_svc.bind_links(session, conf, "confdesk_bot")
    assert sorted(link.full_name for link in links) == ["Ahmad Al-Khatib", "Liu Wenjun", "Nour Haddad", "Zhao Meilin"]
    assert all(link.url.startswith("https://t.me/confdesk_bot?start=bind_") for link in links)
    # Links are stable: asking twice gives the same tokens.
    assert [link.url for link in await reg_svc.bind_links(session, conf, "confdesk_bot")] == [
        link.url for link in links
    ]
    liu = next(link for link in links if link.full_name == "Liu Wenjun")
    token = liu.url.split("start=bind_", 1)[1]
    bound = await reg_svc.bind_account(session, token, TelegramAccount(8001, "liu_w", "en"))
    assert bound.participant.telegram_id == 8001 and bound.registration.bind_token is None
    assert "Liu Wenjun" not in {link.full_name for link in await reg_svc.bind_links(session, conf, "confdesk_bot")}
    # Re-importing after the bind keeps the Telegram account and gives no new token.
    result = await import_table(session, conf, csv_table(GOOD), clock=clock)
    assert result.unchanged == 5 and result.without_telegram == 3
    liu_person = (await session.execute(select(Participant).where(Participant.full_name == "Liu Wenjun"))).scalar_one()
    assert liu_person.telegram_id == 8001


async def test_links_for_registrations_made_without_a_token(session):
    conf = await setup(session)
    reg = await reg_svc.register(session, conf, reg_svc.PersonData("Anna Smith"), category=Category.EXPERT)
    assert reg.registration.bind_token is None
    links = await reg_svc.bind_links(session, conf, "bot")
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


# --------------------------------------------------------------------------- real protocol lists

PROTOCOL_LIST = EXAMPLE.parent / "protocol-list-ru.xlsx"


async def _world(session, *codes):
    conf = await make_conference(session)
    names = {
        "ID": ("Indonesia", "Индонезия"),
        "MM": ("Myanmar", "Мьянма"),
        "RU": ("Russia", "Россия"),
        "BY": ("Belarus", "Беларусь"),
    }
    for code in codes:
        await make_delegation(session, conf, code, name=dict(zip(("en", "ru"), names[code], strict=True)))
    await session.commit()
    return conf


async def test_protocol_list_with_a_cover_sheet_and_russian_headers(session):
    """The example a protocol office sends: a cover sheet, then the list under a title,
    Russian headers, one-name people, 'SURNAME, Given', and columns we do not keep."""
    conf = await _world(session, "ID", "MM", "RU", "BY")
    table = read_table(PROTOCOL_LIST)
    assert (table.sheet, table.header_row, [n for n, _ in table.rows]) == ("Список", 4, [5, 6, 7, 8, 9, 10])
    result = await import_table(session, conf, table, clock=clock)
    assert (result.created, result.updated) == (6, 0)
    people = {p.full_name: p for p in (await session.execute(select(Participant))).scalars()}
    assert set(people) == {"Sukarno", "Budi SANTOSO", "Aung Kyaw Moe", "Thida", "Olga IVANOVA", "Siarhei Kavalenka"}
    assert people["Sukarno"].native_name == "Сукарно"
    assert people["Sukarno"].position == "Director General for Asia-Pacific and African Affairs"
    assert people["Thida"].native_name == "သီတာ" and people["Thida"].email == "thida@example.mm"
    assert people["Budi SANTOSO"].telegram_username == "budi_santoso"
    assert people["Olga IVANOVA"].telegram_id == 4471902399  # a number in the Telegram column is the id
    assert people["Siarhei Kavalenka"].telegram_username == "s_kavalenka"
    regs = await regs_by_name(session)
    assert regs["Sukarno"].category == Category.HEAD and regs["Siarhei Kavalenka"].category == Category.STAFF
    assert regs["Aung Kyaw Moe"].delegation_id == await _delegation_id(session, "MM")
    # Nothing is dropped without a word: every column and row left out is named.
    assert result.warnings == [
        "read sheet 'Список'; not read: sheet 'Титульный лист'",
        "row(s) above the header (row 4) not imported: 'Список делегаций (Индонезия, Мьянма, Россия, Беларусь)'; "
        "'по состоянию на 15.10.2024'",
        "column A '№ п/п' not imported (row numbers; 6 value(s))",
        "column C 'ФИО' read as native_name: another column gives the name in Latin script",
        "column I 'Телефон' not imported (phone numbers are not stored; 2 value(s))",
        "column K 'Примечание' is not a confdesk column: 1 value(s) not imported",
    ]
    again = await import_table(session, conf, read_table(PROTOCOL_LIST), clock=clock)
    assert again.unchanged == 6


@pytest.mark.parametrize(
    "header",
    [
        ["ФИО", "Страна", "Категория", "Должность", "Организация", "Эл. почта", "Телеграм", "Статус"],
        ["Full Name", "Country", "Role", "Job title", "Organization", "E-mail", "Telegram", "Approval status"],
        [
            "  фио ",
            "СТРАНА/ДЕЛЕГАЦИЯ",
            "Категория участника",
            "Занимаемая должность",
            "Ведомство",
            "E_MAIL",
            "TG",
            "статус",
        ],
    ],
)
async def test_header_aliases_in_both_languages(session, tmp_path, header):
    conf = await _world(session, "ID", "RU")
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(header)
    ws.append(
        ["Sukarno", "Индонезия", "глава делегации", "Director", "MFA", "s@example.org", "@sukarno_id", "одобрено"]
    )
    ws.append(["Petrova, Anna", "RU", "Delegate", "Counsellor", "MFA", None, 5208841177, None])
    path = tmp_path / "list.xlsx"
    wb.save(path)
    result = await import_table(session, conf, read_table(path), clock=clock)
    assert (result.created, result.warnings) == (2, [])
    people = {p.full_name: p for p in (await session.execute(select(Participant))).scalars()}
    assert people["Sukarno"].telegram_username == "sukarno_id" and people["Sukarno"].email == "s@example.org"
    assert people["Anna Petrova"].telegram_id == 5208841177 and people["Anna Petrova"].organisation == "MFA"
    regs = await regs_by_name(session)
    assert regs["Sukarno"].status == RegistrationStatus.APPROVED and regs["Anna Petrova"].category == Category.DELEGATE


async def test_name_in_surname_given_patronymic_columns(session):
    conf = await _world(session, "RU")
    text = (
        "Фамилия (лат.);Имя (лат.);Фамилия;Имя;Отчество;Страна;Категория\n"
        "Lavrov;Sergey;Лавров;Сергей;Викторович;Россия;глава делегации\n"
        "Thida;;;Тида;;RU;эксперт\n"  # one name: the given-name cell alone
        ";Suu Kyi;;;;RU;эксперт\n"
    )
    result = await import_table(session, conf, csv_table(text), clock=clock)
    assert result.created == 3
    people = {p.full_name: p.native_name for p in (await session.execute(select(Participant))).scalars()}
    assert people == {"Sergey Lavrov": "Сергей Викторович Лавров", "Thida": "Тида", "Suu Kyi": None}
    assert result.warnings == [
        f"column {c} '{h}' read as native_name: another column gives the name in Latin script"
        for c, h in (("C", "Фамилия"), ("D", "Имя"), ("E", "Отчество"))
    ]


async def test_header_problems_stop_the_import(session):
    conf = await _world(session, "RU")
    cases = [
        ("ФИО,Name,Category\nA B,A B,delegate\n", "columns A 'ФИО' and B 'Name' both give the name: keep one"),
        ("ФИО,Фамилия,Category\nA B,B,delegate\n", "columns A 'ФИО' and B 'Фамилия' both give the name: use either"),
        ("Страна,Должность\nRU,Director\n", "missing column 'name' (or ФИО, or surname and given name columns)"),
        ("Name,Категория,Emial\nAnna B,delegate,a@b.org\n", "unknown column 'Emial' (did you mean 'email'?"),
        ("Name,Category,Country,Страна\nAnna B,delegate,RU,RU\n", "column 'delegation' appears twice (columns C and D"),
    ]
    for text, problem in cases:
        _, problems = importing.parse_rows(csv_table(text), [])
        assert any(p.startswith(problem) for n, p in problems if n == 0), (text, problems)
    with pytest.raises(ImportFailed) as err:
        await import_table(session, conf, csv_table(cases[0][0]), clock=clock)
    assert err.value.problems == ["columns A 'ФИО' and B 'Name' both give the name: keep one"]
    assert await counts(session) == (0, 0)


async def test_a_phone_number_in_the_telegram_column_is_not_taken_for_an_id(session):
    conf = await _world(session, "RU")
    text = "name,category,telegram,telegram_id\nAnna Petrova,delegate,+375 29 123-45-67,\nOlga B,delegate,12345,777\n"
    with pytest.raises(ImportFailed) as err:
        await import_table(session, conf, csv_table(text), clock=clock)
    assert err.value.problems == [
        "row 2: telegram: looks like a phone number; give the @username or the numeric Telegram id",
        "row 3: telegram: this row gives its Telegram account in two columns; keep one",
    ]


async def test_title_rows_above_a_csv_header(session):
    conf = await _world(session, "RU")
    text = "Список делегации Российской Федерации\n\nФИО;Категория\nPetrova, Anna;делегат\n"
    result = await import_table(session, conf, csv_table(text), clock=clock)
    assert result.created == 1 and [r.row for r in result.rows] == [4]
    assert result.warnings == ["row(s) above the header (row 3) not imported: 'Список делегации Российской Федерации'"]


def _two_lists(tmp_path) -> Path:
    wb = Workbook()
    first = wb.active
    assert first is not None
    first.title = "Основной список"
    first.append(["ФИО", "Категория"])
    first.append(["Anna Petrova", "делегат"])
    reserve = wb.create_sheet("Reserve")
    reserve.append(["Name", "Category"])
    reserve.append(["Sukarno", "delegate"])
    path = tmp_path / "two.xlsx"
    wb.save(path)
    return path


async def test_two_sheets_with_lists_need_a_choice(session, tmp_path):
    conf = await _world(session, "RU")
    path = _two_lists(tmp_path)
    with pytest.raises(ImportFailed) as err:
        read_table(path)
    assert err.value.problems == [
        "two.xlsx: sheets 'Основной список', 'Reserve' each have a participant list: choose one sheet "
        "(1 'Основной список', 2 'Reserve')"
    ]
    for wanted, name in (("reserve", "Sukarno"), ("1", "Anna Petrova"), ("Основной список", "Anna Petrova")):
        table = read_table(path, sheet=wanted)
        assert table.rows[0][1][0] == name
    with pytest.raises(ImportFailed) as err:
        read_table(path, sheet="3")
    assert err.value.problems == ["two.xlsx: no sheet '3' (the sheets are 1 'Основной список', 2 'Reserve')"]
    with pytest.raises(ImportFailed) as err:
        parse_bytes(GOOD.encode(), "people.csv", sheet="1")
    assert "a CSV file has no sheets" in err.value.problems[0]
    result = await import_table(session, conf, read_table(path, sheet="Reserve"), clock=clock)
    assert result.created == 1 and result.warnings == []  # a sheet named by the user needs no note


async def test_problems_say_which_sheet_was_read(session, tmp_path):
    conf = await _world(session, "RU")
    wb = Workbook()
    cover = wb.active
    assert cover is not None
    cover.title = "Cover"
    cover.append(["Conference on Eurasian Security"])
    ws = wb.create_sheet("People")
    ws.append(["Delegation list"])
    ws.append(["Name", "Category"])
    ws.append(["Anna Petrova", "boss"])
    path = tmp_path / "p.xlsx"
    wb.save(path)
    with pytest.raises(ImportFailed) as err:
        await import_table(session, conf, read_table(path), clock=clock)
    assert err.value.message == "1 problem found in sheet 'People', header on row 2; nothing was imported"
    assert err.value.problems[0].startswith("row 3: category: unknown 'boss'")


async def test_name_beside_surname_is_the_given_name(session):
    conf = await _world(session, "ID")
    text = "No.,Name,Surname,Country,Category\n1,Retno,Marsudi,Indonesia,head of delegation\n2,Sukarno,,ID,delegate\n"
    result = await import_table(session, conf, csv_table(text), clock=clock)
    assert {p.full_name for p in (await session.execute(select(Participant))).scalars()} == {"Retno Marsudi", "Sukarno"}
    assert result.warnings == [
        "column A 'No.' not imported (row numbers; 2 value(s))",
        "column B 'Name' read as the given name, beside C 'Surname'",
    ]

"""Whole sign-up conversations through the emulator, asserted by content."""

from __future__ import annotations

from sqlalchemy import select

from core.models import Participant, Registration, RegistrationStatus, StaffRole, StaffRoleName
from tests.bot.conftest import ADMIN, OFFICER, Harness


async def add_officer(h: Harness, telegram_id: int = OFFICER) -> None:
    async with h.session_factory() as s:
        s.add(StaffRole(conference_id=h.conference.id, telegram_id=telegram_id, role=StaffRoleName.ACCREDITATION))
        await s.commit()


async def registration_of(h: Harness, telegram_id: int) -> tuple[Registration, Participant]:
    async with h.session_factory() as s:
        row = (
            await s.execute(
                select(Registration, Participant).join(Participant).where(Participant.telegram_id == telegram_id)
            )
        ).one()
        return row[0], row[1]


async def test_english_signup_and_approval(harness: Harness) -> None:
    h = harness
    await add_officer(h)
    officer = h.user(OFFICER, "Olga", "ru")
    await officer.send("/help")  # the bot learns the officer's language on first contact
    await officer.expect("/withdraw – отозвать")
    anna = h.user(1001, "Anna", "en")
    await anna.start()
    await anna.expect("Welcome to")
    await anna.expect("full name in Latin script")
    await anna.send("Anna Petrova")
    await anna.expect("own script")
    await anna.send("Анна Петрова")
    ask = await anna.expect("Which delegation")
    assert ask.buttons == ["State", "International organisation", "Other", "No delegation (independent expert, press)"]
    await anna.press("State")
    page = await anna.edited()
    assert "page 1 of 2" in page.text and "▶" in page.buttons
    await anna.press("▶")
    page2 = await anna.edited()
    assert "page 2 of 2" in page2.text
    await anna.press("◀")
    await anna.edited()
    await anna.press("Belarus")
    cat = await anna.expect("Your category")
    assert "Head of delegation" in cat.buttons and "Press" not in cat.buttons
    await anna.press("Delegate")
    await anna.expect("position or title")
    await anna.send("Counsellor, Ministry of Foreign Affairs")
    await anna.expect("Your organisation")
    await anna.press("Skip")
    consent = await anna.expect("Personal data")
    await anna.press("I do not agree")
    await anna.expect("Without your consent")
    await anna.press("I agree")
    summary = await anna.expect("Please check your data")
    assert "Anna Petrova" in summary.text and "Анна Петрова" in summary.text and "Belarus" in summary.text
    assert "Delegate" in summary.text and "Counsellor" in summary.text
    await anna.press("Confirm")
    await anna.expect("waits for approval")
    card = await officer.expect("Новая заявка")
    assert "Anna Petrova" in card.text and "Беларусь" in card.text
    await officer.press("Одобрить")
    marked = await officer.edited()
    assert "Одобрено" in marked.text and not marked.buttons
    done = await anna.expect("is approved")
    assert "Minsk Conference on Eurasian Security" in done.text
    reg, person = await registration_of(h, 1001)
    assert reg.status == RegistrationStatus.APPROVED and reg.decided_by == OFFICER
    assert person.language == "en" and person.native_name == "Анна Петрова"
    assert consent.buttons == ["I agree", "I do not agree"]


async def test_russian_signup_rejected_with_reason(harness: Harness) -> None:
    h = harness
    await add_officer(h)
    officer = h.user(OFFICER, "Olga", "en")
    await officer.send("/help")
    await officer.expect("/withdraw – withdraw")
    ivan = h.user(1002, "Иван", "ru")
    await ivan.start()
    await ivan.expect("Добро пожаловать")
    await ivan.expect("латиницей")
    await ivan.send("Ivan Sidorov")
    await ivan.expect("на родном языке")
    await ivan.press("Пропустить")
    await ivan.expect("какой делегации")
    await ivan.send("росс")  # type to search
    found = await ivan.expect("по запросу")
    assert found.buttons[0] == "Российская Федерация"
    await ivan.press("Российская Федерация")
    await ivan.expect("категория")
    await ivan.press("Эксперт")
    await ivan.expect("должность")
    await ivan.send("Научный сотрудник")
    await ivan.expect("организация")
    await ivan.send("МГИМО")
    await ivan.expect("Персональные данные")
    await ivan.press("Я согласен")
    await ivan.expect("Проверьте")
    await ivan.press("Подтвердить")
    await ivan.expect("ожидает решения")
    await officer.expect("New registration")
    await officer.press("Reject")
    await officer.expect("Why is registration")
    await officer.send("No invitation from the Russian delegation")
    await officer.expect("Rejected by")
    told = await ivan.expect("не одобрена")
    assert "No invitation from the Russian delegation" in told.text
    reg, _ = await registration_of(h, 1002)
    assert reg.status == RegistrationStatus.REJECTED
    await ivan.send("/me")
    me = await ivan.expect("Статус")
    assert "отклонена" in me.text and "No invitation" in me.text
    assert ADMIN  # admins are officers too (see test_roles)

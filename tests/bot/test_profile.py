"""A participant's own registration: /me, /edit, /withdraw, /forget, /language."""

from __future__ import annotations

from sqlalchemy import select

from core.accreditation import registration
from core.models import Participant, Registration, RegistrationStatus, UserPref
from core.uow import unit_of_work
from tests.bot.conftest import OFFICER, Harness, add_staff, registration_row, sign_up


async def approve(h: Harness, telegram_id: int) -> None:
    reg, _ = await registration_row(h, telegram_id)
    async with unit_of_work(h.session_factory) as s:
        await registration.decide(s, reg.id or 0, approve=True, actor_telegram_id=OFFICER, conference_id=None)


async def test_me_before_and_after_registering(harness: Harness) -> None:
    anna = harness.user(1301, "Anna")
    await anna.send("/me")
    assert "You are not registered yet. Send /start to register." in (await anna.reply()).text
    for command in ("/edit", "/withdraw"):
        await anna.send(command)
        assert "You are not registered yet." in (await anna.reply()).text
    await sign_up(anna, "Anna Petrova", position="Counsellor", organisation="MFA")
    await anna.send("/me")
    me = await anna.reply()
    for line in (
        "Minsk Conference on Eurasian Security",
        "Name: Anna Petrova",
        "Name in native script: —",
        "Delegation: Belarus",
        "Category: Delegate",
        "Position: Counsellor",
        "Organisation: MFA",
        "Status: ⏳ pending approval",
    ):
        assert line in me.text
    await anna.start()  # /start of a registered person shows the same card, no new wizard
    again = await anna.reply()
    assert "Status: ⏳ pending approval" in again.text and "Welcome" not in again.text


async def test_edit_name_of_approved_goes_back_to_pending(harness: Harness) -> None:
    h = harness
    await add_staff(h)
    officer = h.user(OFFICER, "Olga")
    anna = h.user(1302, "Anna")
    await sign_up(anna, "Anna Petrova")
    first = await officer.expect("New registration")
    assert "Anna Petrova" in first.text
    await officer.press("Approve")
    await officer.edited()
    await anna.expect("is approved")

    await anna.send("/edit")
    summary = await anna.reply()
    assert "Please check your data" in summary.text and "Anna Petrova" in summary.text
    await anna.press("Edit")
    await anna.expect("What would you like to change?")
    await anna.press("Name")
    await anna.expect("full name in Latin script")
    await anna.send("Anna Petrova-Smith")
    changed = await anna.expect("Please check your data")
    assert "Name: Anna Petrova-Smith" in changed.text
    await anna.press("Confirm")
    saved = await anna.reply()
    assert "goes back to the accreditation service" in saved.text
    again = await officer.expect("New registration")  # officers are asked again
    assert "Anna Petrova-Smith" in again.text and again.buttons == ["✅ Approve", "❌ Reject"]
    reg, person = await registration_row(h, anna.id)
    assert reg.status == RegistrationStatus.PENDING and person.full_name == "Anna Petrova-Smith"
    await anna.send("/me")
    assert "Status: ⏳ pending approval" in (await anna.reply()).text
    await officer.press("Approve", again)
    await anna.expect("is approved")


async def test_edit_position_only_stays_approved(harness: Harness) -> None:
    h = harness
    await add_staff(h)
    officer = h.user(OFFICER, "Olga")
    bob = h.user(1303, "Bob")
    await sign_up(bob, "Bob Stone", position="Attaché")
    await officer.expect("New registration")
    await approve(h, bob.id)
    await bob.send("/edit")
    await bob.expect("Please check your data")
    await bob.press("Confirm")  # nothing changed
    assert "Nothing changed." in (await bob.reply()).text
    await bob.send("/edit")
    await bob.expect("Please check your data")
    await bob.press("Edit")
    await bob.expect("What would you like to change?")
    await bob.press("Position")
    await bob.expect("position or title")
    await bob.send("First Secretary")
    await bob.expect("Position: First Secretary")
    await bob.press("Confirm")
    saved = await bob.reply()
    assert saved.text == "Your changes are saved."
    reg, person = await registration_row(h, bob.id)
    assert reg.status == RegistrationStatus.APPROVED and person.position == "First Secretary"
    await bob.wait_idle()
    assert officer.pending == []  # no new card for the officers


async def test_edit_position_while_pending_does_not_claim_a_change_of_status(harness: Harness) -> None:
    h = harness
    await add_staff(h)
    officer = h.user(OFFICER, "Olga")
    cleo = h.user(1304, "Cleo")
    await sign_up(cleo, "Cleo Marsh", position="Reporter")
    await officer.expect("New registration")
    await cleo.send("/edit")
    await cleo.expect("Please check your data")
    await cleo.press("Edit")
    await cleo.expect("What would you like to change?")
    await cleo.press("Position")
    await cleo.expect("position or title")
    await cleo.send("Editor")
    await cleo.expect("Position: Editor")
    await cleo.press("Confirm")
    saved = await cleo.reply()
    assert saved.text == "Your changes are saved."
    await cleo.wait_idle()
    assert officer.pending == []


async def test_withdraw_asks_first(harness: Harness) -> None:
    h = harness
    dan = h.user(1305, "Dan")
    await sign_up(dan, "Dan Brown")
    await dan.send("/withdraw")
    ask = await dan.reply()
    assert "Withdraw your registration for Minsk Conference on Eurasian Security?" in ask.text
    assert ask.buttons == ["Yes, withdraw", "No, keep it"]
    await dan.press("No, keep it")
    assert (await dan.edited(message=ask)).buttons == []
    assert (await dan.reply()).text == "OK, nothing changed."
    reg, _ = await registration_row(h, dan.id)
    assert reg.status == RegistrationStatus.PENDING

    await dan.send("/withdraw")
    ask = await dan.reply()
    await dan.press("Yes, withdraw", ask)
    assert "Your registration is withdrawn. You can register again with /start." in (await dan.reply()).text
    reg, _ = await registration_row(h, dan.id)
    assert reg.status == RegistrationStatus.CANCELLED
    await dan.send("/me")
    assert "Status: withdrawn" in (await dan.reply()).text
    assert dan.chat.messages[ask.message_id].buttons == []  # no second press possible
    await dan.send("/withdraw")
    assert "You are not registered yet." in (await dan.reply()).text
    await dan.start()  # and may register again
    assert "Welcome to" in (await dan.reply()).text


async def test_forget_erases_personal_data(harness: Harness) -> None:
    h = harness
    eve = h.user(1306, "Eve")
    await sign_up(eve, "Eve Adams", position="Analyst", organisation="Institute")
    reg, person = await registration_row(h, eve.id)
    await eve.send("/forget")
    ask = await eve.reply()
    assert "Delete all your personal data?" in ask.text
    assert ask.buttons == ["Yes, delete my data", "No, keep it"]
    await eve.press("Yes, delete my data")
    assert "Your personal data is deleted." in (await eve.reply()).text
    async with h.session_factory() as s:
        gone = await s.get(Participant, person.id)
        assert gone is not None
        assert (gone.full_name, gone.telegram_id, gone.position, gone.organisation) == ("", None, None, None)
        assert gone.forgotten_at is not None
        after = await s.get(Registration, reg.id)
        assert after is not None and after.status == RegistrationStatus.CANCELLED
    await eve.send("/me")
    assert "You are not registered yet." in (await eve.reply()).text
    await eve.send("/forget")
    await eve.reply()
    await eve.press("Yes, delete my data")
    assert "We hold no personal data about you." in (await eve.reply()).text


async def test_language_switch_is_used_and_stored(harness: Harness) -> None:
    h = harness
    fay = h.user(1307, "Fay", "en")
    await sign_up(fay, "Fay Wong")
    await fay.send("/language")
    ask = await fay.reply()
    assert "Choose your language:" in ask.text and ask.buttons == ["English", "Русский"]
    await fay.press("Русский")
    assert (await fay.reply()).text == "Язык: русский."
    await fay.send("/me")
    me = await fay.reply()
    assert "Имя: Fay Wong" in me.text and "Делегация: Беларусь" in me.text and "ожидает решения" in me.text
    await fay.send("/nonsense")
    assert "Я не знаю такой команды" in (await fay.reply()).text
    async with h.session_factory() as s:
        pref = await s.get(UserPref, fay.id)
        assert pref is not None and (pref.language, pref.chosen) == ("ru", True)
        person = (await s.execute(select(Participant).where(Participant.telegram_id == fay.id))).scalar_one()
        assert person.language == "ru"

    # someone not registered: the choice is kept for the account alone
    gus = h.user(1308, "Gus", "ru")
    await gus.send("/language")
    await gus.reply()
    await gus.press("English")
    assert (await gus.reply()).text == "Language set: English."
    await gus.start()
    assert "Welcome to" in (await gus.reply()).text
    async with h.session_factory() as s:
        pref = await s.get(UserPref, gus.id)
        assert pref is not None and (pref.language, pref.chosen) == ("en", True)

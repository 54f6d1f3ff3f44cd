"""Bad input at every step of the sign-up wizard: a hint, the state kept, and the next
correct answer carries on. Also /cancel, unknown commands, Edit from the summary, the
delegation search and picker."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import func, select

from core.models import Category, Registration, RegistrationStatus
from tests.bot.conftest import Harness, fill_wizard, registration_row


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, "PNG")
    return buf.getvalue()


async def test_bad_names_and_media_keep_the_question(harness: Harness) -> None:
    anna = harness.user(1101, "Anna")
    await anna.start()
    await anna.expect("Welcome to")
    await anna.expect("full name in Latin script")
    for text, hint in [
        ("Анна Петрова", "Please write your name in Latin letters"),
        ("Petrova, Anna, Ivanovna", "Please use at most one comma"),
        ("Al", "Too short: at least 3 characters"),
        ("Anna " + "Petrova" * 20, "Too long: at most 120 characters"),
        ("Anna\u202e Petrova", "Please send plain text without special characters."),
        ("Anna\x07 Petrova", "Please send plain text without special characters."),
    ]:
        await anna.send(text)
        got = await anna.reply()
        assert hint in got.text, (text, got.text)
    await anna.send_sticker()
    assert "Please send your answer as a text message." in (await anna.reply()).text
    await anna.send_photo(_png())
    assert "Please send your answer as a text message." in (await anna.reply()).text
    await anna.send_voice()
    assert "Please send your answer as a text message." in (await anna.reply()).text
    await anna.send("/frobnicate")
    assert "I don't know that command" in (await anna.reply()).text

    await anna.send("Anna Petrova")  # the wizard still waits for the name
    assert "own script" in (await anna.reply()).text
    for text, hint in [("Анна 2", "Please use letters."), ("Анна 😀", "Please use letters.")]:
        await anna.send(text)
        assert hint in (await anna.reply()).text
    await anna.send_sticker("😀")
    assert "Please send your answer as a text message." in (await anna.reply()).text
    await anna.send("Анна Петрова")

    ask = await anna.reply()
    assert "Which delegation" in ask.text
    await anna.send_sticker()
    assert "Please choose one of the buttons above, or type part of a delegation's name." in (await anna.reply()).text
    await anna.send_voice()
    assert "Please choose one of the buttons above" in (await anna.reply()).text
    await anna.send("Atlantis")
    none = await anna.reply()
    assert "No delegation matches “Atlantis”" in none.text
    assert none.buttons == ["State", "International organisation", "Other", "No delegation (independent expert, press)"]
    await anna.send("hung")
    found = await anna.reply()
    assert "Delegations matching “hung”" in found.text and found.buttons[0] == "Hungary"
    await anna.press("Hungary")

    cat = await anna.expect("Your category")
    assert "Press" not in cat.buttons
    await anna.send("Delegate")
    assert "Please use the buttons above." in (await anna.reply()).text
    await anna.send_sticker()
    assert "Please use the buttons above." in (await anna.reply()).text
    await anna.send("/whatever")
    assert "I don't know that command" in (await anna.reply()).text
    await anna.press("Delegate", cat)

    await anna.expect("position or title")
    for text in ("12345", "-- / --"):
        await anna.send(text)
        assert "Please use letters." in (await anna.reply()).text
    await anna.send("x")
    assert "Too short: at least 2 characters" in (await anna.reply()).text
    await anna.send_voice()
    assert "Please send your answer as a text message." in (await anna.reply()).text
    await anna.send("Attaché")
    await anna.expect("Your organisation")
    await anna.send("!!!")
    assert "Please use letters." in (await anna.reply()).text
    await anna.send_photo(_png(), caption="Ministry")
    assert "Please send your answer as a text message." in (await anna.reply()).text
    await anna.send("Ministry of Foreign Affairs")

    await anna.expect("Personal data")
    await anna.send("yes")
    assert "Please use the buttons above." in (await anna.reply()).text
    await anna.send("/nope")
    assert "I don't know that command" in (await anna.reply()).text
    await anna.press("I agree")
    summary = await anna.expect("Please check your data")
    for shown in ("Anna Petrova", "Анна Петрова", "Hungary", "Delegate", "Attaché", "Ministry of Foreign Affairs"):
        assert shown in summary.text
    await anna.send("looks good")
    assert "Please use the buttons above." in (await anna.reply()).text
    await anna.send("/unknown")
    assert "I don't know that command" in (await anna.reply()).text
    await anna.press("Confirm")
    await anna.expect("waits for approval")
    reg, person = await registration_row(harness, 1101)
    assert reg.status == RegistrationStatus.PENDING and reg.category == Category.DELEGATE
    assert reg.delegation_id == harness.delegations["HU"].id
    assert (person.full_name, person.native_name, person.position) == ("Anna Petrova", "Анна Петрова", "Attaché")


async def test_one_name_and_surname_first_are_names_in_the_bot_too(harness: Harness) -> None:
    """The wizard and the importer share one rule: a person may have a single name, and a
    protocol-style "Surname, Given" is stored in printed order."""
    for telegram_id, typed, stored in [(1102, "Sukarno", "Sukarno"), (1103, "Petrova, Anna", "Anna Petrova")]:
        user = harness.user(telegram_id, typed)
        await user.start()
        summary = await fill_wizard(user, typed)
        assert stored in summary.text, summary.text
        await user.press("Confirm")
        await user.expect("Thank you!")
        _, person = await registration_row(harness, telegram_id)
        assert person.full_name == stored


async def test_cancel_in_the_middle_then_start_anew(harness: Harness) -> None:
    bob = harness.user(1102, "Bob")
    await bob.start()
    await bob.expect("full name in Latin script")
    await bob.send("Bob Stone")
    await bob.expect("own script")
    await bob.press("Skip")
    await bob.expect("Which delegation")
    await bob.press("No delegation")
    await bob.expect("Your category")
    await bob.press("Expert")
    await bob.expect("position or title")
    await bob.send("/cancel")
    assert "Stopped. Nothing was saved." in (await bob.reply()).text
    await bob.send("Researcher")  # no longer a wizard answer
    assert "I didn't understand that" in (await bob.reply()).text
    await bob.send("/cancel")
    assert "There is nothing to stop." in (await bob.reply()).text
    await bob.start()
    assert "Welcome to" in (await bob.reply()).text
    assert "full name in Latin script" in (await bob.reply()).text  # from the beginning
    await bob.send("Robert Stone")
    await bob.expect("own script")
    await bob.wait_idle()
    async with harness.session_factory() as s:
        assert (await s.execute(select(func.count()).select_from(Registration))).scalar_one() == 0


async def test_summary_edit_reasks_one_field_and_returns(harness: Harness) -> None:
    cleo = harness.user(1103, "Cleo")
    await cleo.start()
    summary = await fill_wizard(
        cleo, "Cleo Marsh", delegation=None, category="Press", position="Reporter", organisation="Daily Planet"
    )
    assert "Delegation: no delegation" in summary.text and "Category: Press" in summary.text
    await cleo.press("Edit")
    choose = await cleo.expect("What would you like to change?")
    assert choose.buttons == ["Name", "Native name", "Delegation", "Category", "Position", "Organisation"]
    await cleo.press("Position")
    await cleo.expect("position or title")
    await cleo.send("Chief Correspondent")
    again = await cleo.reply()
    assert "Please check your data" in again.text
    assert "Position: Chief Correspondent" in again.text and "Reporter" not in again.text
    assert "Organisation: Daily Planet" in again.text  # the rest is kept

    await cleo.press("Edit")
    await cleo.expect("What would you like to change?")
    await cleo.press("Name")
    await cleo.expect("full name in Latin script")
    await cleo.send("Клео")  # still validated on the way back
    assert "Latin letters" in (await cleo.reply()).text
    await cleo.send("Cleo Marsh-Kent")
    again = await cleo.reply()
    assert "Please check your data" in again.text and "Name: Cleo Marsh-Kent" in again.text

    await cleo.press("Edit")
    await cleo.expect("What would you like to change?")
    await cleo.press("Delegation")  # a delegation rules out Press: category is asked again
    await cleo.expect("Which delegation")
    await cleo.press("International organisation")
    page = await cleo.edited()
    assert "page 1 of 1" in page.text and page.buttons == ["OSCE", "↩ Back"]
    await cleo.press("OSCE")
    cat = await cleo.expect("Your category")
    assert "Press" not in cat.buttons
    await cleo.press("Observer")
    final = await cleo.expect("Please check your data")
    assert "Delegation: OSCE" in final.text and "Category: Observer" in final.text
    await cleo.press("Confirm")
    await cleo.expect("waits for approval")
    reg, person = await registration_row(harness, 1103)
    assert person.full_name == "Cleo Marsh-Kent" and person.position == "Chief Correspondent"
    assert reg.category == Category.OBSERVER and reg.delegation_id == harness.delegations["OSCE"].id


async def test_state_picker_pages_and_no_delegation_offers_press(harness: Harness) -> None:
    dan = harness.user(1104, "Dan")
    await dan.start()
    await dan.expect("full name in Latin script")
    await dan.send("Dan Brown")
    await dan.expect("own script")
    await dan.press("Skip")
    await dan.expect("Which delegation")
    await dan.press("State")
    page1 = await dan.edited()
    assert "Choose your delegation (State), page 1 of 2" in page1.text
    assert page1.buttons == [
        "Belarus",
        "Hungary",
        "Russian Federation",
        "State 00",
        "State 01",
        "State 02",
        "State 03",
        "State 04",
        "▶",
        "↩ Back",
    ]
    await dan.press("▶")
    page2 = await dan.edited()
    assert "page 2 of 2" in page2.text
    assert page2.buttons == [
        "State 05",
        "State 06",
        "State 07",
        "State 08",
        "State 09",
        "State 10",
        "State 11",
        "◀",
        "↩ Back",
    ]
    await dan.press("↩ Back")
    kinds = await dan.edited()
    assert "Which delegation" in kinds.text
    await dan.press("No delegation")
    cat = await dan.expect("Your category")
    assert cat.buttons == ["Expert", "Speaker", "Press", "Observer"]
    await dan.press("Press")
    await dan.expect("position or title")
    await dan.send("Photographer")
    await dan.expect("Your organisation")
    await dan.press("Skip")
    await dan.expect("Personal data")
    await dan.press("I do not agree")
    assert "Without your consent" in (await dan.reply()).text
    await dan.press("I agree")
    summary = await dan.expect("Please check your data")
    assert "Delegation: no delegation" in summary.text and "Category: Press" in summary.text
    assert "Organisation: —" in summary.text and "Name in native script: —" in summary.text
    await dan.press("Cancel")
    assert "Stopped" in (await dan.reply()).text
    await dan.press("Confirm", summary)  # the old summary's button does nothing any more
    answer = await dan.answered()
    assert answer.show_alert and answer.text == "This button is no longer active."

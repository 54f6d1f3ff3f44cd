"""Who may do what: officers' /pending and decisions, refusals for everyone else, badge
links for non-staff, buttons that outlived their purpose."""

from __future__ import annotations

from bot.emulator.records import CallbackAnswer
from bot.i18n import translator
from core.models import RegistrationStatus, StaffRoleName
from tests.bot.conftest import ADMIN, OFFICER, Harness, add_staff, registration_row, sign_up

OFFICER2 = 9002


async def test_participant_gets_no_officer_data(harness: Harness) -> None:
    h = harness
    anna, bob = h.user(1401, "Anna"), h.user(1402, "Bob")
    await sign_up(anna, "Zoe Quill")
    await sign_up(bob, "Bob Stone")
    await bob.send("/pending")
    refusal = await bob.reply()
    assert refusal.text == "Sorry, this command is for the organisers only."
    assert refusal.buttons == []
    await bob.send("/gate")
    assert (await bob.reply()).text == "Sorry, this command is for the organisers only."
    await bob.wait_idle()
    assert all("Quill" not in m.content for m in bob.messages)


async def test_officer_lists_pending_and_approves_from_the_list(harness: Harness) -> None:
    h = harness
    await add_staff(h)
    officer = h.user(OFFICER, "Olga", username="olga_acc")
    await officer.send("/pending")
    assert (await officer.reply()).text == "No registrations are waiting for approval."
    anna, bob = h.user(1403, "Anna"), h.user(1404, "Bob")
    await sign_up(anna, "Anna Petrova")
    await sign_up(bob, "Bob Stone", delegation=None, category="Press")
    anna_reg, _ = await registration_row(h, anna.id)
    bob_reg, _ = await registration_row(h, bob.id)
    for reg in (anna_reg, bob_reg):  # the two cards, before asking for the list
        await officer.expect(f"New registration #{reg.id}")
    await officer.send("/pending")
    listing = await officer.reply()
    assert "Waiting for approval: 2" in listing.text
    assert f"#{anna_reg.id} Anna Petrova · Belarus · Delegate" in listing.text
    assert f"#{bob_reg.id} Bob Stone · no delegation · Press" in listing.text
    assert listing.buttons == [
        f"✅ #{anna_reg.id} Anna Petrova",
        f"❌ #{anna_reg.id}",
        f"✅ #{bob_reg.id} Bob Stone",
        f"❌ #{bob_reg.id}",
    ]
    await officer.press(f"✅ #{bob_reg.id} Bob Stone", listing)
    answer = await officer.answered()
    assert answer.text == f"#{bob_reg.id}: ✅ Approved by @olga_acc."
    assert "is approved" in (await bob.expect("Minsk Conference")).text
    await officer.press(f"❌ #{anna_reg.id}", listing)
    ask = await officer.reply()
    assert f"Why is registration #{anna_reg.id} (Anna Petrova) rejected?" in ask.text
    await officer.send("Not on the Belarus list")
    assert "❌ Rejected by @olga_acc: Not on the Belarus list" in (await officer.reply()).text
    assert "Not on the Belarus list" in (await anna.expect("was not approved")).text
    await officer.send("/pending")
    assert (await officer.reply()).text == "No registrations are waiting for approval."
    assert (await registration_row(h, bob.id))[0].status == RegistrationStatus.APPROVED
    assert (await registration_row(h, anna.id))[0].status == RegistrationStatus.REJECTED


async def test_second_officer_learns_it_was_already_approved(harness: Harness) -> None:
    h = harness
    await add_staff(h)
    await add_staff(h, OFFICER2)
    first = h.user(OFFICER, "Olga", "en")
    second = h.user(OFFICER2, "Pavel", "ru")
    admin = h.user(ADMIN, "Admin")
    for officer in (first, second, admin):
        await officer.send("/help")  # first contact: the bot learns their language
        await officer.reply()
    anna = h.user(1405, "Anna")
    await sign_up(anna, "Anna Petrova")
    card1 = await first.expect("New registration")
    card2 = await second.expect("Новая заявка")
    await first.press("Approve", card1)
    assert "Approved by Olga" in (await first.edited()).text
    await anna.expect("is approved")
    reg, _ = await registration_row(h, anna.id)
    assert reg.decided_at is not None
    at = translator("en").moment(reg.decided_at, h.conference.timezone)
    at_ru = translator("ru").moment(reg.decided_at, h.conference.timezone)
    await second.press("Одобрить", card2)
    answer = await second.answered()
    assert answer.show_alert and answer.text == f"Заявка #{reg.id} уже одобрена: Olga, {at_ru}. Ничего не изменено."
    # the admin got the card too and is late as well, in English
    card3 = await admin.expect("New registration")
    await admin.press("Approve", card3)
    answer = await admin.answered()
    assert (
        answer.show_alert
        and answer.text == f"Registration #{reg.id} was already approved by Olga at {at}. Nothing changed."
    )
    await h.emulator.wait_idle()
    assert [m.text for m in anna.messages].count(
        "✅ Your accreditation for Minsk Conference on Eurasian Security is approved. Welcome!"
    ) == 1


async def test_badge_link_tells_a_non_staff_user_nothing(harness: Harness) -> None:
    h = harness
    anna = h.user(1406, "Anna")
    await sign_up(anna, "Anna Petrova")
    await anna.start("b_AbCdEf0123456789")
    told = await anna.reply()
    assert told.text == "This code is not valid here."
    stranger = h.user(1407, "Stranger")
    await stranger.start("b_AbCdEf0123456789")
    assert (await stranger.reply()).text == "This code is not valid here."
    await add_staff(h, 1408, StaffRoleName.DOOR)
    door = h.user(1408, "Door")
    await door.start("b_AbCdEf0123456789")  # door staff get a verdict instead
    assert "Invalid code" in (await door.reply()).text


async def test_stale_and_unknown_buttons(harness: Harness) -> None:
    h = harness
    anna = h.user(1409, "Anna")
    await anna.start()
    await anna.expect("full name in Latin script")
    await anna.send("Anna Petrova")
    ask_native = await anna.expect("own script")
    await anna.send("/cancel")
    await anna.expect("Stopped")
    await anna.press("Skip", ask_native)
    answer = await anna.answered()
    assert answer.show_alert and answer.text == "This button is no longer active."

    # a button of an older bot version (or forged data) nobody handles any more
    query_id = h.emulator.next_query_id()
    h.emulator.callback_answers[query_id] = CallbackAnswer(query_id, "oldversion:42")
    h.emulator.push_update(
        {
            "callback_query": {
                "id": query_id,
                "from": anna.profile,
                "message": ask_native.payload,
                "chat_instance": "ci",
                "data": "oldversion:42",
            }
        }
    )
    forged = h.emulator.callback_answers[query_id]
    await h.emulator.wait_until(lambda: forged.answered, "the answer to a forged button")
    assert forged.answered and forged.show_alert and forged.text == "This button is no longer active."

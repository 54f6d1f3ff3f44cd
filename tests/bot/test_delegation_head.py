"""Heads of delegation: /delegation, /register_member with a personal link, /invite."""

from __future__ import annotations

import re

from core.models import Category, RegistrationStatus
from tests.bot.conftest import OFFICER, Harness, add_staff, fill_wizard, registration_row, sign_up
from tests.factories import make_participant, make_registration

HEAD = 1501
BIND = re.compile(r"https://t\.me/confdesk_test_bot\?start=bind_([A-Za-z0-9_-]+)")


async def make_head(h: Harness, code: str = "BY", telegram_id: int = HEAD) -> None:
    async with h.session_factory() as s:
        person = await make_participant(s, telegram_id=telegram_id, full_name="Viktor Head", language="en")
        await make_registration(
            s,
            h.conference,
            person,
            delegation=h.delegations[code],
            category=Category.HEAD,
            status=RegistrationStatus.APPROVED,
        )
        await s.commit()


async def test_delegation_lists_members_and_seats(harness: Harness) -> None:
    h = harness
    await make_head(h)
    head = h.user(HEAD, "Viktor")
    anna, bob = h.user(1502, "Anna"), h.user(1503, "Bob")
    await sign_up(anna, "Anna Petrova", category="Delegate")
    await sign_up(bob, "Bob Stone", category="Expert")
    await sign_up(h.user(1504, "Other"), "Hanna Kovacs", delegation="Hungary")
    await bob.send("/withdraw")
    await bob.reply()
    await bob.press("Yes, withdraw")
    await bob.expect("withdrawn")

    await head.send("/delegation")
    listing = await head.reply()
    lines = listing.text.splitlines()
    assert lines[0] == "Belarus" and lines[1] == "Seats: 2 of 20"  # the head and Anna; Bob withdrew
    assert "Viktor Head · Head of delegation · ✅ approved" in lines
    assert "Anna Petrova · Delegate · ⏳ pending approval" in lines
    assert "Bob Stone · Expert · withdrawn" in lines
    assert not any("Hanna" in line for line in lines)

    await anna.send("/delegation")  # a member is not the head
    refusal = await anna.reply()
    assert refusal.text.startswith("This is for heads of delegation.")
    assert "Viktor" not in refusal.text and "Seats" not in refusal.text


async def test_register_member_and_personal_link(harness: Harness) -> None:
    h = harness
    await make_head(h)
    await add_staff(h)
    officer = h.user(OFFICER, "Olga")
    await officer.send("/help")
    await officer.reply()
    head = h.user(HEAD, "Viktor")
    await head.send("/register_member")
    assert "You are registering a member of Belarus." in (await head.reply()).text
    await fill_wizard(head, "Ivan Member", position="Adviser", ask_delegation=False)
    await head.press("Confirm")
    done = await head.reply()
    assert "Ivan Member is registered in your delegation (status: ⏳ pending approval)." in done.text
    found = BIND.search(done.text)
    assert found, done.text
    token = found.group(1)
    card = await officer.expect("New registration")
    assert "Ivan Member" in card.text and "Belarus" in card.text
    await head.send("/me")  # the head's own registration is untouched
    assert "Name: Viktor Head" in (await head.reply()).text

    ivan = h.user(1505, "Ivan")
    await ivan.start(f"bind_{token}")
    bound = await ivan.reply()
    assert bound.text == "Your Telegram account is now connected to your registration, Ivan Member."
    await ivan.send("/me")
    me = await ivan.reply()
    for line in (
        "Name: Ivan Member",
        "Delegation: Belarus",
        "Category: Delegate",
        "Position: Adviser",
        "Status: ⏳ pending approval",
    ):
        assert line in me.text
    reg, person = await registration_row(h, ivan.id)
    assert reg.bind_token is None and reg.source == "delegation" and person.telegram_id == ivan.id

    other = h.user(1506, "Other")
    await other.start(f"bind_{token}")  # the link works once
    assert (await other.reply()).text == "This personal link is not valid or was already used."
    await officer.press("Approve", card)
    await ivan.expect("is approved")  # the decision reaches the bound account

    await head.send("/delegation")
    listing = await head.reply()
    assert "Seats: 2 of 20" in listing.text and "Ivan Member · Delegate · ✅ approved" in listing.text


async def test_head_invites_to_own_delegation_only(harness: Harness) -> None:
    h = harness
    await make_head(h, "HU")
    head = h.user(HEAD, "Viktor")
    await head.send("/invite BY uses=1")  # a head cannot pick another delegation
    refused = await head.reply()
    assert refused.text == "You can invite people to your own delegation only (HU). Send /invite without a code."
    await head.send("/invite uses=1")
    created = await head.reply()
    assert "Invitation to Hungary:" in created.text and "Uses: 1." in created.text
    token = re.search(r"start=inv_([A-Za-z0-9_-]+)", created.text)
    assert token
    joiner = h.user(1507, "Joiner")
    await joiner.start(f"inv_{token.group(1)}")
    assert "You are invited to join Hungary." in (await joiner.reply()).text
    await joiner.expect("Welcome to")
    await fill_wizard(joiner, "Janos Joiner", ask_delegation=False)
    await joiner.press("Confirm")
    await joiner.expect("waits for approval")  # the second of the two Hungarian seats

    await head.send("/register_member")
    await head.expect("You are registering a member of Hungary.")
    await fill_wizard(head, "Third Person", ask_delegation=False)
    await head.press("Confirm")
    assert "the delegation has no seats left (2 of 2 taken)" in (await head.reply()).text

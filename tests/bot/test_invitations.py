"""Invitation deep links: /invite, joining through the link, the delegation's quota,
revoking, expiry and use limits, and who may invite."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from bot.emulator.records import BotMessage
from bot.emulator.users import FakeUser
from core.clock import utc_now
from core.models import Category, Invitation, Participant, Registration, RegistrationStatus
from tests.bot.conftest import ADMIN, Harness, fill_wizard, registration_row, sign_up

LINK = re.compile(r"https://t\.me/confdesk_test_bot\?start=inv_([A-Za-z0-9_-]+)")


async def invite(admin: FakeUser, args: str) -> tuple[BotMessage, str]:
    """Send /invite <args> as `admin`; returns (the reply, the token)."""
    await admin.send(f"/invite {args}")
    created = await admin.expect("Invitation to")
    found = LINK.search(created.text or "")
    assert found, created.text
    return created, found.group(1)


async def join(user: FakeUser, token: str, name: str) -> None:
    """Open the link and answer the wizard up to the summary (no delegation question)."""
    await user.start(f"inv_{token}")
    welcome = await user.reply()
    assert "You are invited to join Hungary." in welcome.text
    assert "Welcome to" in (await user.reply()).text
    await fill_wizard(user, name, ask_delegation=False)


async def test_invite_link_fills_the_delegation_until_the_quota_is_reached(harness: Harness) -> None:
    h = harness
    admin = h.user(ADMIN, "Admin")
    created, token = await invite(admin, "HU uses=5")
    assert "Invitation to Hungary:" in created.text and "Uses: 5. Valid until: —." in created.text

    members = [h.user(1200 + i, f"Member{i}") for i in range(3)]
    for user, name in zip(members[:2], ("Anna Kovacs", "Bela Nagy"), strict=True):
        await join(user, token, name)
        await user.press("Confirm")
        assert "waits for approval" in (await user.reply()).text
        reg, _ = await registration_row(h, user.id)
        assert reg.delegation_id == h.delegations["HU"].id and reg.source == "invitation"

    third = members[2]
    await join(third, token, "Csaba Toth")
    await third.press("Confirm")
    refused = await third.reply()
    assert "the delegation has no seats left (2 of 2 taken)" in refused.text
    async with h.session_factory() as s:
        uses = (await s.execute(select(Invitation.uses).where(Invitation.token == token))).scalar_one()
        assert uses == 2  # the refused attempt did not spend a use
        assert (await s.execute(select(Participant).where(Participant.telegram_id == third.id))).first() is None

    assert "New registration" in (await admin.reply()).text  # admins accredit too
    await admin.press("Revoke this link", created)
    answer = await admin.answered()
    assert answer.text == "This invitation link is revoked."
    assert (await admin.edited(message=created)).buttons == []

    await third.press("Confirm")  # still at the summary, but the link is gone now
    assert "This invitation link was revoked. Ask for a new one." in (await third.reply()).text
    late = h.user(1210, "Late")
    await late.start(f"inv_{token}")
    assert "This invitation link was revoked. Ask for a new one." in (await late.reply()).text
    await late.send("Late Comer")  # no wizard was started
    assert "I didn't understand that" in (await late.reply()).text


async def test_invitation_with_category_skips_that_question_too(harness: Harness) -> None:
    h = harness
    admin = h.user(ADMIN, "Admin")
    created, token = await invite(admin, "BY head_of_delegation days=3")
    assert "Invitation to Belarus (Head of delegation):" in created.text and "Uses: unlimited." in created.text
    head = h.user(1220, "Head")
    await head.start(f"inv_{token}")
    assert "You are invited to join Belarus." in (await head.reply()).text
    await head.expect("full name in Latin script")
    await head.send("Viktor Head")
    await head.expect("own script")
    await head.press("Skip")
    nxt = await head.reply()
    assert "position or title" in nxt.text  # neither delegation nor category asked
    await head.send("Ambassador")
    await head.expect("Your organisation")
    await head.press("Skip")
    await head.expect("Personal data")
    await head.press("I agree")
    summary = await head.expect("Please check your data")
    assert "Delegation: Belarus" in summary.text and "Category: Head of delegation" in summary.text
    await head.press("Edit")
    fields = await head.expect("What would you like to change?")
    assert fields.buttons == ["Name", "Native name", "Position", "Organisation"]  # locked by the invitation
    await head.press("Native name")
    await head.expect("own script")
    await head.send("Віктар")
    await head.expect("Please check your data")
    await head.press("Confirm")
    await head.expect("waits for approval")
    reg, person = await registration_row(h, head.id)
    assert reg.category == Category.HEAD and person.native_name == "Віктар"


async def test_expired_and_used_up_links(harness: Harness) -> None:
    h = harness
    admin = h.user(ADMIN, "Admin")
    _, once = await invite(admin, "RU uses=1")
    _, soon = await invite(admin, "RU days=1")
    first = h.user(1230, "First")
    await first.start(f"inv_{once}")
    assert "You are invited to join Russian Federation." in (await first.reply()).text
    await first.expect("Welcome to")
    await fill_wizard(first, "Petr First", ask_delegation=False)
    await first.press("Confirm")
    await first.expect("waits for approval")
    second = h.user(1231, "Second")
    await second.start(f"inv_{once}")
    assert "This invitation link has been used up. Ask for a new one." in (await second.reply()).text

    async with h.session_factory() as s:
        past = utc_now() - timedelta(minutes=1)
        await s.execute(update(Invitation).where(Invitation.token == soon).values(expires_at=past))
        await s.commit()
    await second.start(f"inv_{soon}")
    assert "This invitation link has expired. Ask for a new one." in (await second.reply()).text
    await second.start("inv_doesnotexist")
    assert "This invitation link is not valid." in (await second.reply()).text
    # ...and /start without a link still works for them
    await second.start()
    assert "Welcome to" in (await second.reply()).text


async def test_who_may_invite(harness: Harness) -> None:
    h = harness
    anna = h.user(1240, "Anna")
    await sign_up(anna, "Anna Petrova")
    await anna.send("/invite HU uses=5")
    refusal = await anna.reply()
    assert "This is for heads of delegation." in refusal.text and "t.me" not in refusal.text
    stranger = h.user(1241, "Stranger")
    await stranger.send("/invite")
    assert "This is for heads of delegation." in (await stranger.reply()).text

    admin = h.user(ADMIN, "Admin")
    await admin.send("/invite XX")
    assert "There is no delegation with the code XX." in (await admin.reply()).text
    await admin.send("/invite")
    assert "Usage: /invite [DELEGATION CODE]" in (await admin.reply()).text
    await admin.send("/invite HU uses=many")
    assert "Usage: /invite" in (await admin.reply()).text
    async with h.session_factory() as s:
        assert (await s.execute(select(Invitation))).first() is None
        reg = (await s.execute(select(Registration))).scalar_one()
        assert reg.status == RegistrationStatus.PENDING

"""Nothing a person types comes back with control or bidi-override characters: at every
step that takes text, the reply (and what is stored) has none, while names in right-to-left
scripts, with the joiners Persian needs, pass untouched."""

from __future__ import annotations

from sqlalchemy import select

from core.models import Registration, RegistrationStatus, StaffRoleName
from tests.bot.conftest import ADMIN, OFFICER, Harness, add_staff, registration_row
from tests.bot.html_util import INVISIBLE, assert_clean
from tests.factories import make_participant, make_registration

# Right-to-left override, isolates, marks, zero-width space, BOM, C0 and C1 controls.
RLO, LRI, PDI, RLM, ZWSP, BOM, BEL, ESC, NEL = (
    "\u202e",
    "\u2066",
    "\u2069",
    "\u200f",
    "\u200b",
    "\ufeff",
    "\x07",
    "\x1b",
    "\x85",
)
PERSIAN = "علی\u200cرضا محمدی"  # Ali-Reza Mohammadi: the ZWNJ belongs to the name


def spoiled(text: str) -> str:
    """`text` with invisible characters between its letters."""
    junk = [RLO, LRI, PDI, RLM, ZWSP, BOM, BEL, ESC, NEL]
    return "".join(ch + junk[i % len(junk)] for i, ch in enumerate(text))


async def test_wizard_steps_never_echo_control_characters(harness: Harness) -> None:
    h = harness
    anna = h.user(1201, "Anna")
    h.user(ADMIN, "Admin")  # admins hear of new registrations
    await anna.start()
    await anna.expect("full name in Latin script")
    for bad in (f"Anna{RLO} Petrova", f"Anna{BEL} Petrova", f"Anna Petrova{ZWSP}"):
        await anna.send(bad)
        assert "without special characters" in (await anna.reply()).text
    await anna.send("Anna Petrova")
    await anna.expect("own script")
    await anna.send(f"{PERSIAN}{RLO}")
    assert "without special characters" in (await anna.reply()).text
    await anna.send(PERSIAN)
    await anna.expect("Which delegation")
    await anna.send(spoiled("Atlantis"))
    assert "No delegation matches “Atlantis”" in (await anna.reply()).text
    await anna.send(f"{RLO}hung{LRI}ary{PDI}\n")
    found = await anna.expect("Delegations matching")
    assert "“hungary”" in found.text and found.buttons[0] == "Hungary"
    await anna.press("Hungary")
    await anna.expect("Your category")
    await anna.press("Delegate")
    await anna.expect("position or title")
    await anna.send(f"Counsellor{RLM}")
    assert "without special characters" in (await anna.reply()).text
    await anna.send("Counsellor")
    await anna.expect("organisation (ministry")
    await anna.send(f"Ministry{BOM}")
    assert "without special characters" in (await anna.reply()).text
    await anna.press("Skip")
    await anna.expect("Personal data")
    await anna.press("I agree")
    summary = await anna.expect("Please check your data")
    assert f"Name in native script: {PERSIAN}" in summary.text  # right-to-left letters and the ZWNJ kept
    await anna.press("Confirm")
    await anna.expect("waits for approval")
    _, person = await registration_row(h, 1201)
    assert person.native_name == PERSIAN
    await anna.wait_idle()
    assert_clean(h.emulator)


async def test_staff_inputs_never_echo_control_characters(harness: Harness) -> None:
    h = harness
    async with h.session_factory() as s:
        p = await make_participant(s, telegram_id=1301, full_name="Anna Kovacs", language="en")
        await make_registration(s, h.conference, await make_participant(s, telegram_id=1302, full_name="Bob Stone"))
        reg = await make_registration(
            s, h.conference, p, delegation=h.delegations["HU"], status=RegistrationStatus.PENDING
        )
        await s.commit()
    await add_staff(h, OFFICER, StaffRoleName.ACCREDITATION)
    officer = h.user(OFFICER, f"Olga{RLO}", last_name=f"{ZWSP}Ivanova{BEL}")  # a Telegram name is typed too
    admin, anna = h.user(ADMIN, "Admin"), h.user(1301, "Anna")
    h.user(1302, "Bob")

    await officer.send("/pending")
    await officer.expect("Waiting for approval")
    await officer.press(f"❌ #{reg.id}")
    await officer.expect("Why is registration")
    await officer.send(f"Photo {RLO}blurred{PDI}{BEL}\nplease {ESC}[31mresend")
    done = await officer.expect("Rejected by")
    assert "Olga Ivanova: Photo blurred\nplease [31mresend" in done.text
    told = await anna.expect("was not approved")
    assert "Reason: Photo blurred\nplease [31mresend" in told.text
    async with h.session_factory() as s:
        stored = (await s.execute(select(Registration.decision_reason).where(Registration.id == reg.id))).scalar_one()
    assert stored == "Photo blurred\nplease [31mresend"
    await anna.send("/me")
    assert "Photo blurred" in (await anna.expect("Reason:")).text

    await officer.send(f"/find {spoiled('kovacs')}")
    assert "Anna Kovacs" in (await officer.expect("Badge:")).text
    await officer.send(f"/find {spoiled('zzz')}")
    assert "Nobody matches “zzz”" in (await officer.expect("Nobody matches")).text
    await officer.inline_query(spoiled("kovacs"))
    assert [r["title"] for r in (await officer.inline_results()).results or []] == ["Anna Kovacs"]
    await admin.send(f"/invite {spoiled('XX')}")
    assert "no delegation with the code XX." in (await admin.expect("no delegation")).text

    await admin.send("/broadcast")
    await admin.expect("Send the message")
    await admin.send(f"Doors open at 9{RLO}:00{ZWSP}\nWelcome{BEL}")
    await admin.expect("Who should get it?")
    await admin.press("Everyone approved")
    preview = await admin.expect("Preview")
    assert "Doors open at 9:00\nWelcome" in preview.text
    await admin.press("Cancel")
    await admin.expect("cancelled")
    await admin.wait_idle()
    assert_clean(h.emulator)
    for chat in h.emulator.chats.values():
        for message in chat.messages.values():
            if message.from_bot:
                assert not INVISIBLE.search(message.content), message.describe()

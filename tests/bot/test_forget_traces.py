"""/forget through the bot leaves no trace of the person: afterwards every column of every
table, and every FSM entry (Redis keys and values when CONFDESK_TEST_REDIS_URL is set, the
in-memory storage otherwise), is searched for their Telegram id, username, names, email and
phone.

The person did all a person can here: signed up (sharing a phone contact on the way),
got approved, became an admin, decided someone else's card, invited, chose a gate and
scanned a badge, broadcast, was named in someone else's broadcast and rejection reason,
had messages sent and pending, and left a wizard half-way."""

from __future__ import annotations

import asyncio
import os
import random
import string
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from aiogram import Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_dispatcher, make_bot, make_storage
from bot.emulator import BotAPIEmulator
from bot.emulator.users import FakeUser
from core import badges
from core.clock import utc_now
from core.config import Settings, load_settings
from core.messaging import broadcasts, outbox
from core.messaging.broadcasts import Audience, AudienceKind
from core.models import (
    AuditLog,
    Conference,
    OutboxMessage,
    OutboxStatus,
    Participant,
    Registration,
    RegistrationStatus,
    Scan,
    StaffRoleName,
)
from core.people import staff
from core.uow import unit_of_work
from tests.bot.conftest import ADMIN, OFFICER, add_staff, seed
from tests.traces import Trace, traces_in_database, traces_in_redis

REDIS_URL = os.environ.get("CONFDESK_TEST_REDIS_URL")
SECRET = b"s" * 40
WAIT = 30.0  # an upper bound for each expected reply, never a pause


@dataclass
class World:
    emulator: BotAPIEmulator
    settings: Settings
    session_factory: async_sessionmaker[AsyncSession]
    conference: Conference
    dp: Dispatcher
    storage: BaseStorage


@pytest.fixture
async def world(database_url: str, session_factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[World]:
    conference, _ = await seed(session_factory)
    token = f"{uuid.uuid4().int % 10**9}:TEST"  # a bot of its own
    async with BotAPIEmulator(token=token) as emulator:
        settings = load_settings(
            _env_file=None,
            bot_token=token,
            database_url=database_url,
            telegram_api_url=emulator.base_url,
            admin_ids=[ADMIN],
            badge_secret=SECRET.decode(),
            redis_url=REDIS_URL,
            bot_username=None,
            conference=None,
        )
        storage = make_storage(settings)
        bot = make_bot(settings)
        dp = build_dispatcher(settings, session_factory, storage=storage)
        try:
            async with emulator.polling(dp, bot):
                yield World(emulator, settings, session_factory, conference, dp, storage)
            emulator.assert_no_violations()
        finally:
            await bot.session.close()
            await storage.close()


async def settled(dp: Dispatcher) -> None:
    """Every update handed to the dispatcher has finished (FSM locks released too): polling
    runs each update as a task, kept in this set until it is done."""
    tasks = list(dp._handle_update_tasks)
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), WAIT)


def _letters(n: int) -> str:
    return "".join(random.choices(string.ascii_lowercase, k=n))


async def sign_up(user: FakeUser, name: str, native: str | None = None, phone: str | None = None) -> None:
    await user.start()
    await user.expect("full name in Latin script", WAIT)
    if phone:  # a contact shared where a name was asked: refused, and stored nowhere
        await user.send_contact(phone)
        await user.expect("Please send your answer as a text message.", WAIT)
    await user.send(name)
    await user.expect("own script", WAIT)
    if native:
        await user.send(native)
    else:
        await user.press("Skip")
    await user.expect("Which delegation", WAIT)
    await user.send("Belarus")
    await user.expect("Delegations matching", WAIT)
    await user.press("Belarus")
    await user.expect("Your category", WAIT)
    await user.press("Delegate")
    await user.expect("position or title", WAIT)
    await user.send("Counsellor")
    await user.expect("organisation (ministry", WAIT)
    await user.press("Skip")
    await user.expect("Personal data", WAIT)
    await user.press("I agree")
    await user.expect("Please check your data", WAIT)
    await user.press("Confirm")
    await user.expect("Thank you!", WAIT)


async def test_forget_leaves_no_trace_in_any_table_or_fsm_entry(world: World) -> None:
    w, emu = world, world.emulator
    tag = _letters(6)
    pid = 7_000_000_000 + random.randrange(10**9)  # unique in the shared Redis database too
    username = f"zl_{tag}_{pid % 1000}"
    first, last = f"Zlatomira{tag.capitalize()}", f"Vyshnevska{_letters(4)}"
    full_name = f"{first} {last}"
    native = "Златомира " + "".join(random.choices("абвгдежзиклмнопрстуфхцчшщэюя", k=8)).capitalize()
    email = f"zlata.{tag}@example.org"
    phone = f"+37529{random.randrange(10**7):07d}"
    draft_name = f"Zlata Draftname{tag.capitalize()}"
    needles = [str(pid), username, first, last, full_name, native, email, phone, draft_name]

    await add_staff(w, OFFICER)  # type: ignore[arg-type]
    officer, admin = emu.user(id=OFFICER, first_name="Olga"), emu.user(id=ADMIN, first_name="Admin")
    for u in (officer, admin):
        await u.send("/help")
        await u.reply(WAIT)
    zlata = emu.user(id=pid, first_name=first, last_name=last, username=username, language_code="en")

    # 1. she signs up (offering a phone contact first) and is approved
    await sign_up(zlata, full_name, native, phone)
    await officer.press("Approve", await officer.expect(full_name, WAIT))
    await zlata.expect("is approved", WAIT)
    async with w.session_factory() as s:  # an import added her email later
        await s.execute(update(Participant).where(Participant.telegram_id == pid).values(email=email))
        await s.commit()

    # 2. she becomes an admin, and adds a door steward herself
    async with unit_of_work(w.session_factory) as s:
        await staff.add_role(s, w.conference.id or 0, pid, StaffRoleName.ADMIN, actor="cli:root")
    async with unit_of_work(w.session_factory) as s:
        await staff.add_role(s, w.conference.id or 0, 4242, StaffRoleName.DOOR, actor_telegram_id=pid, actor="")

    # 3. she approves someone's card; an officer rejects another with a reason naming her
    quinn, rhea = emu.user(id=pid + 1, first_name="Quinn"), emu.user(id=pid + 2, first_name="Rhea")
    await sign_up(quinn, "Quinn Example")
    await zlata.press("Approve", await zlata.expect("Quinn Example", WAIT))
    await zlata.edited(WAIT)
    await quinn.expect("is approved", WAIT)
    await sign_up(rhea, "Rhea Example")
    await officer.press("Reject", await officer.expect("Rhea Example", WAIT))
    await officer.expect("Why is registration", WAIT)
    await officer.send(f"Same person as {full_name}, registered twice")
    await officer.expect("Rejected by", WAIT)

    # 4. she invites, picks the exit gate and scans Quinn's badge
    await zlata.send("/invite BY")
    await zlata.expect("Invitation to", WAIT)
    await zlata.send("/gate")
    menu = await zlata.expect("Scanning at", WAIT)
    await zlata.press("Exit", message=menu)
    await zlata.answered(WAIT)
    async with w.session_factory() as s:
        q = (
            await s.execute(select(Registration).join(Participant).where(Participant.telegram_id == quinn.id))
        ).scalar_one()
    await zlata.start(f"b_{badges.make_token(SECRET, q.id or 0, q.badge_version)}")
    await zlata.expect("Quinn Example", WAIT)

    # 5. broadcasts: hers, and the admin's naming her; some sent, a reminder still pending
    async with w.session_factory() as s:
        conf = await s.get(Conference, w.conference.id)
        assert conf is not None
        everyone = Audience(AudienceKind.APPROVED)
        own = await broadcasts.start(
            s, conf, everyone, text="Doors open at 9", actor_telegram_id=pid, report_chat_id=pid
        )
        await broadcasts.start(s, conf, everyone, text=f"Please welcome {full_name}!", actor_telegram_id=ADMIN)
        for claimed in await outbox.claim(s, "test", limit=3):
            await outbox.mark_sent(s, claimed.id, claimed.token)
        await outbox.enqueue(
            s,
            kind="broadcast_report",
            chat_id=pid,
            dedup_key=f"broadcast_report:{own.broadcast_id}",
            due_at=utc_now(),
            payload={"broadcast_id": own.broadcast_id},
        )
        await outbox.enqueue(
            s,
            kind="reminder",
            chat_id=pid,
            dedup_key=f"rem:1:{pid}:later",
            due_at=utc_now() + timedelta(hours=1),
            payload={"registration_id": 1},
        )
        await s.commit()

    # 6. she fixes her language, starts an edit and types a new name, then asks to be forgotten
    await zlata.send("/language")
    await zlata.expect("Choose your language", WAIT)
    await zlata.press("English")
    await zlata.expect("Language set", WAIT)
    await zlata.send("/edit")
    await zlata.expect("Please check your data", WAIT)
    await zlata.press("Edit")
    await zlata.change(WAIT)
    await zlata.press("Name")
    await zlata.expect("full name in Latin script", WAIT)
    await zlata.send(draft_name)
    await zlata.expect("Please check your data", WAIT)

    before = await _all_traces(w, needles)
    assert {t.needle for t in before} >= set(needles) - {phone}, "the setup did not store what it should"

    await zlata.send("/forget")
    await zlata.expect("Delete all your personal data?", WAIT)
    await zlata.press("Yes, delete my data")
    await zlata.expect("Your personal data is deleted.", WAIT)
    await settled(w.dp)

    left = await _all_traces(w, needles)
    assert not left, "traces of the forgotten person:\n" + "\n".join(str(t) for t in left)

    # What is kept: her cancelled registration, the scan she made, the audit trail under one pseudonym.
    async with w.session_factory() as s:
        person = (await s.execute(select(Participant).where(Participant.full_name == ""))).scalar_one()
        reg = (await s.execute(select(Registration).where(Registration.participant_id == person.id))).scalar_one()
        assert reg.status == RegistrationStatus.CANCELLED
        scan = (await s.execute(select(Scan))).scalar_one()
        assert scan.staff_telegram_id is None and scan.registration_id == q.id
        actors = set((await s.execute(select(AuditLog.actor).where(AuditLog.actor.like("anon:%")))).scalars())
        assert len(actors) == 1
        acted = (await s.execute(select(AuditLog.action).where(AuditLog.actor.in_(actors)))).scalars().all()
        assert {"registration.create", "registration.approve", "broadcast.send", "participant.forget"} <= set(acted)
        mine = (await s.execute(select(OutboxMessage).where(OutboxMessage.chat_id == 0))).scalars().all()
        assert mine and all(m.status != OutboxStatus.PENDING for m in mine)
        assert {m.status for m in mine} >= {OutboxStatus.CANCELLED}
        await s.commit()


async def _all_traces(w: World, needles: list[str]) -> list[Trace]:
    async with w.session_factory() as s:
        found = await traces_in_database(s, needles)
    found += await _fsm_traces(w.storage, needles)
    return found


async def _fsm_traces(storage: BaseStorage, needles: list[str]) -> list[Trace]:
    redis: Any = getattr(storage, "redis", None)
    if redis is not None:
        return await traces_in_redis(redis, needles)
    assert isinstance(storage, MemoryStorage)
    found = []
    for key, record in storage.storage.items():
        text = f"{key} {record.state} {record.data}"
        found += [Trace(f"memory FSM {key}", n, text) for n in needles if n.casefold() in text.casefold()]
        if record.state is None and not record.data:  # an emptied entry: only its key is left
            found = [t for t in found if t.where != f"memory FSM {key}"]
    return found

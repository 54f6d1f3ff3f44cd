"""`confdesk demo`: the whole conference, offline, in well under a minute.

The Bot API emulator (with the simulated people, as Telegram's side) runs in this process;
the real bot runs in a second one, started exactly as `confdesk run` starts it (long
polling over loopback HTTP), on the embedded defaults: a SQLite file and in-memory state. A crowd of simulated people
signs up through the bot in English and Russian, an accreditation officer approves them
from the cards the bot sends, many sign up for thematic discussions (the full ones go to
waiting lists), the badges are printed to a PDF, and door staff scan most people in at
the entrance and at the high-level session by opening their badge links, with a few
duplicates and one forged code. Then the attendance report, and where everything is.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.process
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.emulator import BotAPIEmulator
from bot.emulator.users import FakeUser
from bot.i18n import translator
from core import app_settings, badges, reporting
from core.accreditation import quota
from core.badges.pdf import print_badges
from core.config import Settings, load_settings
from core.db import make_engine, make_session_factory
from core.migrate import upgrade
from core.models import AgendaItem, AgendaKind, Category, Conference, Delegation, DelegationKind, StaffRoleName, pick
from core.people import staff
from core.programme.file import parse_programme
from core.programme.load import load_programme
from core.reporting import demo_queries
from core.uow import unit_of_work

OFFICER, DOORS = 1_000_001, (1_000_011, 1_000_012, 1_000_013)
FIRST_EN = [
    "Anna",
    "John",
    "Maria",
    "David",
    "Sofia",
    "Omar",
    "Li",
    "Ahmed",
    "Elena",
    "Carlos",
    "Amina",
    "Peter",
    "Fatima",
    "Ivan",
    "Chen",
    "Laura",
    "Rahul",
    "Nadia",
    "Marco",
    "Aisha",
    "Tomas",
    "Yusuf",
    "Hana",
    "Pablo",
]
LAST_EN = [
    "Smith",
    "Garcia",
    "Haddad",
    "Kovacs",
    "Novak",
    "Silva",
    "Rahman",
    "Okafor",
    "Nguyen",
    "Santos",
    "Wang",
    "Mendez",
    "Farouk",
    "Horvath",
    "Ibrahim",
    "Mensah",
    "Kaya",
    "Costa",
    "Tan",
    "Moreau",
    "Rossi",
    "Khan",
]
RUSSIAN = [
    ("Aleksei", "Алексей"),
    ("Olga", "Ольга"),
    ("Dmitry", "Дмитрий"),
    ("Natalia", "Наталья"),
    ("Sergei", "Сергей"),
    ("Irina", "Ирина"),
    ("Pavel", "Павел"),
    ("Tatiana", "Татьяна"),
    ("Andrei", "Андрей"),
    ("Svetlana", "Светлана"),
    ("Mikhail", "Михаил"),
    ("Anastasia", "Анастасия"),
]
RUSSIAN_LAST = [
    ("Ivanov", "Иванов"),
    ("Petrov", "Петров"),
    ("Smirnov", "Смирнов"),
    ("Kuznetsov", "Кузнецов"),
    ("Volkov", "Волков"),
    ("Sokolov", "Соколов"),
    ("Lebedev", "Лебедев"),
    ("Kozlov", "Козлов"),
    ("Novikov", "Новиков"),
    ("Morozov", "Морозов"),
]
RUSSIAN_SPEAKING = {"BY", "RU", "KZ", "KG", "TJ", "UZ", "AM", "AZ", "TM", "CIS", "CSTO", "UNION-STATE"}
# Day 1, 14:30, three discussions at once: one is the crowd's favourite, so it fills up and
# the late ones go to its waiting list. Some also join the 17:00 brainstorming (100 seats).
THEMATIC = {"sanctions": 5, "migration": 3, "world-order": 2}  # code -> relative popularity
BRAINSTORMING = "charter"
DAY_HEADING = {"en": "Programme for", "ru": "Программа на"}  # how /agenda's answer begins
BRAINSTORMING_SHARE = 0.4


@dataclass
class Person:
    user: FakeUser
    language: str
    name: str
    native: str | None
    delegation: Delegation | None
    category: Category
    registration_id: int | None = None


@dataclass
class DemoResult:
    database: Path
    pdf: Path
    seconds: float
    tally: demo_queries.Tally | None = None
    days: list[reporting.DayLine] = field(default_factory=list)


def _names(rnd: random.Random, code: str | None, female: bool) -> tuple[str, str | None, str]:
    if code in RUSSIAN_SPEAKING:
        first, first_ru = rnd.choice(RUSSIAN)
        last, last_ru = rnd.choice(RUSSIAN_LAST)
        if first_ru.endswith("а") or first_ru.endswith("я"):
            last, last_ru = last + "a", last_ru + "а"
        return f"{first} {last}", f"{first_ru} {last_ru}", "ru"
    return f"{rnd.choice(FIRST_EN)} {rnd.choice(LAST_EN)}", None, "en"


def crowd(
    rnd: random.Random, emulator: BotAPIEmulator, delegations: Sequence[Delegation], taken: dict[int, int], size: int
) -> list[Person]:
    """`size` people spread over the delegations by the seats their quotas have left."""
    seats: list[Delegation | None] = []
    for d in delegations:
        if d.kind != DelegationKind.OTHER:
            seats += [d] * max(0, (d.quota if d.quota is not None else 5) - taken.get(d.id or 0, 0))
    rnd.shuffle(seats)
    people: list[Person] = []
    for i in range(size):
        delegation = seats[i] if i < len(seats) and i % 10 else None  # every tenth: expert or press
        name, native, language = _names(rnd, delegation.code if delegation else None, bool(i % 2))
        if delegation is None:
            category = Category.PRESS if i % 20 == 0 else Category.EXPERT
        else:
            category = rnd.choice([Category.DELEGATE] * 6 + [Category.EXPERT])
        user = emulator.user(id=2_000_000 + i, first_name=name.split()[0], language_code=language)
        people.append(Person(user, language, name, native, delegation, category))
    return people


async def _signup(p: Person, invitations: dict[str, str]) -> None:
    """The wizard, as a person answers it; every step waits for the bot's reply. Members of
    a delegation open its invitation link (delegation and category come with it)."""
    t, u = translator(p.language), p.user
    invited = p.delegation is not None and p.category == Category.DELEGATE
    await u.start(f"inv_{invitations[p.delegation.code]}" if invited and p.delegation else None)
    for _ in range(3 if invited else 2):  # (invitation,) welcome, first question
        await u.reply(timeout=60)
    await u.send(p.name)
    await u.reply(timeout=60)
    if p.native:
        await u.send(p.native)
    else:
        await u.press(t("btn-skip"))
    await u.reply(timeout=60)
    if not invited:
        if p.delegation is None:
            await u.press(t("kind-none"))
        else:
            label = pick(p.delegation.name, p.language)
            await u.send(label)
            await u.reply(timeout=60)
            await u.press(label[:60])
        await u.reply(timeout=60)
        await u.press(t(f"category-{p.category.value}"))
        await u.reply(timeout=60)
    await u.send("Counsellor" if p.language == "en" else "Советник")
    await u.reply(timeout=60)
    await u.press(t("btn-skip"))
    await u.reply(timeout=60)
    await u.press(t("btn-agree"))
    await u.reply(timeout=60)
    await u.press(t("btn-confirm"))
    await u.reply(timeout=60)


async def _agenda_signup(p: Person, item: AgendaItem) -> None:
    """/agenda, the item's button on its day, then Sign up (or Join the waiting list when it
    is full; "anyway" when the bot asks about an overlap)."""
    t, u = translator(p.language), p.user
    title = pick(item.title, p.language)[:40]
    await u.send("/agenda")
    day = await u.expect(DAY_HEADING[p.language], edits=False)  # the first day, a page of its items
    while not any(title in b for b in day.buttons):  # a later item: turn the page
        await u.press(t("btn-agenda-later"), message=day)
        day = await u.edited(message=day)
    await u.press(title, message=day)
    card = await u.edited(message=day)
    keys = ("btn-agenda-sign-up", "btn-agenda-waitlist", "btn-agenda-sign-up-anyway", "btn-agenda-waitlist-anyway")
    offered = {t(key) for key in keys}
    # Press what the card offers until it offers nothing more: the seats may run out while the
    # card is open (the bot then shows "Join the waiting list"), or it asks about an overlap.
    while chosen := next((b for b in card.buttons if b in offered), None):
        await u.press(chosen, message=card)
        await u.answered()
        card = await u.edited(message=card)


async def _in_waves(
    items: Sequence[Any], work: Callable[[Any], Awaitable[None]], progress: Progress, task: Any, width: int = 60
) -> None:
    gate = asyncio.Semaphore(width)

    async def one(item: Any) -> None:
        async with gate:
            await work(item)
        progress.advance(task)

    await asyncio.gather(*(one(i) for i in items))


def prepare_workdir(workdir: Path) -> Path:
    """A fresh database file in `workdir` (created if need be); returns its path."""
    workdir.mkdir(parents=True, exist_ok=True)
    for leftover in workdir.glob("confdesk-demo.db*"):
        leftover.unlink()
    return workdir / "confdesk-demo.db"


@dataclass
class _Stage:
    """What the simulated conference runs on: the emulator, the database, the bot's
    settings, what the programme loaded, the dice, and how far ahead the bot's clock is."""

    emulator: BotAPIEmulator
    factory: async_sessionmaker[AsyncSession]
    settings: Settings
    loaded: demo_queries.Contents
    rnd: random.Random
    offset: Any  # a multiprocessing Value: seconds the bot's clock is ahead

    @property
    def conf(self) -> Conference:
        return self.loaded.conference

    @property
    def conference_id(self) -> int:
        assert self.conf.id is not None
        return self.conf.id


PROGRESS_COLUMNS = (TextColumn("{task.description:<34}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())


async def run_demo(
    workdir: Path, participants: int, programme_text: str, programme_name: str, console: Console, seed: int = 2024
) -> DemoResult:
    """`workdir` as prepared by `prepare_workdir`."""
    started = time.perf_counter()
    rnd = random.Random(seed)
    database = workdir / "confdesk-demo.db"
    url = f"sqlite+aiosqlite:///{database}"
    engine = make_engine(url)
    await upgrade(engine)
    factory = make_session_factory(engine)
    loaded = await _load(factory, programme_text, programme_name)
    conf, delegations, items = loaded.conference, loaded.delegations, loaded.items
    assert conf.id is not None
    console.print(f"Loaded [bold]{pick(conf.name, 'en')}[/]: {len(delegations)} delegations, {len(items)} agenda items")
    result = DemoResult(database, workdir / "badges.pdf", 0.0)
    async with BotAPIEmulator(bot_username="confdesk_demo_bot") as emulator:
        settings = _settings(emulator, url, conf)
        async with unit_of_work(factory) as session:
            for door in DOORS:
                await staff.add_role(session, conf.id, door, StaffRoleName.DOOR, actor="demo")
        offset = multiprocessing.get_context("spawn").Value("d", 0.0)  # seconds the bot's clock is ahead
        stage = _Stage(emulator, factory, settings, loaded, rnd, offset)
        bot_process = _start_bot(settings, offset)
        people = crowd(rnd, emulator, delegations, await _taken(factory, conf.id), participants)
        officer = emulator.user(id=OFFICER, first_name="Officer", language_code="ru")
        try:
            await _until_polling(emulator, bot_process)
            with Progress(*PROGRESS_COLUMNS, console=console) as progress:
                await _conference(stage, people, officer, result.pdf, progress)
        finally:
            bot_process.terminate()  # SIGTERM: aiogram stops polling gracefully
            await asyncio.to_thread(bot_process.join, 30)
    async with unit_of_work(factory) as session:
        result.tally = await demo_queries.tally(session, conf.id)
        result.days = await reporting.by_day(session, conf)
    await engine.dispose()
    result.seconds = time.perf_counter() - started
    return result


def _settings(emulator: BotAPIEmulator, url: str, conf: Conference) -> Settings:
    """The bot's settings: the emulator for Telegram, the demo's database, the officer as admin."""
    return load_settings(
        _env_file=None,
        bot_token=emulator.token,
        database_url=url,
        telegram_api_url=emulator.base_url,
        redis_url=None,
        admin_ids=[OFFICER],
        bot_username=emulator.bot_username,
        conference=conf.slug,
    )


async def _conference(stage: _Stage, people: list[Person], officer: FakeUser, pdf: Path, progress: Progress) -> None:
    """The conference from accreditation to the last morning at the doors."""
    await officer.send("/help")
    await officer.reply(timeout=60)
    await _accreditation(stage, people, officer, progress)
    await _discussions(stage, people, progress)
    task = progress.add_task("Printing badges (a4x4)", total=None)
    printed = await _print(stage.factory, stage.conf, stage.settings, pdf, lambda n: progress.update(task, completed=n))
    progress.update(task, total=printed, completed=printed)
    tokens = await _tokens(stage.factory, stage.settings, stage.conference_id, people)
    doors = await _doors(stage.emulator, stage.loaded.items)
    conf = stage.conf
    for day, share in ((conf.first_day, 0.9), (conf.last_day, 0.75)):
        stage.offset.value = _offset_to(conf, day, dtime(8, 40))  # the bot's clock: that morning
        task = progress.add_task(f"Door staff scan badges, {day:%d %b}", total=None)
        await _scan(doors, stage.rnd, people, tokens, stage.loaded.items, share, progress, task)


async def _accreditation(stage: _Stage, people: list[Person], officer: FakeUser, progress: Progress) -> None:
    """Invitation links per delegation; everyone signs up in the bot while the officer
    approves the cards as they arrive."""
    delegations = stage.loaded.delegations
    task = progress.add_task("Invitation links per delegation", total=len(delegations))
    invitations = await _invite(officer, delegations, progress, task)
    task = progress.add_task("Signing up in the bot (en, ru)", total=len(people))
    approving = progress.add_task("Officer approves as cards arrive", total=None)
    signed_up = asyncio.Event()
    approver = asyncio.create_task(
        _approve_all(officer, signed_up, stage.factory, stage.conference_id, progress, approving)
    )
    await _in_waves(people, lambda p: _signup(p, invitations), progress, task)
    signed_up.set()
    await approver


async def _discussions(stage: _Stage, people: list[Person], progress: Progress) -> None:
    """Delegates and experts sign up for the thematic discussions (and the brainstorming)."""
    rnd, items = stage.rnd, stage.loaded.items
    joiners = [p for p in people if p.category in (Category.DELEGATE, Category.EXPERT) and rnd.random() < 0.6]
    choices = [(p, _discussion(rnd, items)) for p in joiners]
    choices += [(p, _item(items, BRAINSTORMING)) for p in joiners if rnd.random() < BRAINSTORMING_SHARE]
    task = progress.add_task("Signing up for discussions", total=len(choices))
    await _in_waves(choices, lambda pair: _agenda_signup(*pair), progress, task)


def _item(items: Sequence[AgendaItem], code: str) -> AgendaItem:
    return next(i for i in items if i.code == code)


def _discussion(rnd: random.Random, items: Sequence[AgendaItem]) -> AgendaItem:
    """One of the 14:30 discussions, the popular one more often."""
    (code,) = rnd.choices(list(THEMATIC), weights=list(THEMATIC.values()))
    return _item(items, code)


def _offset_to(conf: Conference, day: date, at: dtime) -> float:
    """Seconds to add to real time so that the bot's clock reads `at` on `day`, local time."""
    wanted = datetime.combine(day, at, tzinfo=ZoneInfo(conf.timezone))
    return (wanted - datetime.now(UTC)).total_seconds()


async def _load(factory: async_sessionmaker[AsyncSession], text: str, source: str) -> demo_queries.Contents:
    document = parse_programme(text, source)
    async with unit_of_work(factory) as session:
        await load_programme(session, document, actor="demo")
        return await demo_queries.contents(session, document.conference.slug)


def _bot_main(settings: dict[str, Any], offset: Any) -> None:
    """The bot's process: what `confdesk run` does, against the emulator, on a clock that
    the demo moves to the conference's days (`offset`: seconds ahead of real time)."""
    from bot.runner import run_polling

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("aiogram.dispatcher").setLevel(logging.ERROR)  # "Received SIGTERM" at the end is the plan

    def clock() -> datetime:
        return datetime.now(UTC) + timedelta(seconds=offset.value)

    asyncio.run(run_polling(load_settings(_env_file=None, **settings), clock=clock))


def _start_bot(settings: Settings, offset: Any) -> multiprocessing.process.BaseProcess:
    values = {
        k: (v.get_secret_value() if hasattr(v, "get_secret_value") else v) for k, v in settings.model_dump().items()
    }
    process = multiprocessing.get_context("spawn").Process(target=_bot_main, args=(values, offset), daemon=True)
    process.start()
    return process


async def _until_polling(emulator: BotAPIEmulator, process: multiprocessing.process.BaseProcess) -> None:
    deadline = time.monotonic() + 60
    while not emulator.updates.polls:
        if not process.is_alive():
            raise RuntimeError("the bot process stopped before it polled (see its output above)")
        if time.monotonic() > deadline:
            raise RuntimeError("the bot process did not start polling within 60 s")
        await asyncio.sleep(0.05)


async def _invite(
    officer: FakeUser, delegations: Sequence[Delegation], progress: Progress, task: Any
) -> dict[str, str]:
    """The admin asks the bot for one invitation link per delegation (category: delegate)."""
    links: dict[str, str] = {}
    for d in delegations:
        await officer.send(f"/invite {d.code} delegate")
        reply = await officer.expect("start=inv_", timeout=60)
        links[d.code] = (reply.text or "").split("start=inv_", 1)[1].split()[0]
        progress.advance(task)
    return links


async def _taken(factory: async_sessionmaker[AsyncSession], conference_id: int) -> dict[int, int]:
    """Seats already used per delegation (people from the programme file)."""
    async with unit_of_work(factory) as session:
        return await quota.seats_taken(session, conference_id=conference_id)


async def _pending(factory: async_sessionmaker[AsyncSession], conference_id: int) -> int:
    async with unit_of_work(factory) as session:
        return await demo_queries.pending_count(session, conference_id)


async def _approve_all(
    officer: FakeUser,
    signed_up: asyncio.Event,
    factory: async_sessionmaker[AsyncSession],
    conference_id: int,
    progress: Progress,
    task: Any,
) -> int:
    """The officer works the cards while people register (as at a real accreditation desk):
    Approve on each new card, until everyone has signed up and nothing waits any more.
    They tap through the cards on screen without waiting for each one to update, then
    check that every one did (the bot handles one account's presses in order)."""
    approve = translator("ru")("btn-approve")
    done: set[int] = set()
    seen = 0  # officer.messages grows only at the end
    while True:
        messages = officer.messages
        cards = [m for m in messages[seen:] if approve in m.buttons]
        seen = len(messages)
        for card in cards:
            await officer.press(approve, message=card)
        for card in cards:
            await officer.edited(timeout=60, message=card)
            done.add(card.message_id)
            progress.advance(task)
        if not cards:
            if signed_up.is_set() and not await _pending(factory, conference_id):
                return len(done)
            await asyncio.sleep(0.05)


async def _print(
    factory: async_sessionmaker[AsyncSession], conf: Conference, settings: Any, out: Path, step: Callable[[int], None]
) -> int:
    async with unit_of_work(factory) as session:
        secret, _ = await app_settings.ensure_badge_secret(session, settings)
        info = await badges.conference_info(session, conf.slug)
        report = await print_badges(
            session, out, info, secret=secret, bot_username=settings.bot_username, layout="a4x4", progress=step
        )
    return int(report.badges)


async def _tokens(
    factory: async_sessionmaker[AsyncSession], settings: Any, conference_id: int, people: list[Person]
) -> dict[int, str]:
    async with unit_of_work(factory) as session:
        secret, _ = await app_settings.ensure_badge_secret(session, settings)
        codes = await demo_queries.badge_codes(session, conference_id, secret)
    tokens: dict[int, str] = {}
    for p in people:
        code = codes.get(p.user.id)
        if code is None:  # the wizard refused them (no seat left, say)
            continue
        p.registration_id, p.category = code.registration_id, code.category
        tokens[p.user.id] = code.token
    return tokens


async def _doors(emulator: BotAPIEmulator, items: Sequence[AgendaItem]) -> list[FakeUser]:
    """Two doors at the entrance; the third stands at the high-level session's hall."""
    doors = [emulator.user(id=d, first_name="Door", language_code="en") for d in DOORS]
    hall, high_level = doors[2], next(i for i in items if i.kind == AgendaKind.HIGH_LEVEL)
    await hall.send("/gate")
    await hall.reply()
    await hall.press(pick(high_level.title, "en")[:30])
    await hall.answered()
    return doors


async def _scan(
    doors: list[FakeUser],
    rnd: random.Random,
    people: list[Person],
    tokens: dict[int, str],
    items: Sequence[AgendaItem],
    share: float,
    progress: Progress,
    task: Any,
) -> None:
    """One morning: `share` of the people come in at the two entrance doors (a few badges
    twice, one forged code), most of those allowed go on to the high-level session."""
    entrance = [p for p in people if p.user.id in tokens and rnd.random() < share]
    high_level = next(i for i in items if i.kind == AgendaKind.HIGH_LEVEL)
    allowed = high_level.allowed_categories
    admitted = [p for p in entrance if p.category.value in (allowed or [p.category.value]) and rnd.random() < 0.7]
    hall = doors[2]
    codes: dict[FakeUser, list[str]] = {doors[0]: [], doors[1]: [], hall: []}
    for n, p in enumerate(entrance):
        codes[doors[n % 2]].append(f"b_{tokens[p.user.id]}")
    codes[doors[0]] += [f"b_{tokens[p.user.id]}" for p in rnd.sample(entrance, min(12, len(entrance)))]  # again
    forged = tokens[entrance[0].user.id]
    codes[doors[1]].append("b_" + forged[:-4] + ("AAAA" if not forged.endswith("AAAA") else "BBBB"))
    codes[hall] += [f"b_{tokens[p.user.id]}" for p in admitted]
    progress.update(task, total=sum(len(c) for c in codes.values()))
    # Nobody reaches the hall before passing an entrance door: the hall's door waits for each
    # of its people to be scanned in first (with a small crowd it would otherwise overtake
    # the entrance queues, and their entrance scans would show as duplicates).
    passed = {code: asyncio.Event() for code in codes[hall]}

    async def door_shift(door: FakeUser) -> None:
        for payload in codes[door]:
            if door is hall:
                await passed[payload].wait()
            await door.start(payload)
            await door.reply()
            if door is not hall and payload in passed:
                passed[payload].set()
            progress.advance(task)

    await asyncio.gather(*(door_shift(d) for d in codes))

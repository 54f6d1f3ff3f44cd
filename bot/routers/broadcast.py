"""/broadcast (admins): compose, choose the audience, preview, confirm; then progress.

Sending is the outbox's job (core.messaging.broadcasts queues one row per recipient; the
sender in bot/sender.py keeps to Telegram's limits, retries after 429 and marks people who
blocked the bot). Here: the conversation, the renderers of the two outbox kinds, and a
watcher per broadcast that edits the organiser's progress message at most every
PROGRESS_EVERY seconds (only when the numbers changed) and, once nothing is pending, shows
"finished" and then finishes the broadcast (the delivery report then goes out through the
outbox, so the organiser sees the finish, then the report). Watchers are resumed when the
bot starts, so a restart mid-way still ends with a report. What the message shows is kept
with the broadcast (`broadcasts.show`, compare-and-set): a watcher never edits it to the
text it already has, after a restart or beside a watcher of another process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot, Dispatcher, Router
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import AudienceCB, BroadcastConfirmCB
from bot.context import Ctx
from bot.filters import has_text, no_text
from bot.i18n import Html, Translator, join, translator
from bot.keyboards import organiser as kb
from bot.middlewares.preconditions import needs
from bot.sender import Rendered, register_renderer
from bot.states import BroadcastDraft, Broadcasting, load, save
from core.clock import Clock, utc_now
from core.messaging import broadcasts
from core.messaging.broadcasts import Audience, AudienceKind
from core.messaging.outbox import Claimed
from core.models import Category, Conference, StaffRoleName
from core.reporting import reports
from core.text import visible
from core.uow import unit_of_work

log = logging.getLogger("confdesk.broadcast")
ADMIN = needs(StaffRoleName.ADMIN)
PROGRESS_EVERY = 3.0  # seconds between edits of a progress message (Telegram tolerates ~20/min per chat)
PICK_PAGE = 8
# A watcher that sees "finished" set by another one leaves finishing to it; after this long
# (the other one died between the edit and the report) it finishes the broadcast itself.
FINISH_GRACE = 30.0


# -- the outbox renderers ----------------------------------------------------------------------


async def render_broadcast(session: AsyncSession, message: Claimed, language: str) -> Rendered | None:
    if not await broadcasts.reachable(session, message.chat_id):
        return None  # blocked the bot or was forgotten since the broadcast was queued
    text = str(message.payload.get("text") or "")
    return Rendered(text) if text else None


async def render_report(session: AsyncSession, message: Claimed, language: str) -> Rendered | None:
    p = message.payload
    t = translator(language)
    return Rendered(
        t(
            "bc-report",
            id=int(p["broadcast_id"]),
            sent=int(p["sent"]),
            total=int(p["total"]),  # type: ignore[call-overload]
            failed=int(p["failed"]),
            blocked=int(p["blocked"]),
        )
    )  # type: ignore[call-overload]


register_renderer(broadcasts.KIND, render_broadcast)
register_renderer(broadcasts.REPORT_KIND, render_report)


# -- watching progress -------------------------------------------------------------------------


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _progress_text(t: Translator, p: broadcasts.Progress) -> str:
    key = "bc-done" if p.done else "bc-progress"
    return t(key, id=p.broadcast_id, sent=p.sent, total=p.total, failed=p.failed, blocked=p.blocked)


class Watchers:
    """One task per unfinished broadcast, for one running bot."""

    def __init__(self, bot: Bot, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.bot = bot
        self.session_factory = session_factory
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.shown_here: dict[int, str] = {}  # the text this process last showed, per broadcast

    def watch(self, info: broadcasts.BroadcastInfo) -> None:
        running = self.tasks.get(info.broadcast_id)
        if running is None or running.done():
            self.tasks[info.broadcast_id] = asyncio.create_task(self._run(info), name=f"broadcast-{info.broadcast_id}")

    async def resume(self) -> None:
        async with unit_of_work(self.session_factory) as session:
            for info in await broadcasts.unfinished(session):
                self.watch(info)

    async def close(self) -> None:
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.tasks.clear()

    async def _run(self, info: broadcasts.BroadcastInfo) -> None:
        t = translator(info.language)
        while True:
            try:
                if await self._step(info, t):
                    return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("watching broadcast %s", info.broadcast_id)
            await asyncio.sleep(PROGRESS_EVERY)

    async def _step(self, info: broadcasts.BroadcastInfo, t: Translator) -> bool:
        """Bring the progress message up to date; True once the broadcast is finished."""
        async with unit_of_work(self.session_factory) as session:
            p = await broadcasts.progress(session, info.broadcast_id)
            now = await broadcasts.get(session, info.broadcast_id)
        if now.finished:
            return True
        text = _progress_text(t, p)
        if text != now.shown:
            async with unit_of_work(self.session_factory) as session:
                if not await broadcasts.show(session, info.broadcast_id, old=now.shown, new=text):
                    return False  # another watcher changed it meanwhile: look again next time
            shown = False
            try:
                shown = await self._show(info, text)
            finally:
                if not shown and not _cancelling():
                    async with unit_of_work(self.session_factory) as session:  # not shown: try again next time
                        await broadcasts.show(session, info.broadcast_id, old=text, new=now.shown)
            if not shown:
                return False
            self.shown_here[info.broadcast_id] = text
        if not p.done:
            return False
        shown_at = now.shown_at or utc_now()
        if self.shown_here.get(info.broadcast_id) != text and (utc_now() - shown_at).total_seconds() < FINISH_GRACE:
            return False  # the watcher that showed "finished" queues the report
        async with unit_of_work(self.session_factory) as session:
            await broadcasts.finish(session, info.broadcast_id)
        return True

    async def _show(self, info: broadcasts.BroadcastInfo, text: str) -> bool:
        """Edit the progress message; False if it could not be done now."""
        if info.report_chat_id is None or info.progress_message_id is None:
            return True
        for _ in range(3):
            try:
                await self.bot.edit_message_text(
                    text=text, chat_id=info.report_chat_id, message_id=info.progress_message_id
                )
                return True
            except TelegramRetryAfter as exc:
                await asyncio.sleep(exc.retry_after)
            except TelegramBadRequest:  # the organiser deleted it (or it shows this text already)
                return True
        return False


async def on_startup(dispatcher: Dispatcher, bot: Bot) -> None:
    factory: async_sessionmaker[AsyncSession] | None = dispatcher.workflow_data.get("session_factory")
    if factory is None:
        return
    watchers = Watchers(bot, factory)
    dispatcher["broadcast_watchers"] = watchers
    await watchers.resume()


async def on_shutdown(dispatcher: Dispatcher) -> None:
    watchers = dispatcher.workflow_data.pop("broadcast_watchers", None)
    if isinstance(watchers, Watchers):
        await watchers.close()


# -- the conversation --------------------------------------------------------------------------


async def begin(message: Message, state: FSMContext, ctx: Ctx) -> None:
    await state.set_state(Broadcasting.text)
    await save(state, BroadcastDraft(), key="broadcast")
    await message.answer(ctx.t("bc-ask-text"))


async def got_text(message: Message, state: FSMContext, ctx: Ctx) -> None:
    # The admin's own formatting, as HTML aiogram rebuilt from the entities; invisible and
    # bidi control characters would reach every recipient, so they go.
    text = visible(message.html_text, newlines=True).strip()
    if len(text) > broadcasts.MAX_TEXT:
        await message.answer(ctx.t("bc-text-too-long", max=broadcasts.MAX_TEXT))
        return
    await save(state, BroadcastDraft(text=text), key="broadcast")
    await state.set_state(Broadcasting.audience)
    await message.answer(ctx.t("bc-choose-audience"), reply_markup=kb.audiences(ctx.t))


async def not_text(message: Message, ctx: Ctx) -> None:
    await message.answer(ctx.t("bc-text-only"))


async def _picker(
    t: Translator, session: AsyncSession, conference: Conference, kind: str, page: int, clock: Clock
) -> tuple[str, list[tuple[str, str]], int]:
    if kind == "delegation":
        report = await reports.by_delegation(session, conference, clock=clock)
        choices = sorted(
            ((str(d.delegation_id), f"{d.label(t.language)} ({d.accredited})") for d in report.with_members),
            key=lambda c: c[1].casefold(),
        )
        prompt = t("bc-choose-delegation")
    elif kind == "category":
        s = await reports.stats(session, conference, clock=clock)
        choices = [(c.category, f"{t(f'category-{c.category}')} ({c.approved})") for c in s.by_category if c.approved]
        prompt = t("bc-choose-category")
    else:
        items = await reports.by_item(session, conference)
        zone = reports.zone(conference)
        choices = [
            (str(i.item_id), f"{t.moment(i.starts_at, zone)} {i.label(t.language)} ({i.signed_up})")
            for i in items
            if i.signed_up
        ]
        prompt = t("bc-choose-item")
    pages = max(1, -(-len(choices) // PICK_PAGE))
    page = min(max(page, 0), pages - 1)
    return prompt, choices[page * PICK_PAGE : (page + 1) * PICK_PAGE], pages


async def _label(t: Translator, session: AsyncSession, conference: Conference, audience: Audience) -> Html:
    if audience.kind is AudienceKind.DELEGATION:
        report = await reports.by_delegation(session, conference)
        names = [d.label(t.language) for d in report.lines if str(d.delegation_id) == audience.value]
        return t("bc-label-delegation", name=names[0] if names else "?")
    if audience.kind is AudienceKind.CATEGORY:
        return t("bc-label-category", category=t(f"category-{Category(audience.value or '').value}"))
    if audience.kind is AudienceKind.ITEM:
        titles = [
            i.label(t.language) for i in await reports.by_item(session, conference) if str(i.item_id) == audience.value
        ]
        return t("bc-label-item", title=titles[0] if titles else "?")
    if audience.kind is AudienceKind.INSIDE:
        return t("bc-label-inside")
    return t("bc-label-approved")


async def chose(
    query: CallbackQuery,
    callback_data: AudienceCB,
    state: FSMContext,
    ctx: Ctx,
    session: AsyncSession,
    conference: Conference,
    clock: Clock = utc_now,
) -> None:
    message = query.message
    assert isinstance(message, Message)
    if not callback_data.value:
        prompt, choices, pages = await _picker(
            ctx.t, session, conference, callback_data.kind, callback_data.page, clock
        )
        await message.edit_text(
            prompt, reply_markup=kb.audience_values(ctx.t, callback_data.kind, choices, callback_data.page, pages)
        )
        await query.answer()
        return
    audience = Audience(
        AudienceKind(callback_data.kind), None if callback_data.kind in ("approved", "inside") else callback_data.value
    )
    count = await broadcasts.audience_size(session, conference, audience, clock=clock)
    label = await _label(ctx.t, session, conference, audience)
    await session.commit()
    if not count:
        await message.edit_text(ctx.t("bc-nobody", audience=label), reply_markup=kb.audiences(ctx.t))
        await query.answer()
        return
    draft = await load(state, BroadcastDraft, key="broadcast")
    draft.kind, draft.value = audience.kind.value, audience.value
    await save(state, draft, key="broadcast")
    await state.set_state(Broadcasting.confirm)
    await message.edit_text(
        join([ctx.t("bc-preview", audience=label, count=count), Html(draft.text)], "\n\n"),
        reply_markup=kb.confirm(ctx.t, count),
    )
    await query.answer()


async def confirmed(
    query: CallbackQuery,
    callback_data: BroadcastConfirmCB,
    state: FSMContext,
    ctx: Ctx,
    session: AsyncSession,
    conference: Conference,
    broadcast_watchers: Watchers | None = None,
    clock: Clock = utc_now,
) -> None:
    message = query.message
    assert isinstance(message, Message)
    draft = await load(state, BroadcastDraft, key="broadcast")
    await state.clear()
    await message.edit_reply_markup(reply_markup=None)
    await query.answer()
    if not callback_data.send or not draft.kind or not draft.text:
        await message.answer(ctx.t("bc-cancelled"))
        return
    audience = Audience(AudienceKind(draft.kind), draft.value)
    count = await broadcasts.audience_size(session, conference, audience, clock=clock)
    progress = await message.answer(ctx.t("bc-queued", count=count))
    started = await broadcasts.start(
        session,
        conference,
        audience,
        text=draft.text,
        actor_telegram_id=ctx.telegram_id,
        report_chat_id=message.chat.id,
        progress_message_id=progress.message_id,
        language=ctx.language,
        clock=clock,
    )
    if broadcast_watchers is not None:
        broadcast_watchers.watch(await broadcasts.get(session, started.broadcast_id))


def build() -> Router:
    router = Router(name="broadcast")
    router.startup.register(on_startup)
    router.shutdown.register(on_shutdown)
    router.message.register(begin, Command("broadcast"), flags=ADMIN)
    router.message.register(got_text, StateFilter(Broadcasting.text), has_text, flags=ADMIN)
    router.message.register(not_text, StateFilter(Broadcasting.text), no_text, flags=ADMIN)
    router.callback_query.register(chose, AudienceCB.filter(), flags=ADMIN)
    router.callback_query.register(confirmed, BroadcastConfirmCB.filter(), flags=ADMIN)
    return router

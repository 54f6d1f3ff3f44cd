"""/broadcast (admins): compose, choose the audience, preview, confirm.

Sending is the outbox's job (core.messaging.broadcasts queues one row per recipient; the
sender in bot/sender.py keeps to Telegram's limits, retries after 429 and marks people who
blocked the bot, with the texts of bot/outbox_texts.py); the progress message is kept up to
date by bot/broadcast_progress.py, which this conversation hands each new broadcast to."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.broadcast_progress import Watchers
from bot.callbacks import AudienceCB, BroadcastConfirmCB
from bot.context import Ctx
from bot.filters import has_text, no_text
from bot.i18n import Html, Translator
from bot.keyboards import organiser as kb
from bot.middlewares.preconditions import needs
from bot.paging import page_of
from bot.states import BroadcastDraft, Broadcasting, load, save
from bot.texts import broadcast as texts
from core import reporting
from core.clock import Clock, utc_now
from core.messaging import broadcasts
from core.messaging.broadcasts import Audience, AudienceKind
from core.models import Conference, StaffRoleName
from core.text import visible

ADMIN = needs(StaffRoleName.ADMIN)
PICK_PAGE = 8


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


async def kind_chosen(
    query: CallbackQuery,
    callback_data: AudienceCB,
    ctx: Ctx,
    session: AsyncSession,
    conference: Conference,
    clock: Clock = utc_now,
) -> None:
    """A kind of audience that needs a value (a delegation, a category, an item): its picker."""
    kind = callback_data.kind
    prompt, choices = await _choices(ctx.t, session, conference, kind, clock)
    shown, page, pages = page_of(choices, callback_data.page, PICK_PAGE)
    markup = kb.audience_values(ctx.t, kind, list(shown), page, pages)
    await query.message.edit_text(prompt, reply_markup=markup)  # type: ignore[union-attr]
    await query.answer()


async def audience_chosen(
    query: CallbackQuery,
    callback_data: AudienceCB,
    state: FSMContext,
    ctx: Ctx,
    session: AsyncSession,
    conference: Conference,
    clock: Clock = utc_now,
) -> None:
    """The audience is known: how many it reaches, and the preview to confirm."""
    message: Message = query.message  # type: ignore[assignment]
    kind = AudienceKind(callback_data.kind)
    audience = Audience(kind, None if kind in (AudienceKind.APPROVED, AudienceKind.INSIDE) else callback_data.value)
    count = await broadcasts.audience_size(session, conference, audience, clock=clock)
    label = texts.audience_label(ctx.t, audience, await _names(ctx.t, session, conference, audience))
    if not count:
        await message.edit_text(ctx.t("bc-nobody", audience=label), reply_markup=kb.audiences(ctx.t))
        await query.answer()
        return
    draft = await load(state, BroadcastDraft, key="broadcast")
    draft.kind, draft.value = audience.kind.value, audience.value
    await save(state, draft, key="broadcast")
    await state.set_state(Broadcasting.confirm)
    await message.edit_text(texts.preview_text(ctx.t, label, count, draft.text), reply_markup=kb.confirm(ctx.t, count))
    await query.answer()


async def _choices(
    t: Translator, session: AsyncSession, conference: Conference, kind: str, clock: Clock
) -> tuple[Html, texts.Choices]:
    if kind == "delegation":
        report = await reporting.by_delegation(session, conference, clock=clock)
        return t("bc-choose-delegation"), texts.delegation_choices(t, report)
    if kind == "category":
        stats = await reporting.stats(session, conference, clock=clock)
        return t("bc-choose-category"), texts.category_choices(t, stats)
    items = await reporting.by_item(session, conference, clock=clock)
    return t("bc-choose-item"), texts.item_choices(t, items, reporting.zone(conference))


async def _names(t: Translator, session: AsyncSession, conference: Conference, audience: Audience) -> dict[str, str]:
    """The names an audience's label may need: delegations' or items', by id."""
    if audience.kind is AudienceKind.DELEGATION:
        report = await reporting.by_delegation(session, conference)
        return {str(d.delegation_id): d.label(t.language) for d in report.lines}
    if audience.kind is AudienceKind.ITEM:
        return {str(i.item_id): i.label(t.language) for i in await reporting.by_item(session, conference)}
    return {}


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
    message: Message = query.message  # type: ignore[assignment]
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
    router.message.register(begin, Command("broadcast"), flags=ADMIN)
    router.message.register(got_text, StateFilter(Broadcasting.text), has_text, flags=ADMIN)
    router.message.register(not_text, StateFilter(Broadcasting.text), no_text, flags=ADMIN)
    router.callback_query.register(kind_chosen, AudienceCB.filter(F.value == ""), flags=ADMIN)
    router.callback_query.register(audience_chosen, AudienceCB.filter(), flags=ADMIN)
    router.callback_query.register(confirmed, BroadcastConfirmCB.filter(), flags=ADMIN)
    return router

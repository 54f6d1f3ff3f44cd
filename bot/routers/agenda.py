"""/agenda (the programme by day, item cards, sign-up and waiting list) and /my (the personal
programme and its .ics file). What the messages say: bot/texts/agenda.py; the reminders,
promotions and change notices go out through the outbox (bot/outbox_texts.py)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import AgendaActCB, AgendaDayCB, AgendaItemCB
from bot.context import Ctx
from bot.i18n import Html, plain
from bot.keyboards import agenda as kb
from bot.middlewares.errors import render_error
from bot.middlewares.preconditions import needs
from bot.texts import agenda as texts
from core.errors import DomainError
from core.models import Conference, SignupStatus
from core.programme import signups, views
from core.programme.calendar import build_calendar


async def _edit(message: Message, text: Html, markup: InlineKeyboardMarkup | None) -> None:
    """Edit in place; pressing a button that changes nothing is not an error."""
    try:
        await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:
        if "not modified" not in exc.message:
            raise


# -- /agenda and its buttons -------------------------------------------------------------------


async def show_agenda(message: Message, ctx: Ctx, session: AsyncSession, conference: Conference) -> None:
    view = await views.day_view(session, conference, None, telegram_id=ctx.telegram_id)
    if not view.items:
        await message.answer(ctx.t("agenda-empty"))
        return
    text, markup = texts.day_message(ctx.t, conference, view, 0)
    await message.answer(text, reply_markup=markup)


async def day_pressed(
    query: CallbackQuery, callback_data: AgendaDayCB, ctx: Ctx, session: AsyncSession, conference: Conference
) -> None:
    day = datetime.strptime(callback_data.day, "%Y%m%d").date()
    view = await views.day_view(session, conference, day, telegram_id=ctx.telegram_id)
    text, markup = texts.day_message(ctx.t, conference, view, callback_data.page)
    await query.answer()
    await _edit(query.message, text, markup)  # type: ignore[arg-type]


async def item_pressed(
    query: CallbackQuery, callback_data: AgendaItemCB, ctx: Ctx, session: AsyncSession, conference: Conference
) -> None:
    await _show_card(query, ctx, session, conference, callback_data.id, callback_data.page)
    await query.answer()


async def _show_card(
    query: CallbackQuery, ctx: Ctx, session: AsyncSession, conference: Conference, item_id: int, page: int
) -> None:
    view = await views.item_view(session, conference.id or 0, item_id, telegram_id=ctx.telegram_id)
    day = views.local_day(view.item, ZoneInfo(conference.timezone))
    text = texts.card_text(ctx.t, conference, view)
    await _edit(query.message, text, kb.card(ctx.t, view, day=day, page=page))  # type: ignore[arg-type]


async def act_pressed(
    query: CallbackQuery,
    callback_data: AgendaActCB,
    ctx: Ctx,
    session: AsyncSession,
    conference: Conference,
    conference_id: int,
) -> None:
    """A card's button (and "give the seat back" under a promotion message). Whatever core
    answers, the card is shown again as it is now, so it never offers what was just refused;
    an overlap with items already chosen is asked about before anything is booked. A refusal
    or an overlap changes nothing (core checks before it writes)."""
    cb = callback_data
    try:
        result = await _act(session, conference_id, ctx.telegram_id, cb)
    except signups.Clash as clash:
        await query.answer()
        view = await views.item_view(session, conference_id, cb.id, telegram_id=ctx.telegram_id)
        text = texts.card_with_clash(ctx.t, conference, view, clash.clashes, waitlist=cb.action == "wait")
        await _edit(query.message, text, kb.clash(ctx.t, cb))  # type: ignore[arg-type]
    except DomainError as exc:
        if cb.action == "give":  # not a card: the error middleware answers
            raise
        await query.answer(plain(render_error(ctx.t, exc))[:200], show_alert=True)
        await _show_card(query, ctx, session, conference, cb.id, cb.page)
    else:
        await _acted(query, ctx, session, conference, cb, result)


async def _act(session: AsyncSession, conference_id: int, telegram_id: int, cb: AgendaActCB) -> signups.SignupResult:
    if cb.action in ("out", "give"):
        return await signups.cancel_as(session, conference_id, telegram_id, cb.id)
    return await signups.sign_up_as(
        session, conference_id, telegram_id, cb.id, waitlist=cb.action == "wait", clashes_ok=cb.anyway
    )


async def _acted(
    query: CallbackQuery,
    ctx: Ctx,
    session: AsyncSession,
    conference: Conference,
    cb: AgendaActCB,
    result: signups.SignupResult,
) -> None:
    t = ctx.t
    if cb.action == "give":
        await query.answer(t.plain("agenda-left"))
        await _edit(query.message, texts.gave_back_text(t, result.item), None)  # type: ignore[arg-type]
        return
    if cb.action == "out":
        await query.answer(t.plain("agenda-left"))
    elif result.signup.status == SignupStatus.WAITLISTED:
        await query.answer(t.plain("agenda-waitlisted", position=result.position or 0), show_alert=True)
    else:
        await query.answer(t.plain("agenda-signed-up"))
    await _show_card(query, ctx, session, conference, cb.id, cb.page)


# -- /my -----------------------------------------------------------------------------------------


async def my_programme(
    message: Message, ctx: Ctx, session: AsyncSession, conference: Conference, conference_id: int
) -> None:
    t = ctx.t
    mine = await views.my_agenda(session, conference_id, ctx.telegram_id)
    if not mine:
        await message.answer(t("my-empty"))
        return
    await message.answer(texts.my_text(t, conference, mine))
    ics = build_calendar(conference, mine, t.language, notes=texts.calendar_notes(t, mine))
    await message.answer_document(
        BufferedInputFile(ics, filename=f"{conference.slug}-my-programme.ics"), caption=t("my-ics-caption")
    )


def build() -> Router:
    router = Router(name="agenda")
    router.message.register(show_agenda, Command("agenda"), flags=needs())
    router.message.register(my_programme, Command("my"), flags=needs())
    router.callback_query.register(day_pressed, AgendaDayCB.filter(), flags=needs())
    router.callback_query.register(item_pressed, AgendaItemCB.filter(), flags=needs())
    router.callback_query.register(act_pressed, AgendaActCB.filter(), flags=needs())
    return router

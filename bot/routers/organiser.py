"""Organisers: /stats, /attendance (inline drill-down), /find and `@bot name`, charts.
What they show: bot/texts/organiser.py.

Who may do what:
  /stats and the two charts     every staff role: admins, accreditation officers, door staff
                                (the door needs "how many are inside?")
  /attendance, /find, `@bot …`  admins and accreditation officers (names and personal data)
Everyone else gets the usual refusal (inline queries: no results and a hint).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import AttendanceCB, ChartCB, FindCB
from bot.context import Ctx
from bot.i18n import Html, Translator
from bot.keyboards import organiser as kb
from bot.middlewares.preconditions import needs
from bot.texts import organiser as texts
from bot.texts.organiser import Shown, day_code
from core import reporting
from core.clock import Clock, utc_now
from core.models import Conference, StaffRoleName
from core.reporting import charts
from core.text import one_line

OFFICER = needs(StaffRoleName.ACCREDITATION)
ANY_STAFF = needs(StaffRoleName.ACCREDITATION, StaffRoleName.DOOR)  # admins hold both
FOUND_SHOWN = 8
QUERY_LIMIT = 100


def _day(code: int, conference: Conference, clock: Clock) -> date:
    if code:
        return date(code // 10000, code // 100 % 100, code % 100)
    return reporting.report_day(conference, clock)


async def _stats_of_asked_day(
    message: Message, command: CommandObject, ctx: Ctx, session: AsyncSession, conference: Conference, clock: Clock
) -> reporting.Stats | None:
    """The figures of the day the command names (YYYY-MM-DD; none: the report's day), or
    None when it names none readable (the person is told)."""
    arg = (command.args or "").strip()
    try:
        day = date.fromisoformat(arg) if arg else None
    except ValueError:
        await message.answer(ctx.t("stats-bad-day"))
        return None
    return await reporting.stats(session, conference, day=day, clock=clock)


async def _edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup) -> None:
    message = query.message
    if isinstance(message, Message):
        if message.html_text != text or message.reply_markup != markup:
            await message.edit_text(text, reply_markup=markup)
    await query.answer()


# -- /stats, /attendance ---------------------------------------------------------------------


async def stats(
    message: Message,
    command: CommandObject,
    ctx: Ctx,
    session: AsyncSession,
    conference: Conference,
    clock: Clock = utc_now,
) -> None:
    s = await _stats_of_asked_day(message, command, ctx, session, conference, clock)
    if s is not None:
        markup = kb.stats(ctx.t, day_code(s.day), attendance=ctx.has(StaffRoleName.ACCREDITATION))
        await message.answer(texts.stats_text(ctx.t, s, conference), reply_markup=markup)


async def attendance(
    message: Message,
    command: CommandObject,
    ctx: Ctx,
    session: AsyncSession,
    conference: Conference,
    clock: Clock = utc_now,
) -> None:
    s = await _stats_of_asked_day(message, command, ctx, session, conference, clock)
    if s is not None:
        text, markup = texts.attendance_menu(ctx.t, s, day_code(s.day))
        await message.answer(text, reply_markup=markup)


async def attendance_view(
    query: CallbackQuery,
    callback_data: AttendanceCB,
    ctx: Ctx,
    session: AsyncSession,
    conference: Conference,
    clock: Clock = utc_now,
) -> None:
    day = _day(callback_data.day, conference, clock)
    view = VIEWS[callback_data.view]
    text, markup = await view(ctx.t, session, conference, day, callback_data, clock)
    await _edit(query, text, markup)


# /attendance's views: the figures each one shows, read for the day the buttons carry.
View = Callable[[Translator, AsyncSession, Conference, date, AttendanceCB, Clock], Awaitable[Shown]]


async def _menu(
    t: Translator, session: AsyncSession, conference: Conference, day: date, cb: AttendanceCB, clock: Clock
) -> Shown:
    return texts.attendance_menu(t, await reporting.stats(session, conference, day=day, clock=clock), cb.day)


async def _delegations(
    t: Translator, session: AsyncSession, conference: Conference, day: date, cb: AttendanceCB, clock: Clock
) -> Shown:
    report = await reporting.by_delegation(session, conference, day=day, clock=clock)
    return texts.delegations_view(t, report, cb.day, cb.page)


async def _delegation(
    t: Translator, session: AsyncSession, conference: Conference, day: date, cb: AttendanceCB, clock: Clock
) -> Shown:
    report = await reporting.by_delegation(session, conference, day=day, clock=clock)
    return texts.delegation_view(t, report, cb.id, cb.day)


async def _items(
    t: Translator, session: AsyncSession, conference: Conference, day: date, cb: AttendanceCB, clock: Clock
) -> Shown:
    return texts.items_view(t, await reporting.by_item(session, conference, clock=clock), conference, cb.day, cb.page)


async def _item(
    t: Translator, session: AsyncSession, conference: Conference, day: date, cb: AttendanceCB, clock: Clock
) -> Shown:
    line, absent = await reporting.no_shows(session, conference, cb.id, limit=30, clock=clock)
    return texts.item_view(t, line, absent, conference, cb.day)


async def _days(
    t: Translator, session: AsyncSession, conference: Conference, day: date, cb: AttendanceCB, clock: Clock
) -> Shown:
    return texts.days_view(t, await reporting.by_day(session, conference, clock=clock), cb.day)


VIEWS: dict[str, View] = {"menu": _menu, "dl": _delegations, "d": _delegation, "il": _items, "i": _item, "days": _days}


# -- charts ------------------------------------------------------------------------------------


async def chart(
    query: CallbackQuery,
    callback_data: ChartCB,
    ctx: Ctx,
    session: AsyncSession,
    conference: Conference,
    clock: Clock = utc_now,
) -> None:
    day = _day(callback_data.day, conference, clock)
    await query.answer()
    draw = _hours_chart if callback_data.kind == "hours" else _delegations_chart
    png, caption, name = await draw(ctx.t, session, conference, day, clock)
    if isinstance(query.message, Message):
        await query.message.answer_photo(BufferedInputFile(png, filename=name), caption=caption)


async def _hours_chart(
    t: Translator, session: AsyncSession, conference: Conference, day: date, clock: Clock
) -> tuple[bytes, Html, str]:
    """Check-ins per hour of `day`: the picture, its caption, its file name."""
    hours = await reporting.checkins_per_hour(session, conference, day=day, clock=clock)
    png = await asyncio.to_thread(
        charts.checkins_per_hour,
        hours,
        title=t.plain("chart-hours-title", day=day.isoformat()),
        xlabel=t.plain("chart-hours-x", tz=conference.timezone),
        ylabel=t.plain("chart-hours-y"),
    )
    caption = t("chart-hours-caption", day=day.isoformat(), total=sum(h.entries for h in hours))
    return png, caption, f"checkins-{day.isoformat()}.png"


async def _delegations_chart(
    t: Translator, session: AsyncSession, conference: Conference, day: date, clock: Clock
) -> tuple[bytes, Html, str]:
    """Delegations present on `day`: the picture, its caption, its file name."""
    report = await reporting.by_delegation(session, conference, day=day, clock=clock)
    png = await asyncio.to_thread(
        charts.presence_by_delegation,
        report.lines,
        language=t.language,
        title=t.plain("chart-deleg-title", day=day.isoformat()),
        present_label=t.plain("chart-present"),
        accredited_label=t.plain("chart-accredited"),
        inside_label=t.plain("chart-inside"),
    )
    return png, t("chart-deleg-caption", day=day.isoformat()), f"delegations-{day.isoformat()}.png"


# -- /find and inline search -------------------------------------------------------------------


async def find(
    message: Message, command: CommandObject, ctx: Ctx, session: AsyncSession, conference: Conference
) -> None:
    query = one_line(command.args or "", QUERY_LIMIT)
    if not query:
        await message.answer(ctx.t("find-usage", bot=ctx.settings.bot_username or "bot"))
        return
    hits, total = await reporting.find(session, conference.id or 0, query, limit=FOUND_SHOWN)
    if not hits:
        await message.answer(ctx.t("find-none", query=query))
    elif total == 1:
        card = await reporting.registration_card(session, conference.id or 0, hits[0].registration_id)
        await message.answer(texts.person_card(ctx.t, card, conference))
    else:
        buttons = kb.find_results([(h.registration_id, texts.hit_label(ctx.t, h)) for h in hits])
        await message.answer(texts.found_text(ctx.t, query, len(hits), total), reply_markup=buttons)


async def found(
    query: CallbackQuery, callback_data: FindCB, ctx: Ctx, session: AsyncSession, conference: Conference
) -> None:
    card = await reporting.registration_card(session, conference.id or 0, callback_data.id)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(texts.person_card(ctx.t, card, conference))


async def inline_find(inline_query: InlineQuery, ctx: Ctx, session: AsyncSession) -> None:
    """`@bot name`: officers (and admins) get a result per person found, with their card;
    anyone else one result saying they may not (not the usual refusal: an inline query has
    no chat to answer in)."""
    if ctx.conference is None or not (ctx.has(StaffRoleName.ACCREDITATION)):
        article = InlineQueryResultArticle(
            id="denied",
            title=ctx.t.plain("inline-not-allowed"),
            input_message_content=InputTextMessageContent(message_text=ctx.t("inline-not-allowed")),
        )
        await inline_query.answer([article], cache_time=0, is_personal=True)
        return
    text = one_line(inline_query.query, QUERY_LIMIT)
    results = await _inline_results(ctx.t, session, ctx.conference, text) if len(text) >= 2 else []
    await inline_query.answer(results, cache_time=0, is_personal=True)  # type: ignore[arg-type]


async def _inline_results(
    t: Translator, session: AsyncSession, conference: Conference, text: str
) -> list[InlineQueryResultArticle]:
    hits, _ = await reporting.find(session, conference.id or 0, text, limit=FOUND_SHOWN)
    results = []
    for h in hits:
        card = await reporting.registration_card(session, conference.id or 0, h.registration_id, scans=3)
        results.append(
            InlineQueryResultArticle(
                id=str(h.registration_id),
                title=h.full_name or t.plain("none"),  # titles and descriptions are plain text
                description=texts.hit_description(t, h),
                input_message_content=InputTextMessageContent(message_text=texts.person_card(t, card, conference)),
            )
        )
    return results


def build() -> Router:
    router = Router(name="organiser")
    router.message.register(stats, Command("stats"), flags=ANY_STAFF)
    router.callback_query.register(chart, ChartCB.filter(), flags=ANY_STAFF)
    router.message.register(attendance, Command("attendance"), flags=OFFICER)
    router.callback_query.register(attendance_view, AttendanceCB.filter(), flags=OFFICER)
    router.message.register(find, Command("find"), flags=OFFICER)
    router.callback_query.register(found, FindCB.filter(), flags=OFFICER)
    router.inline_query.register(inline_find)
    return router

"""Organisers: /stats, /attendance (inline drill-down), /find and `@bot name`, charts.

Who may do what:
  /stats and the two charts     every staff role: admins, accreditation officers, door staff
                                (the door needs "how many are inside?")
  /attendance, /find, `@bot …`  admins and accreditation officers (names and personal data)
Everyone else gets the usual refusal (inline queries: no results and a hint).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineQuery,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import AttendanceCB, ChartCB, FindCB
from bot.context import Ctx
from bot.i18n import Html, Translator, join
from bot.keyboards import organiser as kb
from bot.middlewares.preconditions import needs
from core.clock import Clock, utc_now
from core.models import Conference, StaffRoleName, pick
from core.reporting import charts, reports, search
from core.reporting.search import Card
from core.text import one_line

OFFICER = needs(StaffRoleName.ACCREDITATION)
ANY_STAFF = needs(StaffRoleName.ACCREDITATION, StaffRoleName.DOOR)  # admins hold both
DELEGATIONS_PAGE = 10
ITEMS_PAGE = 8
FOUND_SHOWN = 8
QUERY_LIMIT = 100


# -- small helpers ---------------------------------------------------------------------------


def _day_code(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def _day(code: int, conference: Conference, clock: Clock) -> date:
    if code:
        return date(code // 10000, code // 100 % 100, code % 100)
    return reports.report_day(conference, clock)


def _parse_day(arg: str | None) -> date | None:
    """None for no argument; raises ValueError for a malformed one."""
    return date.fromisoformat(arg.strip()) if arg and arg.strip() else None


def _local(t: Translator, moment: datetime | None, conference: Conference) -> str:
    return t.moment(moment, reports.zone(conference)) if moment else "—"


def _pages(total: int, size: int) -> int:
    return max(1, -(-total // size))


async def _edit(query: CallbackQuery, text: str, markup: Any) -> None:
    message = query.message
    if isinstance(message, Message):
        if message.html_text != text or message.reply_markup != markup:
            await message.edit_text(text, reply_markup=markup)
    await query.answer()


# -- /stats ----------------------------------------------------------------------------------


def render_stats(t: Translator, s: reports.Stats, conference: Conference) -> Html:
    lines = [
        t("stats-title", conference=pick(conference.name, t.language), day=s.day.isoformat(), tz=s.timezone),
        t(
            "stats-body",
            registered=s.registered,
            pending=s.pending,
            approved=s.approved,
            checked=s.checked_in,
            inside=s.inside,
        ),
    ]
    shown = [c for c in s.by_category if c.approved or c.checked_in or c.inside]
    if shown:
        lines.append(Html(""))
        lines.append(t("stats-by-category"))
        lines += [
            t(
                "stats-category-line",
                category=t(f"category-{c.category}"),
                approved=c.approved,
                checked=c.checked_in,
                inside=c.inside,
            )
            for c in shown
        ]
    return join(lines)


async def stats(
    message: Message,
    command: CommandObject,
    ctx: Ctx,
    session: AsyncSession,
    conference: Conference,
    clock: Clock = utc_now,
) -> None:
    try:
        day = _parse_day(command.args)
    except ValueError:
        await message.answer(ctx.t("stats-bad-day"))
        return
    s = await reports.stats(session, conference, day=day, clock=clock)
    await message.answer(
        render_stats(ctx.t, s, conference),
        reply_markup=kb.stats(ctx.t, _day_code(s.day), attendance=ctx.has(StaffRoleName.ACCREDITATION)),
    )


# -- /attendance -----------------------------------------------------------------------------


async def attendance(
    message: Message,
    command: CommandObject,
    ctx: Ctx,
    session: AsyncSession,
    conference: Conference,
    clock: Clock = utc_now,
) -> None:
    try:
        day = _parse_day(command.args)
    except ValueError:
        await message.answer(ctx.t("stats-bad-day"))
        return
    s = await reports.stats(session, conference, day=day, clock=clock)
    await message.answer(
        ctx.t("att-menu", day=s.day.isoformat(), checked=s.checked_in, inside=s.inside),
        reply_markup=kb.attendance_menu(ctx.t, _day_code(s.day)),
    )


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


View = Callable[[Translator, AsyncSession, Conference, date, AttendanceCB, Clock], Awaitable[tuple[str, Any]]]


async def _menu(
    t: Translator, session: AsyncSession, conference: Conference, day: date, cb: AttendanceCB, clock: Clock
) -> tuple[str, Any]:
    s = await reports.stats(session, conference, day=day, clock=clock)
    return t("att-menu", day=day.isoformat(), checked=s.checked_in, inside=s.inside), kb.attendance_menu(t, cb.day)


async def _delegations(
    t: Translator, session: AsyncSession, conference: Conference, day: date, cb: AttendanceCB, clock: Clock
) -> tuple[str, Any]:
    report = await reports.by_delegation(session, conference, day=day, clock=clock)
    lines = [d for d in report.lines if d.accredited or d.present]
    pages = _pages(len(lines), DELEGATIONS_PAGE)
    page = min(max(cb.page, 0), pages - 1)
    chunk = lines[page * DELEGATIONS_PAGE : (page + 1) * DELEGATIONS_PAGE]
    total = len(report.with_members)
    text = [
        t("att-deleg-title", day=day.isoformat()),
        t("att-deleg-headline", present=report.present_high_level, total=total),
        t("att-deleg-today", present=report.present_today, total=total),
        "",
    ]
    text += [
        t(
            "att-deleg-line",
            name=d.label(t.language) if d.delegation_id else t("no-delegation"),
            accredited=d.accredited,
            present=d.present,
            high=d.high_level,
        )
        for d in chunk
    ]
    if pages > 1:
        text.append(t("att-page", page=page + 1, pages=pages))
    if not lines:
        text.append(t("att-none"))
    entries = [(d.delegation_id, d.label(t.language)) for d in chunk if d.delegation_id is not None]
    return join(text), kb.picker_list(t, "dl", cb.day, entries, page, pages, detail="d")


async def _delegation(
    t: Translator, session: AsyncSession, conference: Conference, day: date, cb: AttendanceCB, clock: Clock
) -> tuple[str, Any]:
    report = await reports.by_delegation(session, conference, day=day, clock=clock)
    found = [d for d in report.lines if d.delegation_id == cb.id]
    if not found:
        return t("att-none"), kb.back(t, cb.day, "dl")
    d = found[0]
    text = t(
        "att-deleg-members",
        name=d.label(t.language),
        accredited=d.accredited,
        present=d.present,
        day=day.isoformat(),
        high=d.high_level,
        inside=d.inside,
    )
    return text, kb.back(t, cb.day, "dl")


async def _items(
    t: Translator, session: AsyncSession, conference: Conference, day: date, cb: AttendanceCB, clock: Clock
) -> tuple[str, Any]:
    items = await reports.by_item(session, conference)
    pages = _pages(len(items), ITEMS_PAGE)
    page = min(max(cb.page, 0), pages - 1)
    chunk = items[page * ITEMS_PAGE : (page + 1) * ITEMS_PAGE]
    text = [t("att-items-title")]
    text += [
        t(
            "att-item-line",
            time=_local(t, i.starts_at, conference),
            title=i.label(t.language),
            signed=i.signed_up,
            scanned=i.scanned,
            noshows=i.no_shows,
        )
        for i in chunk
    ]
    if pages > 1:
        text.append(t("att-page", page=page + 1, pages=pages))
    if not items:
        text.append(t("att-none"))
    entries = [(i.item_id, f"{_local(t, i.starts_at, conference)} {i.label(t.language)}") for i in chunk]
    return join(text), kb.picker_list(t, "il", cb.day, entries, page, pages, detail="i")


async def _item(
    t: Translator, session: AsyncSession, conference: Conference, day: date, cb: AttendanceCB, clock: Clock
) -> tuple[str, Any]:
    line, absent = await reports.no_shows(session, conference, cb.id, limit=30)
    text = [
        t(
            "att-item-detail",
            title=line.label(t.language),
            time=_local(t, line.starts_at, conference),
            signed=line.signed_up,
            waitlisted=line.waitlisted,
            scanned=line.scanned,
            walkins=line.walk_ins,
            noshows=line.no_shows,
        )
    ]
    if absent:
        text.append(t("att-noshows"))
        text += [
            t(
                "att-noshow-line",
                name=p.full_name,
                delegation=pick(p.delegation, t.language) if p.delegation else t("no-delegation"),
            )
            for p in absent
        ]
    return join(text), kb.back(t, cb.day, "il")


async def _days(
    t: Translator, session: AsyncSession, conference: Conference, day: date, cb: AttendanceCB, clock: Clock
) -> tuple[str, Any]:
    days = await reports.by_day(session, conference)
    text = [t("att-days-title")]
    text += [
        t("att-day-line", day=d.day.isoformat(), present=d.present, entries=d.entries, refused=d.refused) for d in days
    ]
    return join(text), kb.back(t, cb.day)


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
    t = ctx.t
    day = _day(callback_data.day, conference, clock)
    await query.answer()
    if callback_data.kind == "hours":
        hours = await reports.checkins_per_hour(session, conference, day=day, clock=clock)
        png = await asyncio.to_thread(
            charts.checkins_per_hour,
            hours,
            title=t.plain("chart-hours-title", day=day.isoformat()),
            xlabel=t.plain("chart-hours-x", tz=conference.timezone),
            ylabel=t.plain("chart-hours-y"),
        )
        caption = t("chart-hours-caption", day=day.isoformat(), total=sum(h.entries for h in hours))
        name = f"checkins-{day.isoformat()}.png"
    else:
        report = await reports.by_delegation(session, conference, day=day, clock=clock)
        png = await asyncio.to_thread(
            charts.presence_by_delegation,
            report.lines,
            language=t.language,
            title=t.plain("chart-deleg-title", day=day.isoformat()),
            present_label=t.plain("chart-present"),
            accredited_label=t.plain("chart-accredited"),
            inside_label=t.plain("chart-inside"),
        )
        caption = t("chart-deleg-caption", day=day.isoformat())
        name = f"delegations-{day.isoformat()}.png"
    if isinstance(query.message, Message):
        await query.message.answer_photo(BufferedInputFile(png, filename=name), caption=caption)


# -- /find and inline search -------------------------------------------------------------------


def render_card(t: Translator, c: Card, conference: Conference) -> Html:
    lines = [
        t("card-head", name=c.full_name or t("none"), native=c.native_name or ""),
        t(
            "card-body",
            id=c.registration_id,
            delegation=pick(c.delegation, t.language) if c.delegation else t("no-delegation"),
            category=t(f"category-{c.category}"),
            status=t(f"status-{c.status}"),
            position=c.position or t("none"),
            version=c.badge_version,
            printed=c.badge_print_count,
        ),
    ]
    if c.inside and c.inside_place:
        lines.append(
            t("card-inside-hall", hall=pick(c.inside_place, t.language), since=_local(t, c.inside_since, conference))
        )
    elif c.inside:
        lines.append(t("card-inside-venue", since=_local(t, c.inside_since, conference)))
    else:
        lines.append(t("card-outside"))
    if c.scans:
        lines.append(t("card-scans"))
        lines += [
            t(
                "card-scan-line",
                at=_local(t, s.at, conference),
                direction=t(f"gate-{s.direction}"),
                place=pick(s.place, t.language) if s.place else t("place-venue"),
                result=t(f"verdict-{s.result}"),
                gate=s.gate or "—",
            )
            for s in c.scans
        ]
    else:
        lines.append(t("card-no-scans"))
    return join(lines)


def _hit_label(t: Translator, h: search.Hit) -> str:
    """A button's text: plain, not HTML."""
    delegation = pick(h.delegation, t.language) if h.delegation else t.plain("no-delegation")
    return f"{h.full_name} · {delegation}"


async def find(
    message: Message, command: CommandObject, ctx: Ctx, session: AsyncSession, conference: Conference
) -> None:
    query = one_line(command.args or "", QUERY_LIMIT)
    if not query:
        await message.answer(ctx.t("find-usage", bot=ctx.settings.bot_username or "bot"))
        return
    hits, total = await search.find(session, conference.id or 0, query, limit=FOUND_SHOWN)
    if not hits:
        await message.answer(ctx.t("find-none", query=query))
    elif total == 1:
        card = await search.card(session, conference.id or 0, hits[0].registration_id)
        await message.answer(render_card(ctx.t, card, conference))
    else:
        text = ctx.t("find-results", total=total, query=query)
        if total > len(hits):
            text = join([text, ctx.t("find-more", more=total - len(hits))])
        await message.answer(
            text, reply_markup=kb.find_results([(h.registration_id, _hit_label(ctx.t, h)) for h in hits])
        )


async def found(
    query: CallbackQuery, callback_data: FindCB, ctx: Ctx, session: AsyncSession, conference: Conference
) -> None:
    card = await search.card(session, conference.id or 0, callback_data.id)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(render_card(ctx.t, card, conference))


async def inline_find(inline_query: InlineQuery, ctx: Ctx, session: AsyncSession) -> None:
    if ctx.conference is None or not (ctx.has(StaffRoleName.ACCREDITATION)):
        article = InlineQueryResultArticle(
            id="denied",
            title=ctx.t.plain("inline-not-allowed"),
            input_message_content=InputTextMessageContent(message_text=ctx.t("inline-not-allowed")),
        )
        await inline_query.answer([article], cache_time=0, is_personal=True)
        return
    conference = ctx.conference
    text = one_line(inline_query.query, QUERY_LIMIT)
    if len(text) < 2:
        await inline_query.answer([], cache_time=0, is_personal=True)
        return
    hits, _ = await search.find(session, conference.id or 0, text, limit=FOUND_SHOWN)
    results: list[Any] = []
    for h in hits:
        card = await search.card(session, conference.id or 0, h.registration_id, scans=3)
        results.append(
            InlineQueryResultArticle(
                id=str(h.registration_id),
                title=h.full_name or ctx.t.plain("none"),  # titles and descriptions are plain text
                description=" · ".join(
                    x
                    for x in (
                        h.native_name,
                        pick(h.delegation, ctx.language) if h.delegation else None,
                        ctx.t.plain(f"status-{h.status}"),
                    )
                    if x
                ),
                input_message_content=InputTextMessageContent(message_text=render_card(ctx.t, card, conference)),
            )
        )
    await inline_query.answer(results, cache_time=0, is_personal=True)


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

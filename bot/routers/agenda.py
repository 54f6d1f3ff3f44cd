"""/agenda (the programme by day, item cards, sign-up and waiting list), /my (personal
programme and its .ics file), and the outbox renderers of reminders, promotions and change
notices. Times are shown in the conference's time zone."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from babel.dates import format_date, format_time
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import AgendaActCB, AgendaDayCB, AgendaItemCB
from bot.context import Ctx
from bot.i18n import Html, Translator, escape, fit, join, plain, translator
from bot.keyboards import agenda as kb
from bot.middlewares.errors import render_error
from bot.middlewares.preconditions import needs
from bot.sender import Rendered, register_renderer
from core.errors import DomainError
from core.messaging.outbox import Claimed
from core.models import AgendaItem, AgendaKind, Conference, SignupStatus, pick
from core.programme import reminders
from core.programme.calendar import build_calendar
from core.programme.messages import NOTICE, PROMOTED, REMINDER
from core.programme.signups import Clash, SignupResult, cancel_as, sign_up_as
from core.programme.views import DayView, ItemView, day_view, item_view, local_day, my_agenda

PAGE_SIZE = 8  # items per page of a day: long days are paginated
MESSAGE_LIMIT = 4096
TITLE_LIMIT = 300
LIST_TITLE_LIMIT = 150
DESCRIPTION_LIMIT = 1500
NAMES_LIMIT = 600


# -- formatting -------------------------------------------------------------------------------


def _cut(text: str, limit: int) -> str:
    """Shorten a plain value (a title, names) before it goes into a message."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _fit(text: Html) -> Html:
    return fit(text, MESSAGE_LIMIT)


def _hm(moment: datetime, tz: ZoneInfo) -> str:
    return format_time(moment.astimezone(tz), "HH:mm", locale="en_GB")  # 24-hour, as both languages write it


def long_date(day: date, language: str) -> str:
    return format_date(day, "EEEE d MMMM", locale=language)


def short_date(day: date, language: str) -> str:
    return format_date(day, "EEE d MMM", locale=language).replace(".", "")


def kind_label(t: Translator, kind: AgendaKind) -> Html:
    return {
        AgendaKind.OPENING: t("agenda-kind-opening"),
        AgendaKind.HIGH_LEVEL: t("agenda-kind-high-level"),
        AgendaKind.PLENARY: t("agenda-kind-plenary"),
        AgendaKind.THEMATIC: t("agenda-kind-thematic"),
        AgendaKind.SIDE_EVENT: t("agenda-kind-side-event"),
        AgendaKind.BREAK: t("agenda-kind-break"),
        AgendaKind.CLOSING: t("agenda-kind-closing"),
    }[kind]


# A title that opens with a heading of its own ("Plenary: reports…", "Brainstorming: …"):
# at most four words before a colon and a space.
_HEADING = re.compile(r"^\s*(?P<head>[^:\n]{1,40}?)\s*:\s")


def shown_kind(t: Translator, item: AgendaItem) -> str | None:
    """The kind label to show with the item's title, or None when the title already carries
    a label: it starts with the kind's own label ("High-level session: …", "Closing session";
    any case) or with a short heading of its own ("Plenary: …"). The organiser's title wins,
    so labels never stack ("Thematic discussion: Thematic discussion: …")."""
    label = kind_label(t, item.kind)
    title = pick(item.title, t.language).strip()
    folded, wanted = title.casefold(), label.casefold()
    if folded.startswith(wanted) and not folded[len(wanted) : len(wanted) + 1].isalnum():
        return None
    heading = _HEADING.match(title)
    if heading is not None and len(heading["head"].split()) <= 4:
        return None
    return label


def _times(item: AgendaItem, tz: ZoneInfo, language: str) -> dict[str, str]:
    return {
        "date": long_date(item.starts_at.astimezone(tz).date(), language),
        "start": _hm(item.starts_at, tz),
        "end": _hm(item.ends_at, tz),
    }


def day_message(t: Translator, conference: Conference, view: DayView, page: int) -> tuple[Html, InlineKeyboardMarkup]:
    tz = ZoneInfo(conference.timezone)
    pages = max(1, -(-len(view.items) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = view.items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    n = view.days.index(view.day) + 1 if view.day in view.days else 1
    parts = [
        t(
            "agenda-day-title",
            conference=pick(conference.name, t.language),
            date=long_date(view.day, t.language),
            day=n,
            days=max(len(view.days), 1),
            city=pick(conference.city, t.language) or conference.timezone,
        )
    ]
    if pages > 1:
        parts.append(t("agenda-page", page=page + 1, pages=pages))
    for v in shown:
        item = v.item
        kind = shown_kind(t, item)
        times = {"start": _hm(item.starts_at, tz), "end": _hm(item.ends_at, tz)}
        title = _cut(pick(item.title, t.language), LIST_TITLE_LIMIT)
        lines = [
            t("agenda-line", kind=kind, title=title, **times)
            if kind is not None
            else t("agenda-line-titled", title=title, **times)
        ]
        notes = [t("agenda-line-hall", hall=pick(item.hall, t.language))] if item.hall else []
        if v.cancelled:
            notes.append(t("agenda-line-cancelled"))
        elif v.my_status == SignupStatus.CONFIRMED:
            notes.append(t("agenda-line-mine"))
        elif v.my_status == SignupStatus.WAITLISTED:
            notes.append(t("agenda-line-waiting"))
        elif v.refusal == "category_not_allowed":
            notes.append(t("agenda-line-closed"))
        elif v.full:
            notes.append(t("agenda-line-full"))
        elif v.seats_left is not None:
            notes.append(t("agenda-line-seats", left=v.seats_left, capacity=item.capacity or 0))
        if notes:
            lines.append(join(notes, " · "))
        parts.append(join(lines))
    i = view.days.index(view.day) if view.day in view.days else 0
    prev_day = view.days[i - 1] if i > 0 else None
    next_day = view.days[i + 1] if i + 1 < len(view.days) else None
    markup = kb.day(
        t,
        items=[(v.item.id or 0, f"{_hm(v.item.starts_at, tz)} {pick(v.item.title, t.language)}") for v in shown],
        day=view.day,
        page=page,
        pages=pages,
        prev_day=(prev_day, short_date(prev_day, t.language)) if prev_day else None,
        next_day=(next_day, short_date(next_day, t.language)) if next_day else None,
    )
    return _fit(join(parts, "\n\n")), markup


def card_text(t: Translator, conference: Conference, view: ItemView) -> Html:
    tz = ZoneInfo(conference.timezone)
    item = view.item
    city = pick(conference.city, t.language) or conference.timezone
    kind = shown_kind(t, item)
    title = _cut(pick(item.title, t.language), TITLE_LIMIT)
    heading = t("agenda-card-title", kind=kind, title=title) if kind else t("agenda-card-title-only", title=title)
    lines = [
        heading,
        t("agenda-card-when", city=city, **_times(item, tz, t.language)),
    ]
    if item.hall:
        lines.append(t("agenda-card-hall", hall=pick(item.hall, t.language)))
    if view.speakers:
        lines.append(t("agenda-card-speakers", names=_cut(", ".join(view.speakers), NAMES_LIMIT)))
    if view.moderators:
        lines.append(t("agenda-card-moderator", names=_cut(", ".join(view.moderators), NAMES_LIMIT)))
    if item.description:
        lines += [Html(""), escape(_cut(pick(item.description, t.language), DESCRIPTION_LIMIT))]
    lines.append(Html(""))
    if item.allowed_categories:
        categories = join((t(f"category-{c}") for c in item.allowed_categories), ", ")
        lines.append(t("agenda-card-open-to", categories=categories))
    if view.cancelled:
        lines.append(t("agenda-card-cancelled"))
    elif view.seats_left is not None:
        lines.append(
            t("agenda-card-full", waiting=view.waitlisted)
            if view.full
            else t("agenda-card-seats", left=view.seats_left or 0, capacity=item.capacity or 0)
        )
    if not item.signup_open and not view.cancelled:
        lines.append(t("agenda-card-no-signup"))
    if view.my_status == SignupStatus.CONFIRMED:
        lines.append(t("agenda-card-confirmed"))
    elif view.my_status == SignupStatus.WAITLISTED:
        lines.append(t("agenda-card-waitlisted", position=view.my_position or 0))
    elif (closed := _closed_because(t, view)) is not None:
        lines.append(closed)
    return _fit(join(lines))


def _closed_because(t: Translator, view: ItemView) -> Html | None:
    """Why the card offers no sign-up, when it does not say so already (cancelled, no sign-up)."""
    if view.refusal == "not_registered":
        return t("agenda-card-closed-not-registered")
    if view.refusal == "not_approved":
        return t("agenda-card-closed-not-approved")
    if view.refusal == "category_not_allowed":
        return t("agenda-card-closed-category", category=t(f"category-{view.my_category}"))
    return None


async def _edit(message: Message, text: Html, markup: InlineKeyboardMarkup | None) -> None:
    """Edit in place; pressing a button that changes nothing is not an error."""
    try:
        await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:
        if "not modified" not in exc.message:
            raise


# -- /agenda and its buttons -------------------------------------------------------------------


async def show_agenda(message: Message, ctx: Ctx, session: AsyncSession, conference: Conference) -> None:
    view = await day_view(session, conference, None, telegram_id=ctx.telegram_id)
    if not view.items:
        await message.answer(ctx.t("agenda-empty"))
        return
    text, markup = day_message(ctx.t, conference, view, 0)
    await message.answer(text, reply_markup=markup)


async def day_pressed(
    query: CallbackQuery, callback_data: AgendaDayCB, ctx: Ctx, session: AsyncSession, conference: Conference
) -> None:
    day = datetime.strptime(callback_data.day, "%Y%m%d").date()
    view = await day_view(session, conference, day, telegram_id=ctx.telegram_id)
    text, markup = day_message(ctx.t, conference, view, callback_data.page)
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
    view = await item_view(session, conference.id or 0, item_id, telegram_id=ctx.telegram_id)
    day = local_day(view.item, ZoneInfo(conference.timezone))
    await _edit(
        query.message,  # type: ignore[arg-type]
        card_text(ctx.t, conference, view),
        kb.card(ctx.t, view, day=day, page=page),
    )


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
    an overlap with items already chosen is asked about before anything is booked."""
    cb = callback_data
    try:
        if cb.action in ("out", "give"):
            result = await cancel_as(session, conference_id, ctx.telegram_id, cb.id)
        else:
            wait = cb.action == "wait"
            result = await sign_up_as(
                session, conference_id, ctx.telegram_id, cb.id, waitlist=wait, clashes_ok=cb.anyway
            )
    except Clash as clash:
        await _ask_about_clash(query, ctx, session, conference, cb, clash.clashes)
    except DomainError as exc:
        if cb.action == "give":  # not a card: the error middleware answers
            raise
        await session.rollback()  # refused: nothing was changed
        await query.answer(plain(render_error(ctx.t, exc))[:200], show_alert=True)
        await _show_card(query, ctx, session, conference, cb.id, cb.page)
    else:
        await _acted(query, ctx, session, conference, cb, result)


async def _acted(
    query: CallbackQuery,
    ctx: Ctx,
    session: AsyncSession,
    conference: Conference,
    cb: AgendaActCB,
    result: SignupResult,
) -> None:
    t = ctx.t
    if cb.action == "give":
        await query.answer(t.plain("agenda-left"))
        await _edit(query.message, t("agenda-gave-back", title=pick(result.item.title, t.language)), None)  # type: ignore[arg-type]
        return
    if cb.action == "out":
        await query.answer(t.plain("agenda-left"))
    elif result.signup.status == SignupStatus.WAITLISTED:
        await query.answer(t.plain("agenda-waitlisted", position=result.position or 0), show_alert=True)
    else:
        await query.answer(t.plain("agenda-signed-up"))
    await _show_card(query, ctx, session, conference, cb.id, cb.page)


async def _ask_about_clash(
    query: CallbackQuery,
    ctx: Ctx,
    session: AsyncSession,
    conference: Conference,
    cb: AgendaActCB,
    clashes: Sequence[AgendaItem],
) -> None:
    """The card with the overlap under it and the choice: sign up anyway, or not."""
    warning = clash_text(ctx.t, conference, clashes, waitlist=cb.action == "wait")
    await session.rollback()  # nothing was booked
    await query.answer()
    view = await item_view(session, conference.id or 0, cb.id, telegram_id=ctx.telegram_id)
    text = _fit(join([card_text(ctx.t, conference, view), warning], "\n\n"))
    await _edit(query.message, text, kb.clash(ctx.t, cb))  # type: ignore[arg-type]


def clash_text(t: Translator, conference: Conference, clashes: Sequence[AgendaItem], *, waitlist: bool = False) -> Html:
    tz = ZoneInfo(conference.timezone)
    lines = [t("agenda-clash")] + [
        t(
            "agenda-clash-line",
            start=_hm(c.starts_at, tz),
            end=_hm(c.ends_at, tz),
            title=_cut(pick(c.title, t.language), LIST_TITLE_LIMIT),
        )
        for c in clashes[:20]
    ]
    lines.append(t("agenda-clash-ask-waitlist") if waitlist else t("agenda-clash-ask"))
    return _fit(join(lines))


# -- /my -----------------------------------------------------------------------------------------


async def my_programme(message: Message, ctx: Ctx, session: AsyncSession, conference: Conference) -> None:
    t = ctx.t
    views = await my_agenda(session, conference.id or 0, ctx.telegram_id)
    if not views:
        await message.answer(t("my-empty"))
        return
    await message.answer(my_text(t, conference, views))
    notes = {v.item.id or 0: _notes(t, v) for v in views}
    ics = build_calendar(conference, views, t.language, notes=notes)
    await message.answer_document(
        BufferedInputFile(ics, filename=f"{conference.slug}-my-programme.ics"), caption=t("my-ics-caption")
    )


def _notes(t: Translator, view: ItemView) -> str:
    """An event's description in the calendar file: plain text, not HTML."""
    kind = shown_kind(t, view.item)
    lines = [plain(kind)] if kind is not None else []
    if view.speakers:
        lines.append(t.plain("agenda-card-speakers", names=", ".join(view.speakers)))
    if view.moderators:
        lines.append(t.plain("agenda-card-moderator", names=", ".join(view.moderators)))
    if view.my_status == SignupStatus.WAITLISTED:
        lines.append(t.plain("agenda-card-waitlisted", position=view.my_position or 0))
    return "\n".join(lines)


def my_text(t: Translator, conference: Conference, views: Sequence[ItemView]) -> Html:
    tz = ZoneInfo(conference.timezone)
    parts = [
        t(
            "my-title",
            conference=pick(conference.name, t.language),
            city=pick(conference.city, t.language) or conference.timezone,
        )
    ]
    day: date | None = None
    budget = MESSAGE_LIMIT - 200
    for n, v in enumerate(views):
        item = v.item
        lines: list[Html] = []
        local = item.starts_at.astimezone(tz).date()
        if local != day:
            day = local
            lines.append(join(["", t("my-day", date=long_date(local, t.language))]))
        line = t(
            "my-line",
            start=_hm(item.starts_at, tz),
            end=_hm(item.ends_at, tz),
            title=_cut(pick(item.title, t.language), LIST_TITLE_LIMIT),
            hall=pick(item.hall, t.language) or "—",
        )
        if v.cancelled:
            line = join([line, t("agenda-line-cancelled")], " · ")
        elif v.my_status == SignupStatus.WAITLISTED:
            line = join([line, t("agenda-line-waiting")], " · ")
        lines.append(line)
        chunk = join(lines)
        if sum(len(p) + 1 for p in parts) + len(chunk) > budget:
            parts.append(t("my-more", count=len(views) - n))
            break
        parts.append(chunk)
    return _fit(join(parts))


# -- outbox renderers ----------------------------------------------------------------------------


async def render_reminder(session: AsyncSession, message: Claimed, language: str) -> Rendered | None:
    due = await reminders.still_due(session, REMINDER, message.payload)
    if due is None:
        return None
    t, tz = translator(language), ZoneInfo(due.conference.timezone)
    return Rendered(
        _fit(
            t(
                "reminder",
                title=_cut(pick(due.item.title, language), TITLE_LIMIT),
                hall=pick(due.item.hall, language) or "—",
                **_times(due.item, tz, language),
            )
        )
    )


async def render_promoted(session: AsyncSession, message: Claimed, language: str) -> Rendered | None:
    due = await reminders.still_due(session, PROMOTED, message.payload)
    if due is None:
        return None
    t, tz = translator(language), ZoneInfo(due.conference.timezone)
    text = t(
        "promoted",
        title=_cut(pick(due.item.title, language), TITLE_LIMIT),
        hall=pick(due.item.hall, language) or "—",
        **_times(due.item, tz, language),
    )
    return Rendered(_fit(text), kb.give_back(t, due.item.id or 0))


async def render_notice(session: AsyncSession, message: Claimed, language: str) -> Rendered | None:
    due = await reminders.still_due(session, NOTICE, message.payload)
    if due is None:
        return None
    p, t, tz = message.payload, translator(language), ZoneInfo(due.conference.timezone)

    def moment(key: str) -> datetime:
        return datetime.fromisoformat(str(p[key]))

    new = {
        "date": long_date(moment("starts_at").astimezone(tz).date(), language),
        "start": _hm(moment("starts_at"), tz),
        "end": _hm(moment("ends_at"), tz),
    }
    title = p.get("title") if isinstance(p.get("title"), dict) else due.item.title
    lines = [t("notice-title", title=_cut(pick(title, language), TITLE_LIMIT))]  # type: ignore[arg-type]
    fields = set(p.get("fields") or ())
    if "cancelled" in fields:
        lines.append(t("notice-cancelled"))
    if "restored" in fields:
        lines.append(t("notice-restored", **new))
    if "time" in fields and "cancelled" not in fields:
        lines.append(
            t(
                "notice-time",
                old_date=long_date(moment("old_starts_at").astimezone(tz).date(), language),
                old_start=_hm(moment("old_starts_at"), tz),
                old_end=_hm(moment("old_ends_at"), tz),
                **new,
            )
        )
    if "hall" in fields and "cancelled" not in fields:
        lines.append(
            t(
                "notice-hall",
                hall=pick(p.get("hall"), language) or "—",  # type: ignore[arg-type]
                old_hall=pick(p.get("old_hall"), language) or "—",
            )
        )  # type: ignore[arg-type]
    return Rendered(_fit(join(lines)))


register_renderer(REMINDER, render_reminder)
register_renderer(PROMOTED, render_promoted)
register_renderer(NOTICE, render_notice)


def build() -> Router:
    router = Router(name="agenda")
    router.message.register(show_agenda, Command("agenda"), flags=needs())
    router.message.register(my_programme, Command("my"), flags=needs())
    router.callback_query.register(day_pressed, AgendaDayCB.filter(), flags=needs())
    router.callback_query.register(item_pressed, AgendaItemCB.filter(), flags=needs())
    router.callback_query.register(act_pressed, AgendaActCB.filter(), flags=needs())
    return router

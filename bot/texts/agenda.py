"""What the programme's messages say: a day's list (with its buttons), an item's card, the
overlap warning, the personal programme and its calendar notes, and the reminders,
promotions and change notices the outbox sends. Times are shown in the conference's time
zone, 24-hour, as both languages write them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup
from babel.dates import format_date, format_time

from bot.i18n import Html, Translator, escape, fit, join, plain, translator
from bot.keyboards import agenda as kb
from bot.paging import page_of
from core.models import AgendaItem, AgendaKind, Conference, SignupStatus, pick
from core.programme import views
from core.programme.views import ItemView

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


# -- a day, a card, an overlap ------------------------------------------------------------------


def day_message(
    t: Translator, conference: Conference, view: views.DayView, page: int
) -> tuple[Html, InlineKeyboardMarkup]:
    """A page of a day's programme and its buttons (items, pages, the days before and after)."""
    tz = ZoneInfo(conference.timezone)
    shown, page, pages = page_of(view.items, page, PAGE_SIZE)
    i = view.days.index(view.day) if view.day in view.days else 0
    parts = [
        t(
            "agenda-day-title",
            conference=pick(conference.name, t.language),
            date=long_date(view.day, t.language),
            day=i + 1,
            days=max(len(view.days), 1),
            city=pick(conference.city, t.language) or conference.timezone,
        )
    ]
    if pages > 1:
        parts.append(t("agenda-page", page=page + 1, pages=pages))
    parts += [_day_line(t, v, tz) for v in shown]
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


def _day_line(t: Translator, v: ItemView, tz: ZoneInfo) -> Html:
    """An item in a day's list: its times and title, and a line of notes (hall, my seat, seats left)."""
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
    return join(lines)


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
    lines += _card_status(t, view)
    return _fit(join(lines))


def _card_status(t: Translator, view: ItemView) -> list[Html]:
    """The card's last lines: seats, whether sign-up is open, and where the reader stands."""
    item, lines = view.item, []
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
    return lines


def _closed_because(t: Translator, view: ItemView) -> Html | None:
    """Why the card offers no sign-up, when it does not say so already (cancelled, no sign-up)."""
    if view.refusal == "not_registered":
        return t("agenda-card-closed-not-registered")
    if view.refusal == "not_approved":
        return t("agenda-card-closed-not-approved")
    if view.refusal == "category_not_allowed":
        return t("agenda-card-closed-category", category=t(f"category-{view.my_category}"))
    return None


def card_with_clash(
    t: Translator, conference: Conference, view: ItemView, clashes: Sequence[AgendaItem], *, waitlist: bool
) -> Html:
    """The card with the overlap under it and the question: sign up anyway, or not."""
    return _fit(join([card_text(t, conference, view), clash_text(t, conference, clashes, waitlist=waitlist)], "\n\n"))


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


def gave_back_text(t: Translator, item: AgendaItem) -> Html:
    return t("agenda-gave-back", title=pick(item.title, t.language))


# -- /my ------------------------------------------------------------------------------------------


def calendar_notes(t: Translator, views: Sequence[ItemView]) -> dict[int, str]:
    """Each event's description in the calendar file, by item id: plain text, not HTML."""
    return {v.item.id or 0: _calendar_note(t, v) for v in views}


def _calendar_note(t: Translator, view: ItemView) -> str:
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
        lines: list[Html] = []
        local = v.item.starts_at.astimezone(tz).date()
        if local != day:
            day = local
            lines.append(join(["", t("my-day", date=long_date(local, t.language))]))
        lines.append(_my_line(t, v, tz))
        chunk = join(lines)
        if sum(len(p) + 1 for p in parts) + len(chunk) > budget:
            parts.append(t("my-more", count=len(views) - n))
            break
        parts.append(chunk)
    return _fit(join(parts))


def _my_line(t: Translator, v: ItemView, tz: ZoneInfo) -> Html:
    item = v.item
    line = t(
        "my-line",
        start=_hm(item.starts_at, tz),
        end=_hm(item.ends_at, tz),
        title=_cut(pick(item.title, t.language), LIST_TITLE_LIMIT),
        hall=pick(item.hall, t.language) or "—",
    )
    if v.cancelled:
        return join([line, t("agenda-line-cancelled")], " · ")
    if v.my_status == SignupStatus.WAITLISTED:
        return join([line, t("agenda-line-waiting")], " · ")
    return line


# -- what the outbox sends --------------------------------------------------------------------


# These take the recipient's stored language as it is: titles and dates follow it, the
# wording falls back to English where there is no translation.


def upcoming_text(language: str, item: AgendaItem, tz: ZoneInfo, *, promoted: bool = False) -> Html:
    """An item the recipient has a seat at: the reminder before it starts, or (`promoted`)
    the news that a seat came free for them on the waiting list."""
    t = translator(language)
    return _fit(
        t(
            "promoted" if promoted else "reminder",
            title=_cut(pick(item.title, language), TITLE_LIMIT),
            hall=pick(item.hall, language) or "—",
            **_times(item, tz, language),
        )
    )


def notice_text(language: str, item: AgendaItem, tz: ZoneInfo, p: Mapping[str, Any]) -> Html:
    """What changed about an item someone signed up for (`p`: the notice's payload, with the
    new and old times and halls; a title there is the one the item had when it changed)."""
    t = translator(language)

    def moment(key: str) -> datetime:
        return datetime.fromisoformat(str(p[key]))

    new = {
        "date": long_date(moment("starts_at").astimezone(tz).date(), language),
        "start": _hm(moment("starts_at"), tz),
        "end": _hm(moment("ends_at"), tz),
    }
    title = p.get("title") if isinstance(p.get("title"), dict) else item.title
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
    return _fit(join(lines))

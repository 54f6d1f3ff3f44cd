"""What organisers are shown: /stats, /attendance's views (each a text and its buttons: the
menu, delegations and one delegation, items and one item with its no-shows, days), and a
person's card (/find, inline search). Days are YYYY-MM-DD; moments are in the conference's
time zone. A day's code (`day_code`) is what the buttons carry: 0 is "the report's day"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from aiogram.types import InlineKeyboardMarkup

from bot.i18n import Html, Translator, join
from bot.keyboards import organiser as kb
from bot.paging import page_of
from core import reporting
from core.models import Conference, pick

DELEGATIONS_PAGE = 10
ITEMS_PAGE = 8

Shown = tuple[Html, InlineKeyboardMarkup]


def day_code(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def _local(t: Translator, moment: datetime | None, conference: Conference) -> str:
    return t.moment(moment, reporting.zone(conference)) if moment else "—"


# -- /stats and /attendance ----------------------------------------------------------------------


def stats_text(t: Translator, s: reporting.Stats, conference: Conference) -> Html:
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


def attendance_menu(t: Translator, s: reporting.Stats, code: int) -> Shown:
    text = t("att-menu", day=s.day.isoformat(), checked=s.checked_in, inside=s.inside)
    return text, kb.attendance_menu(t, code)


def _footer(t: Translator, page: int, pages: int, *, empty: bool) -> list[Html]:
    """Under a list: which page this is (when there are several), or that it is empty."""
    footer = [t("att-page", page=page + 1, pages=pages)] if pages > 1 else []
    return footer + ([t("att-none")] if empty else [])


def delegations_view(t: Translator, report: reporting.DelegationReport, code: int, page: int) -> Shown:
    lines = [d for d in report.lines if d.accredited or d.present]
    chunk, page, pages = page_of(lines, page, DELEGATIONS_PAGE)
    total = len(report.with_members)
    text = [
        t("att-deleg-title", day=report.day.isoformat()),
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
    text += _footer(t, page, pages, empty=not lines)
    entries = [(d.delegation_id, d.label(t.language)) for d in chunk if d.delegation_id is not None]
    return join(text), kb.picker_list(t, "dl", code, entries, page, pages, detail="d")


def delegation_view(t: Translator, report: reporting.DelegationReport, delegation_id: int, code: int) -> Shown:
    found = [d for d in report.lines if d.delegation_id == delegation_id]
    if not found:
        return t("att-none"), kb.back(t, code, "dl")
    d = found[0]
    text = t(
        "att-deleg-members",
        name=d.label(t.language),
        accredited=d.accredited,
        present=d.present,
        day=report.day.isoformat(),
        high=d.high_level,
        inside=d.inside,
    )
    return text, kb.back(t, code, "dl")


def items_view(
    t: Translator, items: Sequence[reporting.ItemLine], conference: Conference, code: int, page: int
) -> Shown:
    chunk, page, pages = page_of(items, page, ITEMS_PAGE)
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
    text += _footer(t, page, pages, empty=not items)
    entries = [(i.item_id, f"{_local(t, i.starts_at, conference)} {i.label(t.language)}") for i in chunk]
    return join(text), kb.picker_list(t, "il", code, entries, page, pages, detail="i")


def item_view(
    t: Translator,
    line: reporting.ItemLine,
    absent: Sequence[reporting.PersonLine],
    conference: Conference,
    code: int,
) -> Shown:
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
    return join(text), kb.back(t, code, "il")


def days_view(t: Translator, days: Sequence[reporting.DayLine], code: int) -> Shown:
    text = [t("att-days-title")]
    text += [
        t("att-day-line", day=d.day.isoformat(), present=d.present, entries=d.entries, refused=d.refused) for d in days
    ]
    return join(text), kb.back(t, code)


# -- /find and inline search --------------------------------------------------------------------


def person_card(t: Translator, c: reporting.RegistrationCard, conference: Conference) -> Html:
    """One registration as an organiser sees it: who, the badge, inside or not, the last scans."""
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
    lines += _scans(t, c, conference)
    return join(lines)


def _scans(t: Translator, c: reporting.RegistrationCard, conference: Conference) -> list[Html]:
    if not c.scans:
        return [t("card-no-scans")]
    return [t("card-scans")] + [
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


def found_text(t: Translator, query: str, shown: int, total: int) -> Html:
    """Several people match: how many (and how many more than the buttons show)."""
    text = t("find-results", total=total, query=query)
    if total > shown:
        text = join([text, t("find-more", more=total - shown)])
    return text


def hit_label(t: Translator, h: reporting.Hit) -> str:
    """A button's text: plain, not HTML."""
    delegation = pick(h.delegation, t.language) if h.delegation else t.plain("no-delegation")
    return f"{h.full_name} · {delegation}"


def hit_description(t: Translator, h: reporting.Hit) -> str:
    """An inline result's second line: plain text."""
    delegation = pick(h.delegation, t.language) if h.delegation else None
    return " · ".join(x for x in (h.native_name, delegation, t.plain(f"status-{h.status}")) if x)

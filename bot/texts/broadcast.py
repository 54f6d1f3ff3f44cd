"""What a broadcast's conversation says: the audience pickers' choices, the audience's name,
the preview; the progress message; and the delivery report the outbox sends."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import Html, Translator, join, translator
from core import reporting
from core.messaging import broadcasts
from core.messaging.broadcasts import Audience, AudienceKind
from core.models import Category

Choices = list[tuple[str, str]]  # (the callback's value, the button's text)


def delegation_choices(t: Translator, report: reporting.DelegationReport) -> Choices:
    return sorted(
        ((str(d.delegation_id), f"{d.label(t.language)} ({d.accredited})") for d in report.with_members),
        key=lambda c: c[1].casefold(),
    )


def category_choices(t: Translator, stats: reporting.Stats) -> Choices:
    return [(c.category, f"{t(f'category-{c.category}')} ({c.approved})") for c in stats.by_category if c.approved]


def item_choices(t: Translator, items: Sequence[reporting.ItemLine], zone: ZoneInfo) -> Choices:
    return [
        (str(i.item_id), f"{t.moment(i.starts_at, zone)} {i.label(t.language)} ({i.signed_up})")
        for i in items
        if i.signed_up
    ]


def audience_label(t: Translator, audience: Audience, names: Mapping[str, str]) -> Html:
    """Who gets the broadcast; `names`: the delegations' or the items' names by id."""
    if audience.kind is AudienceKind.DELEGATION:
        return t("bc-label-delegation", name=names.get(audience.value or "", "?"))
    if audience.kind is AudienceKind.CATEGORY:
        return t("bc-label-category", category=t(f"category-{Category(audience.value or '').value}"))
    if audience.kind is AudienceKind.ITEM:
        return t("bc-label-item", title=names.get(audience.value or "", "?"))
    if audience.kind is AudienceKind.INSIDE:
        return t("bc-label-inside")
    return t("bc-label-approved")


def preview_text(t: Translator, label: Html, count: int, text: str) -> Html:
    """The audience and the message as it will go out (`text`: the admin's own HTML)."""
    return join([t("bc-preview", audience=label, count=count), Html(text)], "\n\n")


def progress_text(t: Translator, p: broadcasts.Progress) -> str:
    key = "bc-done" if p.done else "bc-progress"
    return t(key, id=p.broadcast_id, sent=p.sent, total=p.total, failed=p.failed, blocked=p.blocked)


def report_text(language: str, p: Mapping[str, Any]) -> Html:
    """The delivery report (`p`: the report's outbox payload)."""
    t = translator(language)
    return t(
        "bc-report",
        id=int(p["broadcast_id"]),
        sent=int(p["sent"]),
        total=int(p["total"]),
        failed=int(p["failed"]),
        blocked=int(p["blocked"]),
    )

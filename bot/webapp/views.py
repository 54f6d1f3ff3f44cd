"""What the Mini App's pages read, as JSON: a verdict in words for the door, the pages'
own strings, the places door staff choose from. Pure: values and a translator in, dicts out.

Every word comes from the locale files (`bot/locales/<lang>/webapp.ftl`, the verdict
headlines and categories from checkin.ftl and bot.ftl), in the staff member's language."""

from __future__ import annotations

from typing import Any

from bot.i18n import Translator, translator
from core.checkin import REASONS, Verdict
from core.models import AgendaItem, Conference, ScanDirection, ScanResult, pick

COLOUR = {ScanResult.OK: "green", ScanResult.DUPLICATE: "amber"}  # everything else: red
HAPTIC = {"green": "success", "amber": "warning", "red": "error"}

# The pages' own strings (webapp-ui-<key>); sent once, with /api/strings or /api/me.
UI_KEYS = (
    "title",
    "scanner",
    "board",
    "place",
    "entrance",
    "direction",
    "in",
    "out",
    "scan",
    "scan-hint",
    "ready",
    "count-ok",
    "count-duplicate",
    "count-refused",
    "checking",
    "failed",
    "no-access",
    "not-in-telegram",
    "inside-now",
    "checked-in",
    "accredited",
    "by-hall",
    "venue",
    "by-delegation",
    "by-category",
    "sessions",
    "signed-up",
    "scanned",
    "arrivals",
    "updated",
    "offline",
    "link-expired",
    "no-delegation",
    "language",
)


def strings(language: str) -> dict[str, str]:
    t = translator(language)
    words = {key: t.plain(f"webapp-ui-{key}") for key in UI_KEYS}
    words.update({f"category-{c}": t.plain(f"category-{c}") for c in _categories()})
    return words


def _categories() -> list[str]:
    from core.models import Category

    return [c.value for c in Category]


def place_label(item: AgendaItem | None, language: str) -> str:
    """The gate a scan is stored with: the hall (or the item's title), else "entrance" as
    the bot's /gate stores it."""
    if item is None:
        return "entrance"
    return pick(item.hall, language) or pick(item.title, language) or item.code


def places(t: Translator, items: list[AgendaItem], conference: Conference) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = [{"id": None, "label": t.plain("webapp-ui-entrance")}]
    for item in items:
        starts = t.moment(item.starts_at, conference.timezone)
        hall = pick(item.hall, t.language)
        title = pick(item.title, t.language) or item.code
        found.append({"id": item.id, "label": f"{starts} · {hall + ' · ' if hall else ''}{title}"})
    return found


def verdict_view(t: Translator, conference: Conference, v: Verdict) -> dict[str, Any]:
    """A verdict as the scanner page shows it: colour, headline, the person, the reason."""
    colour = COLOUR.get(v.result, "red")
    key = "verdict-ok-out" if v.result is ScanResult.OK and v.direction is ScanDirection.OUT else f"verdict-{v.result}"
    reason = None
    if v.result is ScanResult.DUPLICATE and v.already_at is not None:
        since = t.moment(v.already_at, conference.timezone, day=False)
        reason = t.plain("webapp-why-already", since=since, gate=v.already_gate or "—")
    elif v.detail in REASONS:
        reason = t.plain(f"webapp-why-{v.detail}")
    return {
        "result": v.result.value,
        "colour": colour,
        "haptic": HAPTIC[colour],
        "headline": t.plain(key),
        "name": v.name,
        "native_name": v.native_name,
        "delegation": (pick(v.delegation, t.language) if v.delegation else t.plain("webapp-ui-no-delegation"))
        if v.name is not None
        else None,
        "category": t.plain(f"category-{v.category}") if v.category else None,
        "reason": reason,
        "direction": v.direction.value,
        "at": v.at.isoformat(),
        "verdict": v.as_dict(),
    }

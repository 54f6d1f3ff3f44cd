"""What the door is told: a scan's verdict (who, where, already inside since when; a warning
when the scan falls outside the conference's days) and the gate chosen with /gate."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.i18n import Html, Translator, join
from bot.states import GateChoice
from core.checkin import Verdict
from core.models import Conference, ScanDirection, ScanResult, pick

ICONS = {ScanResult.OK: "✅", ScanResult.DUPLICATE: "⚠️"}


def where_args(t: Translator, choice: GateChoice) -> dict[str, str]:
    """The gate and the direction, as the locale texts name them."""
    return {"gate": choice.label or t("gate-entrance"), "direction": t(f"gate-{choice.direction.value}")}


def verdict_text(t: Translator, conference: Conference, v: Verdict, choice: GateChoice) -> Html:
    key = (
        "verdict-ok-out"
        if v.result == ScanResult.OK and v.direction == ScanDirection.OUT
        else f"verdict-{v.result.value}"
    )
    lines = [t("verdict-head", icon=ICONS.get(v.result, "❌"), verdict=t(key))]
    if v.name is not None:
        lines.append(
            t(
                "verdict-person",
                name=v.name or t("none"),
                native=v.native_name or "",
                delegation=pick(v.delegation, t.language) if v.delegation else t("no-delegation"),
                category=t(f"category-{v.category}") if v.category else t("none"),
            )
        )
    if v.already_at is not None:
        at = t.moment(v.already_at, conference.timezone, day=False)
        lines.append(t("verdict-already", at=at, gate=v.already_gate or "", by=str(v.already_by or "")))
    lines.append(t("verdict-where", **where_args(t, choice)))
    today = v.at.astimezone(ZoneInfo(conference.timezone)).date()
    if not conference.first_day <= today <= conference.last_day:  # a wrong conference, or a wrong clock
        first, last = (format_date(d, "d MMM y", locale=t.locale) for d in (conference.first_day, conference.last_day))
        lines.append(t("verdict-outside-dates", first=first, last=last))
    return join(lines)

"""What /scanner and /board say: the offer of the Mini App, the board's browser link."""

from __future__ import annotations

from datetime import datetime

from bot.i18n import Html, Translator, join


def scanner_offer(t: Translator) -> Html:
    return t("webapp-scanner-offer")


def board_offer(t: Translator, link: str, until: datetime, timezone: str) -> Html:
    """The offer, then the link alone on its line (to copy to the office screen's browser)."""
    return join([t("webapp-board-offer", until=t.moment(until, timezone)), link])


def not_configured(t: Translator) -> Html:
    return t("webapp-not-configured")

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import GateCB, GatePlaceCB
from bot.i18n import Translator
from core.models import AgendaItem, pick


def gates(t: Translator, items: list[AgendaItem], language: str, timezone: str) -> InlineKeyboardMarkup:
    """The entrance, then one button per hall item (local start time and title), then in/out."""
    zone = ZoneInfo(timezone)
    rows = [[InlineKeyboardButton(text=t("gate-entrance"), callback_data=GatePlaceCB(item=0).pack())]]
    for item in items:
        label = f"{t.moment(item.starts_at, zone)} {pick(item.title, language)}"
        rows.append([InlineKeyboardButton(text=label[:60], callback_data=GatePlaceCB(item=item.id or 0).pack())])
    rows.append(
        [
            InlineKeyboardButton(text=t("gate-btn-in"), callback_data=GateCB(direction="in").pack()),
            InlineKeyboardButton(text=t("gate-btn-out"), callback_data=GateCB(direction="out").pack()),
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)

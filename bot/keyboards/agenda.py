"""Keyboards of the programme: a day's items with day and page arrows, an item's card, the
choice after an overlap warning, the "give the seat back" button. A card offers only what
core would allow (`ItemView.refusal`); core decides again when the button is pressed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import AgendaActCB, AgendaDayCB, AgendaItemCB
from bot.i18n import Translator
from core.models import SignupStatus
from core.programme.views import ItemView

BUTTON_TEXT = 60  # characters on an item's button


def day_key(day: date) -> str:
    return day.isoformat().replace("-", "")


def _short(text: str, limit: int = BUTTON_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def day(
    t: Translator,
    *,
    items: Sequence[tuple[int, str]],
    day: date,
    page: int,
    pages: int,
    prev_day: tuple[date, str] | None,
    next_day: tuple[date, str] | None,
) -> InlineKeyboardMarkup:
    """`items`: (item id, label) of this page; `prev_day`/`next_day`: (day, label)."""
    rows = [
        [InlineKeyboardButton(text=_short(label), callback_data=AgendaItemCB(id=item_id, page=page).pack())]
        for item_id, label in items
    ]
    paging = []
    if page > 0:
        paging.append(
            InlineKeyboardButton(
                text=t("btn-agenda-earlier"), callback_data=AgendaDayCB(day=day_key(day), page=page - 1).pack()
            )
        )
    if page + 1 < pages:
        paging.append(
            InlineKeyboardButton(
                text=t("btn-agenda-later"), callback_data=AgendaDayCB(day=day_key(day), page=page + 1).pack()
            )
        )
    if paging:
        rows.append(paging)
    days = []
    if prev_day is not None:
        days.append(
            InlineKeyboardButton(text=f"◀ {prev_day[1]}", callback_data=AgendaDayCB(day=day_key(prev_day[0])).pack())
        )
    if next_day is not None:
        days.append(
            InlineKeyboardButton(text=f"{next_day[1]} ▶", callback_data=AgendaDayCB(day=day_key(next_day[0])).pack())
        )
    if days:
        rows.append(days)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def card(t: Translator, view: ItemView, *, day: date, page: int) -> InlineKeyboardMarkup:
    item_id = view.item.id or 0
    rows = []
    action: tuple[Literal["in", "wait", "out", "give"], str] | None = None
    if view.my_status == SignupStatus.CONFIRMED:
        action = ("out", t("btn-agenda-leave"))
    elif view.my_status == SignupStatus.WAITLISTED:
        action = ("out", t("btn-agenda-leave-waitlist"))
    elif view.item.signup_open and not view.cancelled and view.refusal is None:  # never offer a refusal
        action = ("wait", t("btn-agenda-waitlist")) if view.full else ("in", t("btn-agenda-sign-up"))
    if action is not None:
        rows.append(
            [
                InlineKeyboardButton(
                    text=action[1], callback_data=AgendaActCB(action=action[0], id=item_id, page=page).pack()
                )
            ]
        )  # type: ignore[arg-type]
    rows.append(
        [InlineKeyboardButton(text=t("btn-agenda-back"), callback_data=AgendaDayCB(day=day_key(day), page=page).pack())]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def clash(t: Translator, pressed: AgendaActCB) -> InlineKeyboardMarkup:
    """Under the overlap warning: the same action again, confirmed, or back to the card."""
    anyway = t("btn-agenda-waitlist-anyway") if pressed.action == "wait" else t("btn-agenda-sign-up-anyway")
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=anyway,
                    callback_data=AgendaActCB(
                        action=pressed.action, id=pressed.id, page=pressed.page, anyway=True
                    ).pack(),
                )
            ],
            [
                InlineKeyboardButton(
                    text=t("btn-agenda-not-now"), callback_data=AgendaItemCB(id=pressed.id, page=pressed.page).pack()
                )
            ],
        ]
    )


def give_back(t: Translator, item_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t("btn-agenda-give-back"), callback_data=AgendaActCB(action="give", id=item_id).pack()
                )
            ]
        ]
    )

"""Keyboards of the organiser reports and broadcasts: plain values and `t` in, markup out."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import AttendanceCB, AudienceCB, BroadcastConfirmCB, ChartCB, FindCB
from bot.i18n import Translator


def _b(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text[:60], callback_data=data)


def charts_row(t: Translator, day: int) -> list[InlineKeyboardButton]:
    return [
        _b(t("btn-chart-hours"), ChartCB(kind="hours", day=day).pack()),
        _b(t("btn-chart-delegations"), ChartCB(kind="deleg", day=day).pack()),
    ]


def stats(t: Translator, day: int, *, attendance: bool) -> InlineKeyboardMarkup:
    rows = [charts_row(t, day)]
    if attendance:
        rows.append(
            [
                _b(t("btn-att-delegations"), AttendanceCB(view="dl", day=day).pack()),
                _b(t("btn-att-items"), AttendanceCB(view="il", day=day).pack()),
                _b(t("btn-att-days"), AttendanceCB(view="days", day=day).pack()),
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def attendance_menu(t: Translator, day: int) -> InlineKeyboardMarkup:
    return stats(t, day, attendance=True)


def back(t: Translator, day: int, to: str = "menu") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_b(t("btn-att-back"), AttendanceCB(view=to, day=day).pack())]])  # type: ignore[arg-type]


def picker_list(
    t: Translator, view: str, day: int, entries: list[tuple[int, str]], page: int, pages: int, *, detail: str
) -> InlineKeyboardMarkup:
    """One button per entry (opens `detail`), then ◀ ▶ and Back."""
    rows = [[_b(label, AttendanceCB(view=detail, day=day, id=ident, page=page).pack())] for ident, label in entries]  # type: ignore[arg-type]
    nav = []
    if page > 0:
        nav.append(_b(t("btn-att-prev"), AttendanceCB(view=view, day=day, page=page - 1).pack()))  # type: ignore[arg-type]
    if page + 1 < pages:
        nav.append(_b(t("btn-att-next"), AttendanceCB(view=view, day=day, page=page + 1).pack()))  # type: ignore[arg-type]
    if nav:
        rows.append(nav)
    rows.append([_b(t("btn-att-back"), AttendanceCB(view="menu", day=day).pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def find_results(entries: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_b(label, FindCB(id=ident).pack())] for ident, label in entries])


# -- broadcast ------------------------------------------------------------------------------


def audiences(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_b(t("bc-aud-approved"), AudienceCB(kind="approved", value="all").pack())],
            [
                _b(t("bc-aud-delegation"), AudienceCB(kind="delegation").pack()),
                _b(t("bc-aud-category"), AudienceCB(kind="category").pack()),
            ],
            [_b(t("bc-aud-item"), AudienceCB(kind="item").pack())],
            [_b(t("bc-aud-inside"), AudienceCB(kind="inside", value="now").pack())],
            [_b(t("bc-cancel"), BroadcastConfirmCB(send=False).pack())],
        ]
    )


def audience_values(
    t: Translator, kind: str, entries: list[tuple[str, str]], page: int, pages: int
) -> InlineKeyboardMarkup:
    rows = [[_b(label, AudienceCB(kind=kind, value=value).pack())] for value, label in entries]  # type: ignore[arg-type]
    nav = []
    if page > 0:
        nav.append(_b(t("btn-att-prev"), AudienceCB(kind=kind, page=page - 1).pack()))  # type: ignore[arg-type]
    if page + 1 < pages:
        nav.append(_b(t("btn-att-next"), AudienceCB(kind=kind, page=page + 1).pack()))  # type: ignore[arg-type]
    if nav:
        rows.append(nav)
    rows.append([_b(t("bc-cancel"), BroadcastConfirmCB(send=False).pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def confirm(t: Translator, count: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _b(t("bc-send", count=count), BroadcastConfirmCB(send=True).pack()),
                _b(t("bc-cancel"), BroadcastConfirmCB(send=False).pack()),
            ]
        ]
    )

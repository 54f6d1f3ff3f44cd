"""Sign-up wizard keyboards: DTOs and a translator in, InlineKeyboardMarkup out."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import (
    CategoryCB,
    ConsentCB,
    DelegationCB,
    DelegationPageCB,
    FieldCB,
    KindCB,
    SkipCB,
    SummaryCB,
)
from bot.i18n import Translator
from core.models import Category, Delegation, pick

KINDS = ("state", "organisation", "other", "none")
FIELDS = ("full_name", "native_name", "delegation", "category", "position", "organisation")


@lru_cache(maxsize=64)  # fixed per language: built once, not per message
def skip(t: Translator, step: Literal["native", "organisation"]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t("btn-skip"), callback_data=SkipCB(step=step).pack())]]
    )


@lru_cache(maxsize=64)  # fixed per language: built once, not per message
def kinds(t: Translator) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kind in KINDS:
        builder.button(text=t(f"kind-{kind}"), callback_data=KindCB(kind=kind))
    builder.adjust(1)
    return builder.as_markup()


def delegations(
    t: Translator, items: list[Delegation], language: str, *, kind: str | None = None, page: int = 0, pages: int = 1
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for d in items:
        builder.row(
            InlineKeyboardButton(text=pick(d.name, language)[:60], callback_data=DelegationCB(id=d.id or 0).pack())
        )
    nav = []
    if kind is not None and page > 0:
        nav.append(
            InlineKeyboardButton(text=t("btn-prev"), callback_data=DelegationPageCB(kind=kind, page=page - 1).pack())
        )
    if kind is not None and page + 1 < pages:
        nav.append(
            InlineKeyboardButton(text=t("btn-next"), callback_data=DelegationPageCB(kind=kind, page=page + 1).pack())
        )
    if nav:
        builder.row(*nav)
    builder.row(InlineKeyboardButton(text=t("btn-back"), callback_data=DelegationPageCB(kind="kinds", page=0).pack()))
    return builder.as_markup()


def categories(t: Translator, allowed: list[Category]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for category in allowed:
        builder.button(text=t(f"category-{category.value}"), callback_data=CategoryCB(value=category.value))
    builder.adjust(2)
    return builder.as_markup()


@lru_cache(maxsize=64)  # fixed per language: built once, not per message
def consent(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=t("btn-agree"), callback_data=ConsentCB(agree=True).pack()),
                InlineKeyboardButton(text=t("btn-disagree"), callback_data=ConsentCB(agree=False).pack()),
            ]
        ]
    )


@lru_cache(maxsize=64)  # fixed per language: built once, not per message
def summary(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=t("btn-confirm"), callback_data=SummaryCB(action="confirm").pack()),
                InlineKeyboardButton(text=t("btn-edit"), callback_data=SummaryCB(action="edit").pack()),
            ],
            [InlineKeyboardButton(text=t("btn-cancel"), callback_data=SummaryCB(action="cancel").pack())],
        ]
    )


def fields(t: Translator, editable: tuple[str, ...] = FIELDS) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for name in editable:
        builder.button(text=t(f"field-{name}"), callback_data=FieldCB(field=name))  # type: ignore[arg-type]
    builder.adjust(2)
    return builder.as_markup()

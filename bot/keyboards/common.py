from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import ConfirmCB, DecisionCB, LanguageCB, RevokeInviteCB
from bot.i18n import Translator


def languages() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="English", callback_data=LanguageCB(code="en").pack()),
                InlineKeyboardButton(text="Русский", callback_data=LanguageCB(code="ru").pack()),
            ]
        ]
    )


def confirm(t: Translator, action: str, yes_key: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=t(yes_key), callback_data=ConfirmCB(action=action, yes=True).pack()),  # type: ignore[arg-type]
                InlineKeyboardButton(text=t("btn-no"), callback_data=ConfirmCB(action=action, yes=False).pack()),  # type: ignore[arg-type]
            ]
        ]
    )


def decision(t: Translator, registration_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t("btn-approve"), callback_data=DecisionCB(action="approve", id=registration_id).pack()
                ),
                InlineKeyboardButton(
                    text=t("btn-reject"), callback_data=DecisionCB(action="reject", id=registration_id).pack()
                ),
            ]
        ]
    )


def pending(t: Translator, rows: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    """One row per waiting registration: its label, approve, reject."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=f"✅ #{reg_id} {label}"[:60], callback_data=DecisionCB(action="approve", id=reg_id).pack()
                ),
                InlineKeyboardButton(text=f"❌ #{reg_id}", callback_data=DecisionCB(action="reject", id=reg_id).pack()),
            ]
            for reg_id, label in rows
        ]
    )


def revoke_invitation(t: Translator, invitation_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=t("btn-revoke"), callback_data=RevokeInviteCB(id=invitation_id).pack())]
        ]
    )

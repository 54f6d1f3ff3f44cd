"""Buttons that open the Mini App (web_app buttons work in private chats) and the board's
browser link; the chat's menu button for staff."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, MenuButtonWebApp, WebAppInfo

from bot.i18n import Translator


def scanner(t: Translator, url: str) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text=t.plain("webapp-scanner-button"), web_app=WebAppInfo(url=url))
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def board(t: Translator, app_url: str, link: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=t.plain("webapp-board-button"), web_app=WebAppInfo(url=app_url))],
            [InlineKeyboardButton(text=t.plain("webapp-board-link-button"), url=link)],
        ]
    )


def menu(t: Translator, url: str) -> MenuButtonWebApp:
    return MenuButtonWebApp(text=t.plain("webapp-menu-button"), web_app=WebAppInfo(url=url))

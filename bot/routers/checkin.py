"""Door staff at the venue: /gate (where they scan: the entrance or a hall, in or out) and a
photo of a badge, checked in at that gate (bot/flows/door.py; a badge's deep link goes the
same way from /start).

Only door staff (admins included) learn anything from a badge; to everyone else a photo is
an unsupported message."""

from __future__ import annotations

import asyncio
import io

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import GateCB, GatePlaceCB
from bot.context import Ctx
from bot.flows import door
from bot.keyboards import checkin as kb
from bot.middlewares.preconditions import needs
from bot.texts.checkin import where_args
from core import badges
from core.checkin.qr_decode import decode_codes
from core.clock import Clock
from core.models import Conference, ScanDirection, StaffRoleName, pick
from core.programme import lookup

DOOR = needs(StaffRoleName.DOOR)


async def is_door_staff(message: Message, ctx: Ctx | None = None) -> bool:
    return ctx is not None and ctx.has(StaffRoleName.DOOR)


async def has_image(message: Message) -> bool:
    return bool(message.photo) or bool(message.document and (message.document.mime_type or "").startswith("image/"))


async def photo(
    message: Message,
    ctx: Ctx,
    conference: Conference,
    session: AsyncSession,
    bot: Bot,
    fsm_storage: BaseStorage,
    clock: Clock,
) -> None:
    image = message.photo[-1] if message.photo else message.document
    assert image is not None
    buffer = io.BytesIO()
    await bot.download(image, destination=buffer)
    codes = await asyncio.to_thread(decode_codes, buffer.getvalue())
    text = next((c for c in codes if badges.parse_scanned(c)), codes[0] if codes else None)
    if text is None:
        await message.answer(ctx.t("photo-no-code"))
        return
    await door.scan(message, text, ctx, conference, session, bot, fsm_storage, clock)


async def gate(
    message: Message,
    ctx: Ctx,
    conference: Conference,
    conference_id: int,
    session: AsyncSession,
    fsm_storage: BaseStorage,
    bot: Bot,
) -> None:
    choice = await door.current_gate(fsm_storage, bot, ctx.telegram_id)
    items = await lookup.hall_items(session, conference_id)
    await message.answer(
        ctx.t("gate-current", **where_args(ctx.t, choice)),
        reply_markup=kb.gates(ctx.t, items, ctx.language, conference.timezone),
    )


async def gate_place(
    query: CallbackQuery,
    callback_data: GatePlaceCB,
    ctx: Ctx,
    session: AsyncSession,
    fsm_storage: BaseStorage,
    bot: Bot,
    conference_id: int,
) -> None:
    choice = await door.current_gate(fsm_storage, bot, ctx.telegram_id)
    item = await lookup.agenda_item_by_id(session, conference_id, callback_data.item) if callback_data.item else None
    choice.item_id = item.id if item else None
    choice.label = (pick(item.hall, ctx.language) or pick(item.title, ctx.language)) if item else ""
    await door.choose_gate(fsm_storage, bot, ctx.telegram_id, choice)
    await query.answer(ctx.t.plain("gate-set", **where_args(ctx.t, choice)))


async def gate_direction(
    query: CallbackQuery, callback_data: GateCB, ctx: Ctx, fsm_storage: BaseStorage, bot: Bot
) -> None:
    choice = await door.current_gate(fsm_storage, bot, ctx.telegram_id)
    choice.direction = ScanDirection(callback_data.direction)
    await door.choose_gate(fsm_storage, bot, ctx.telegram_id, choice)
    await query.answer(ctx.t.plain("gate-set", **where_args(ctx.t, choice)))


def build() -> Router:
    router = Router(name="checkin")
    router.message.register(gate, Command("gate"), flags=DOOR)
    router.callback_query.register(gate_place, GatePlaceCB.filter(), flags=DOOR)
    router.callback_query.register(gate_direction, GateCB.filter(), flags=DOOR)
    router.message.register(photo, has_image, is_door_staff, flags=needs())
    return router

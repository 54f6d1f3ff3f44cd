"""The door: a badge scanned by door staff, from its deep link (`/start b_…`, any phone
camera opens it in the bot: see bot/routers/start.py) or from a photo (bot/routers/checkin.py),
checked in at the gate the staff member chose with /gate.

The chosen gate lives in its own FSM namespace ("destiny"), so finishing or cancelling a
wizard keeps it."""

from __future__ import annotations

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Ctx
from bot.states import GATE_DESTINY, GateChoice
from bot.texts.checkin import verdict_text
from core import app_settings, checkin
from core.clock import Clock
from core.models import Conference, StaffRoleName


def _gate_state(storage: BaseStorage, bot: Bot, user_id: int) -> FSMContext:
    return FSMContext(
        storage=storage, key=StorageKey(bot_id=bot.id, chat_id=user_id, user_id=user_id, destiny=GATE_DESTINY)
    )


async def current_gate(storage: BaseStorage, bot: Bot, user_id: int) -> GateChoice:
    data = await _gate_state(storage, bot, user_id).get_data()
    return GateChoice.model_validate(data.get("gate") or {})


async def choose_gate(storage: BaseStorage, bot: Bot, user_id: int, choice: GateChoice) -> None:
    await _gate_state(storage, bot, user_id).update_data(gate=choice.model_dump(mode="json"))


async def scan(
    message: Message,
    text: str,
    ctx: Ctx,
    conference: Conference,
    session: AsyncSession,
    bot: Bot,
    storage: BaseStorage,
    clock: Clock,
) -> None:
    """Check the badge's code `text` in at the staff member's gate, and show the verdict."""
    assert conference.id is not None
    choice = await current_gate(storage, bot, ctx.telegram_id)
    secret, _ = await app_settings.ensure_badge_secret(session, ctx.settings)
    verdict = await checkin.scan(
        session,
        conference_id=conference.id,
        text=text,
        staff_telegram_id=ctx.telegram_id,
        gate=choice.label or "entrance",
        agenda_item_id=choice.item_id,
        direction=choice.direction,
        nonce=f"tg:{message.chat.id}:{message.message_id}",
        secret=secret,
        clock=clock,
    )
    await message.answer(verdict_text(ctx.t, conference, verdict, choice))


async def badge_link(
    message: Message,
    payload: str,
    ctx: Ctx,
    conference: Conference,
    session: AsyncSession,
    bot: Bot,
    fsm_storage: BaseStorage,
    clock: Clock,
) -> None:
    """`/start b_<token>`: a badge's link. Only door staff learn anything from it; to anyone
    else it is just an invalid code."""
    if not ctx.has(StaffRoleName.DOOR):
        await message.answer(ctx.t("badge-link-unknown"))
        return
    await scan(message, payload, ctx, conference, session, bot, fsm_storage, clock)

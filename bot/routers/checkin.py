"""Door staff at the venue: a badge's deep link opens the bot, which checks them in.

Only door staff (admins included) learn anything from a badge link; to everyone else it
is just an invalid code. The gate chosen with /gate is kept in its own FSM namespace
("destiny"), so finishing or cancelling a wizard does not forget it."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import GateCB
from bot.context import Ctx
from bot.middlewares.roles import RoleMiddleware
from core.models import ScanDirection, StaffRoleName, pick
from core.services import badges, checkin
from core.services.checkin import Verdict

DOOR = {"role": StaffRoleName.DOOR}
ICONS = {"ok": "✅", "duplicate": "⚠️"}


class GateChoice(BaseModel):
    gate: str = "entrance"
    direction: ScanDirection = ScanDirection.IN


def _gate_state(storage: BaseStorage, bot: Bot, user_id: int) -> FSMContext:
    return FSMContext(storage=storage, key=StorageKey(bot_id=bot.id, chat_id=user_id, user_id=user_id, destiny="gate"))


async def current_gate(storage: BaseStorage, bot: Bot, user_id: int) -> GateChoice:
    data = await _gate_state(storage, bot, user_id).get_data()
    return GateChoice.model_validate(data.get("gate") or {})


def render_verdict(ctx: Ctx, v: Verdict) -> str:
    t = ctx.t
    icon = ICONS.get(v.result.value, "❌")
    lines = [f"{icon} <b>{t('verdict-' + v.result.value)}</b>"]
    if v.name is not None:
        lines.append(t("verdict-person", name=v.name or t("none"), native=v.native_name or "",
                       delegation=pick(v.delegation, ctx.language) if v.delegation else t("no-delegation"),
                       category=t(f"category-{v.category}") if v.category else t("none")))
    if v.already_at is not None:
        lines.append(t("verdict-already", at=v.already_at.strftime("%H:%M"), gate=v.already_gate or "",
                       by=str(v.already_by or "")))
    return "\n".join(lines)


async def badge_link(message: Message, payload: str, ctx: Ctx, session: AsyncSession, bot: Bot, fsm_storage: BaseStorage) -> None:
    if not ctx.has(StaffRoleName.DOOR) or ctx.conference is None or ctx.conference.id is None:
        await message.answer(ctx.t("badge-link-unknown"))
        return
    choice = await current_gate(fsm_storage, bot, ctx.telegram_id)
    secret, _ = await badges.ensure_badge_secret(session, ctx.settings)
    verdict = await checkin.scan(session, conference_id=ctx.conference.id, text=payload, staff_telegram_id=ctx.telegram_id,
                                 gate=choice.gate, direction=choice.direction, nonce=f"tg:{message.chat.id}:{message.message_id}",
                                 secret=secret)
    await message.answer(render_verdict(ctx, verdict))


async def gate(message: Message, ctx: Ctx, fsm_storage: BaseStorage, bot: Bot) -> None:
    choice = await current_gate(fsm_storage, bot, ctx.telegram_id)
    markup = InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=ctx.t("gate-in"), callback_data=GateCB(direction="in").pack()),
        InlineKeyboardButton(text=ctx.t("gate-out"), callback_data=GateCB(direction="out").pack()),
    ]])
    await message.answer(ctx.t("gate-current", gate=choice.gate, direction=ctx.t(f"gate-{choice.direction.value}")),
                         reply_markup=markup)


async def gate_direction(query: CallbackQuery, callback_data: GateCB, ctx: Ctx, fsm_storage: BaseStorage, bot: Bot) -> None:
    state = _gate_state(fsm_storage, bot, ctx.telegram_id)
    choice = await current_gate(fsm_storage, bot, ctx.telegram_id)
    choice.direction = ScanDirection(callback_data.direction)
    await state.update_data(gate=choice.model_dump(mode="json"))
    await query.answer(ctx.t("gate-current", gate=choice.gate, direction=ctx.t(f"gate-{choice.direction.value}")))


def build() -> Router:
    router = Router(name="checkin")
    router.message.middleware(RoleMiddleware())
    router.callback_query.middleware(RoleMiddleware())
    router.message.register(gate, Command("gate"), flags=DOOR)
    router.callback_query.register(gate_direction, GateCB.filter(), flags=DOOR)
    return router

"""Door staff at the venue: a badge's deep link (any phone camera opens it in the bot) or a
photo of a badge checks the person in at the place chosen with /gate.

Only door staff (admins included) learn anything from a badge; to everyone else a badge
link is just an invalid code and a photo is an unsupported message. The chosen gate lives
in its own FSM namespace ("destiny"), so finishing or cancelling a wizard keeps it."""

from __future__ import annotations

import asyncio
import io
from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.types import CallbackQuery, Message
from babel.dates import format_date
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import GateCB, GatePlaceCB
from bot.context import Ctx
from bot.i18n import Html, join
from bot.keyboards import checkin as kb
from bot.middlewares.preconditions import needs
from bot.states import GATE_DESTINY
from core.badges import badges
from core.checkin import checkin
from core.checkin.checkin import Verdict
from core.checkin.qr_decode import decode_codes
from core.clock import Clock
from core.models import Conference, ScanDirection, ScanResult, StaffRoleName, pick
from core.programme.lookup import agenda_item_by_id, hall_items

DOOR = needs(StaffRoleName.DOOR)
ICONS = {ScanResult.OK: "✅", ScanResult.DUPLICATE: "⚠️"}


class GateChoice(BaseModel):
    item_id: int | None = None  # None: the venue entrance
    label: str = ""
    direction: ScanDirection = ScanDirection.IN


def _gate_state(storage: BaseStorage, bot: Bot, user_id: int) -> FSMContext:
    return FSMContext(
        storage=storage, key=StorageKey(bot_id=bot.id, chat_id=user_id, user_id=user_id, destiny=GATE_DESTINY)
    )


async def current_gate(storage: BaseStorage, bot: Bot, user_id: int) -> GateChoice:
    data = await _gate_state(storage, bot, user_id).get_data()
    return GateChoice.model_validate(data.get("gate") or {})


def _where(ctx: Ctx, choice: GateChoice) -> dict[str, str]:
    return {"gate": choice.label or ctx.t("gate-entrance"), "direction": ctx.t(f"gate-{choice.direction.value}")}


def render_verdict(ctx: Ctx, conference: Conference, v: Verdict, choice: GateChoice) -> Html:
    t = ctx.t
    key = (
        "verdict-ok-out"
        if v.result == ScanResult.OK and v.direction == ScanDirection.OUT
        else f"verdict-{v.result.value}"
    )
    lines = [t("verdict-head", icon=ICONS.get(v.result, "❌"), verdict=t(key))]
    if v.name is not None:
        lines.append(
            t(
                "verdict-person",
                name=v.name or t("none"),
                native=v.native_name or "",
                delegation=pick(v.delegation, ctx.language) if v.delegation else t("no-delegation"),
                category=t(f"category-{v.category}") if v.category else t("none"),
            )
        )
    if v.already_at is not None:
        at = t.moment(v.already_at, conference.timezone, day=False)
        lines.append(t("verdict-already", at=at, gate=v.already_gate or "", by=str(v.already_by or "")))
    lines.append(t("verdict-where", **_where(ctx, choice)))
    today = v.at.astimezone(ZoneInfo(conference.timezone)).date()
    if not conference.first_day <= today <= conference.last_day:  # a wrong conference, or a wrong clock
        first, last = (format_date(d, "d MMM y", locale=t.locale) for d in (conference.first_day, conference.last_day))
        lines.append(t("verdict-outside-dates", first=first, last=last))
    return join(lines)


async def _scan(
    message: Message,
    text: str,
    ctx: Ctx,
    conference: Conference,
    session: AsyncSession,
    bot: Bot,
    storage: BaseStorage,
    clock: Clock,
) -> None:
    assert conference.id is not None
    choice = await current_gate(storage, bot, ctx.telegram_id)
    secret, _ = await badges.ensure_badge_secret(session, ctx.settings)
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
    await message.answer(render_verdict(ctx, conference, verdict, choice))


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
    """`/start b_<token>`, called by the start router."""
    if not ctx.has(StaffRoleName.DOOR):
        await message.answer(ctx.t("badge-link-unknown"))
        return
    await _scan(message, payload, ctx, conference, session, bot, fsm_storage, clock)


async def is_door_staff(message: Message, ctx: Ctx | None = None) -> bool:
    return ctx is not None and ctx.has(StaffRoleName.DOOR)


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
    await _scan(message, text, ctx, conference, session, bot, fsm_storage, clock)


async def has_image(message: Message) -> bool:
    return bool(message.photo) or bool(message.document and (message.document.mime_type or "").startswith("image/"))


async def gate(
    message: Message,
    ctx: Ctx,
    conference: Conference,
    conference_id: int,
    session: AsyncSession,
    fsm_storage: BaseStorage,
    bot: Bot,
) -> None:
    choice = await current_gate(fsm_storage, bot, ctx.telegram_id)
    items = await hall_items(session, conference_id)
    await message.answer(
        ctx.t("gate-current", **_where(ctx, choice)),
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
    choice = await current_gate(fsm_storage, bot, ctx.telegram_id)
    item = await agenda_item_by_id(session, conference_id, callback_data.item) if callback_data.item else None
    choice.item_id = item.id if item else None
    choice.label = (pick(item.hall, ctx.language) or pick(item.title, ctx.language)) if item else ""
    await _save(query, ctx, choice, fsm_storage, bot)


async def gate_direction(
    query: CallbackQuery, callback_data: GateCB, ctx: Ctx, fsm_storage: BaseStorage, bot: Bot
) -> None:
    choice = await current_gate(fsm_storage, bot, ctx.telegram_id)
    choice.direction = ScanDirection(callback_data.direction)
    await _save(query, ctx, choice, fsm_storage, bot)


async def _save(query: CallbackQuery, ctx: Ctx, choice: GateChoice, storage: BaseStorage, bot: Bot) -> None:
    await _gate_state(storage, bot, ctx.telegram_id).update_data(gate=choice.model_dump(mode="json"))
    await query.answer(ctx.t.plain("gate-set", **_where(ctx, choice)))


def build() -> Router:
    router = Router(name="checkin")
    router.message.register(gate, Command("gate"), flags=DOOR)
    router.callback_query.register(gate_place, GatePlaceCB.filter(), flags=DOOR)
    router.callback_query.register(gate_direction, GateCB.filter(), flags=DOOR)
    router.message.register(photo, has_image, is_door_staff, flags=needs())
    return router

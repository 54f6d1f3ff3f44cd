"""Heads of delegation: /delegation (members and seats), /invite, /register_member."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import RevokeInviteCB
from bot.context import Ctx
from bot.flows.signup import start_wizard
from bot.i18n import Html
from bot.keyboards import common as kb
from bot.middlewares.preconditions import needs
from bot.states import SignupDraft
from bot.texts.delegation import invitation_text, members_text
from core.accreditation import delegations, registration
from core.clock import utc_now
from core.errors import InvalidInput
from core.links import invitation_link
from core.models import Category, Conference, Delegation, StaffRoleName, pick
from core.text import one_line


async def _led(ctx: Ctx, session: AsyncSession, conference_id: int) -> Delegation | None:
    return await delegations.led_by(session, conference_id, ctx.telegram_id)


async def members(message: Message, ctx: Ctx, session: AsyncSession, conference_id: int) -> None:
    delegation = await _led(ctx, session, conference_id)
    if delegation is None or delegation.id is None:
        await message.answer(ctx.t("delegation-not-head"))
        return
    views = await registration.delegation_members(session, delegation.id)
    await message.answer(members_text(ctx.t, delegation, views))


def parse_invite_args(args: str | None) -> tuple[str | None, int | None, int | None, Category | None]:
    """`[CODE] [uses=N] [days=N] [category]` -> (code, uses, days, category)."""
    code = uses = days = category = None
    for word in (args or "").split():
        key, _, value = word.partition("=")
        if key in ("uses", "days") and value.isdigit() and int(value) > 0:
            uses, days = (int(value), days) if key == "uses" else (uses, int(value))
        elif word in {c.value for c in Category}:
            category = Category(word)
        elif code is None and not value:
            code = word
        else:
            raise InvalidInput(f"cannot read '{word}'", code="invite_usage")
    return code, uses, days, category


async def invite(
    message: Message,
    command: CommandObject,
    ctx: Ctx,
    session: AsyncSession,
    bot: Bot,
    conference: Conference,
    conference_id: int,
) -> None:
    try:
        code, uses, days, category = parse_invite_args(one_line(command.args or "", 200))
    except InvalidInput:
        await message.answer(ctx.t("invite-usage"))
        return
    delegation, refusal = await _to_invite_to(ctx, session, conference_id, code)
    if delegation is None:
        await message.answer(refusal)
        return
    expires = utc_now() + timedelta(days=days) if days else None
    invitation = await registration.create_invitation(
        session,
        conference_id,
        delegation_id=delegation.id,
        category=category,
        created_by=ctx.telegram_id,
        expires_at=expires,
        max_uses=uses,
    )
    link = invitation_link((await bot.me()).username or "", invitation.token)
    text = invitation_text(
        ctx.t, delegation, link, category=category, uses=uses, expires=expires, timezone=conference.timezone
    )
    await message.answer(text, reply_markup=kb.revoke_invitation(ctx.t, invitation.id or 0))


async def _to_invite_to(
    ctx: Ctx, session: AsyncSession, conference_id: int, code: str | None
) -> tuple[Delegation | None, Html]:
    """The delegation to invite to: a head's own (naming its code is optional), or, for an
    admin, the one the code names. None, and why not, when there is none."""
    delegation = await _led(ctx, session, conference_id)
    if ctx.has(StaffRoleName.ADMIN) and code:
        delegation = await delegations.by_code(session, conference_id, code)
        if delegation is None:
            return None, ctx.t("invite-unknown-delegation", code=code)
    if delegation is None:
        return None, ctx.t("invite-usage" if ctx.has(StaffRoleName.ADMIN) else "delegation-not-head")
    if code and code.upper() != delegation.code.upper():  # a head naming another delegation
        return None, ctx.t("invite-own-delegation-only", code=delegation.code)
    return delegation, Html("")


async def revoke(
    query: CallbackQuery, callback_data: RevokeInviteCB, ctx: Ctx, session: AsyncSession, conference_id: int
) -> None:
    await registration.revoke_invitation(
        session,
        callback_data.id,
        actor_telegram_id=ctx.telegram_id,
        conference_id=conference_id,
        is_admin=ctx.has(StaffRoleName.ADMIN),
    )
    await query.answer(ctx.t.plain("invite-revoked"))
    await query.message.edit_reply_markup(reply_markup=None)  # type: ignore[union-attr]


async def register_member(
    message: Message, state: FSMContext, ctx: Ctx, session: AsyncSession, conference_id: int
) -> None:
    delegation = await _led(ctx, session, conference_id)
    if delegation is None:
        await message.answer(ctx.t("delegation-not-head"))
        return
    await message.answer(ctx.t("behalf-start", delegation=pick(delegation.name, ctx.language)))
    draft = SignupDraft(mode="behalf", delegation_id=delegation.id, delegation_done=True, delegation_locked=True)
    await start_wizard(message, state, ctx, session, draft)


def build() -> Router:
    router = Router(name="delegation")
    router.message.register(members, Command("delegation"), flags=needs())
    router.message.register(invite, Command("invite"), flags=needs())
    router.callback_query.register(revoke, RevokeInviteCB.filter(), flags=needs())
    router.message.register(register_member, Command("register_member"), flags=needs())
    return router

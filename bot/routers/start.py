"""/start, with or without a deep-link payload: inv_ (invitation), bind_ (personal link),
b_ (a badge, for door staff)."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Ctx
from bot.flows.door import badge_link
from bot.flows.signup import start_wizard
from bot.middlewares.preconditions import needs
from bot.states import SignupDraft
from bot.texts.registration import me_text
from core import links
from core.accreditation import delegations, registration
from core.accreditation.registration import TelegramAccount
from core.clock import Clock
from core.models import Conference, pick


async def start(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    ctx: Ctx,
    session: AsyncSession,
    bot: Bot,
    fsm_storage: BaseStorage,
    conference: Conference,
    conference_id: int,
    clock: Clock,
) -> None:
    payload = (command.args or "").strip()
    if payload.startswith(links.BADGE):  # the door-staff path
        await badge_link(message, payload, ctx, conference, session, bot, fsm_storage, clock)
    elif payload.startswith(links.BIND):
        await _bind(message, payload.removeprefix(links.BIND), ctx, session)
    else:
        await _signup_or_status(message, payload, state, ctx, session, conference_id)


async def _signup_or_status(
    message: Message, payload: str, state: FSMContext, ctx: Ctx, session: AsyncSession, conference_id: int
) -> None:
    """Someone registered is shown their registration; anyone else starts the wizard (with
    what an invitation link settles already)."""
    mine = await registration.my_registration(session, conference_id, ctx.telegram_id)
    if mine is not None and mine.registration.status.value in ("pending", "approved"):
        await message.answer(me_text(ctx.t, ctx.conference_name, mine))
        return
    draft = SignupDraft()
    if payload.startswith(links.INVITATION):
        draft = await _invited(message, payload.removeprefix(links.INVITATION), ctx, session, conference_id)
    await start_wizard(message, state, ctx, session, draft)


async def _invited(message: Message, token: str, ctx: Ctx, session: AsyncSession, conference_id: int) -> SignupDraft:
    """The invitation's welcome, and a draft with its delegation and category settled."""
    invitation = await registration.invitation_by_token(session, conference_id, token)
    delegation = await delegations.get(session, conference_id, invitation.delegation_id)
    if delegation is not None:
        await message.answer(ctx.t("invite-welcome", delegation=pick(delegation.name, ctx.language)))
    return SignupDraft(
        invitation_token=invitation.token,
        delegation_id=invitation.delegation_id,
        delegation_locked=invitation.delegation_id is not None,
        delegation_done=True,
        category=invitation.category,
        category_locked=invitation.category is not None,
    )


async def _bind(message: Message, token: str, ctx: Ctx, session: AsyncSession) -> None:
    account = TelegramAccount(ctx.telegram_id, message.from_user.username if message.from_user else None, ctx.language)
    bound = await registration.bind_account(session, token, account)
    await message.answer(ctx.t("bind-done", name=bound.participant.full_name))


def build() -> Router:
    router = Router(name="start")
    router.message.register(start, CommandStart(), flags=needs())
    return router

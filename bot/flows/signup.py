"""The sign-up wizard's moves, for every router that starts or drives it: `start_wizard`
(from /start, an invitation, /edit, /register_member; `draft_to_edit` fills the draft for
/edit) and `ask_next`, which asks for the first thing the draft still lacks, or shows the
summary. Its answers are handled in bot/routers/signup.py."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Ctx
from bot.i18n import Html, Translator
from bot.keyboards import signup as kb
from bot.states import Signup, SignupDraft, save
from bot.texts.signup import question, summary_text
from core.accreditation import delegations
from core.accreditation.registration import RegistrationView


async def start_wizard(
    message: Message, state: FSMContext, ctx: Ctx, session: AsyncSession, draft: SignupDraft
) -> None:
    await state.clear()
    if draft.mode == "self":
        await message.answer(ctx.t("welcome", conference=ctx.conference_name))
    await ask_next(message, state, draft, ctx, session)


async def ask_next(message: Message, state: FSMContext, draft: SignupDraft, ctx: Ctx, session: AsyncSession) -> None:
    """Ask for the first thing the draft lacks, or show the summary."""
    t = ctx.t
    await save(state, draft)
    asked = _next_question(t, draft)
    if asked is not None:
        step, text, markup = asked
        await state.set_state(step)
        await message.answer(text, reply_markup=markup)
        return
    await state.set_state(Signup.summary)
    conference_id = ctx.conference.id if ctx.conference else None
    delegation = await delegations.get(session, conference_id, draft.delegation_id) if conference_id else None
    await message.answer(summary_text(t, draft, delegation), reply_markup=kb.summary(t))


def _next_question(t: Translator, draft: SignupDraft) -> tuple[State, Html, InlineKeyboardMarkup | None] | None:
    """The step the draft is missing, with its question and buttons; None when complete."""
    if not draft.full_name:
        return Signup.name, question(t, draft, "ask-full-name"), None
    if not draft.native_done:
        return Signup.native_name, question(t, draft, "ask-native-name"), kb.skip(t, "native")
    if not (draft.delegation_done or draft.delegation_locked):
        return Signup.delegation, t("ask-delegation"), kb.kinds(t)
    if draft.category is None:
        allowed = delegations.selectable_categories(draft.delegation_id is not None)
        return Signup.category, t("ask-category"), kb.categories(t, allowed)
    if not draft.position:
        return Signup.position, question(t, draft, "ask-position"), None
    if not draft.organisation_done:
        return Signup.organisation, question(t, draft, "ask-organisation"), kb.skip(t, "organisation")
    if draft.mode != "edit" and not draft.consent:
        return Signup.consent, question(t, draft, "ask-consent"), kb.consent(t)
    return None


def draft_to_edit(mine: RegistrationView) -> SignupDraft:
    """/edit: the wizard's draft filled from the registration, so that it goes straight to
    the summary; a delegation and a category an invitation set stay as they are."""
    p, r = mine.participant, mine.registration
    return SignupDraft(
        mode="edit",
        registration_id=r.id,
        full_name=p.full_name,
        native_name=p.native_name,
        native_done=True,
        delegation_id=r.delegation_id,
        delegation_done=True,
        delegation_locked=r.invitation_id is not None,
        category=r.category,
        category_locked=r.invitation_id is not None,
        position=p.position,
        organisation=p.organisation,
        organisation_done=True,
        consent=True,
    )

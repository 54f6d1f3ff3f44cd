"""The sign-up wizard's answers: one question at a time, driven by what the draft still lacks
(bot/flows/signup.py asks; here each answer is taken and the next question asked).

The same steps serve a person registering themselves (`self`), editing their data
(`edit`) and a head of delegation registering a member (`behalf`)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import notify
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
from bot.context import Ctx
from bot.filters import has_text, no_text, not_command
from bot.flows.signup import ask_next
from bot.keyboards import signup as kb
from bot.middlewares.preconditions import needs
from bot.states import Signup, SignupDraft, load
from bot.texts.signup import registered_text
from core.accreditation import delegations, registration, validation
from core.accreditation.registration import PersonData, TelegramAccount
from core.models import Category, Conference, DelegationKind, RegistrationStatus
from core.text import one_line

# -- typed answers -------------------------------------------------------------------------------


async def got_name(message: Message, state: FSMContext, ctx: Ctx, session: AsyncSession) -> None:
    draft = await load(state, SignupDraft)
    draft.full_name = validation.latin_name(message.text or "")
    await ask_next(message, state, draft, ctx, session)


async def got_native(message: Message, state: FSMContext, ctx: Ctx, session: AsyncSession) -> None:
    draft = await load(state, SignupDraft)
    draft.native_name, draft.native_done = validation.native_name(message.text or ""), True
    await ask_next(message, state, draft, ctx, session)


async def got_position(message: Message, state: FSMContext, ctx: Ctx, session: AsyncSession) -> None:
    draft = await load(state, SignupDraft)
    draft.position = validation.free_text(message.text or "", "position", max_len=300)
    await ask_next(message, state, draft, ctx, session)


async def got_organisation(message: Message, state: FSMContext, ctx: Ctx, session: AsyncSession) -> None:
    draft = await load(state, SignupDraft)
    text = validation.free_text(message.text or "", "organisation", max_len=300)
    draft.organisation, draft.organisation_done = text, True
    await ask_next(message, state, draft, ctx, session)


async def skipped(
    query: CallbackQuery, callback_data: SkipCB, state: FSMContext, ctx: Ctx, session: AsyncSession
) -> None:
    draft = await load(state, SignupDraft)
    if callback_data.step == "native":
        draft.native_name, draft.native_done = None, True
    else:
        draft.organisation, draft.organisation_done = None, True
    await query.answer()
    await ask_next(query.message, state, draft, ctx, session)  # type: ignore[arg-type]


# -- the delegation and the category -----------------------------------------------------------


async def picked_kind(
    query: CallbackQuery, callback_data: KindCB, state: FSMContext, ctx: Ctx, session: AsyncSession, conference_id: int
) -> None:
    await query.answer()
    await _show_page(query, ctx, session, conference_id, callback_data.kind, 0)


async def picked_no_delegation(query: CallbackQuery, state: FSMContext, ctx: Ctx, session: AsyncSession) -> None:
    await query.answer()
    draft = await load(state, SignupDraft)
    draft.delegation_id, draft.delegation_done = None, True
    if draft.category not in delegations.selectable_categories(False):
        draft.category = None
    await ask_next(query.message, state, draft, ctx, session)  # type: ignore[arg-type]


async def turned_page(
    query: CallbackQuery, callback_data: DelegationPageCB, ctx: Ctx, session: AsyncSession, conference_id: int
) -> None:
    await query.answer()
    if callback_data.kind == "kinds":
        await query.message.edit_text(ctx.t("ask-delegation"), reply_markup=kb.kinds(ctx.t))  # type: ignore[union-attr]
        return
    await _show_page(query, ctx, session, conference_id, callback_data.kind, callback_data.page)


async def _show_page(
    query: CallbackQuery, ctx: Ctx, session: AsyncSession, conference_id: int, kind: str, page: int
) -> None:
    found = await delegations.page_of_kind(session, conference_id, DelegationKind(kind), page, language=ctx.language)
    text = ctx.t("ask-delegation-list", kind=ctx.t(f"kind-{kind}"), page=found.page + 1, pages=found.pages)
    markup = kb.delegations(ctx.t, found.items, ctx.language, kind=kind, page=found.page, pages=found.pages)
    await query.message.edit_text(text, reply_markup=markup)  # type: ignore[union-attr]


async def searched(message: Message, ctx: Ctx, session: AsyncSession, conference_id: int) -> None:
    query = one_line(message.text or "", 60)
    found = await delegations.search(session, conference_id, query)
    if not found:
        await message.answer(ctx.t("search-none", query=query), reply_markup=kb.kinds(ctx.t))
        return
    await message.answer(ctx.t("search-results", query=query), reply_markup=kb.delegations(ctx.t, found, ctx.language))


async def picked_delegation(
    query: CallbackQuery,
    callback_data: DelegationCB,
    state: FSMContext,
    ctx: Ctx,
    session: AsyncSession,
    conference_id: int,
) -> None:
    delegation = await delegations.get(session, conference_id, callback_data.id)
    if delegation is None:
        await query.answer(ctx.t.plain("button-expired"), show_alert=True)
        return
    await query.answer()
    draft = await load(state, SignupDraft)
    draft.delegation_id, draft.delegation_done = delegation.id, True
    if draft.category not in delegations.selectable_categories(True):
        draft.category = None
    await ask_next(query.message, state, draft, ctx, session)  # type: ignore[arg-type]


async def picked_category(
    query: CallbackQuery, callback_data: CategoryCB, state: FSMContext, ctx: Ctx, session: AsyncSession
) -> None:
    draft = await load(state, SignupDraft)
    category = Category(callback_data.value)
    if category not in delegations.selectable_categories(draft.delegation_id is not None):
        await query.answer(ctx.t.plain("button-expired"), show_alert=True)
        return
    await query.answer()
    draft.category = category
    await ask_next(query.message, state, draft, ctx, session)  # type: ignore[arg-type]


async def consented(
    query: CallbackQuery, callback_data: ConsentCB, state: FSMContext, ctx: Ctx, session: AsyncSession
) -> None:
    await query.answer()
    if not callback_data.agree:
        await query.message.answer(ctx.t("consent-required"), reply_markup=kb.consent(ctx.t))  # type: ignore[union-attr]
        return
    draft = await load(state, SignupDraft)
    draft.consent = True
    await ask_next(query.message, state, draft, ctx, session)  # type: ignore[arg-type]


# -- the summary: cancel, change a field, confirm ----------------------------------------------------


async def cancelled(query: CallbackQuery, state: FSMContext, ctx: Ctx) -> None:
    await query.answer()
    await state.clear()
    await query.message.answer(ctx.t("cancelled"))  # type: ignore[union-attr]


async def to_edit(query: CallbackQuery, state: FSMContext, ctx: Ctx) -> None:
    """The fields that may be changed (not a delegation or category an invitation set)."""
    await query.answer()
    draft = await load(state, SignupDraft)
    editable = tuple(
        f
        for f in kb.FIELDS
        if not (f == "delegation" and draft.delegation_locked) and not (f == "category" and draft.category_locked)
    )
    await query.message.answer(ctx.t("summary-edit"), reply_markup=kb.fields(ctx.t, editable))  # type: ignore[union-attr]


async def edit_field(
    query: CallbackQuery, callback_data: FieldCB, state: FSMContext, ctx: Ctx, session: AsyncSession
) -> None:
    await query.answer()
    draft = await load(state, SignupDraft)
    name = callback_data.field
    if name == "full_name":
        draft.full_name = None
    elif name == "native_name":
        draft.native_name, draft.native_done = None, False
    elif name == "delegation" and not draft.delegation_locked:
        draft.delegation_done = False
    elif name == "category" and not draft.category_locked:
        draft.category = None
    elif name == "position":
        draft.position = None
    elif name == "organisation":
        draft.organisation, draft.organisation_done = None, False
    await ask_next(query.message, state, draft, ctx, session)  # type: ignore[arg-type]


def _person(draft: SignupDraft, ctx: Ctx) -> PersonData:
    assert draft.full_name  # the summary is shown only when the name is known
    return PersonData(
        full_name=draft.full_name,
        native_name=draft.native_name,
        position=draft.position,
        organisation=draft.organisation,
        language=ctx.language if draft.mode != "behalf" else None,
    )


async def confirmed(
    query: CallbackQuery,
    state: FSMContext,
    ctx: Ctx,
    session: AsyncSession,
    bot: Bot,
    conference: Conference,
    conference_id: int,
) -> None:
    await query.answer()
    message: Message = query.message  # type: ignore[assignment]
    draft = await load(state, SignupDraft)
    if draft.mode == "edit":
        await _save_edit(message, draft, state, ctx, session, bot, conference_id)
    else:
        await _register(message, draft, state, ctx, session, bot, conference)


async def _save_edit(
    message: Message,
    draft: SignupDraft,
    state: FSMContext,
    ctx: Ctx,
    session: AsyncSession,
    bot: Bot,
    conference_id: int,
) -> None:
    """/edit confirmed: the changes saved (an approved registration whose name or delegation
    changed goes back to the officers)."""
    assert draft.registration_id is not None and draft.category  # an /edit draft, complete
    result = await registration.update_person(
        session,
        draft.registration_id,
        _person(draft, ctx),
        delegation_id=draft.delegation_id,
        category=draft.category,
        actor_telegram_id=ctx.telegram_id,
    )
    await state.clear()
    await message.answer(
        ctx.t("edit-saved-pending" if result.needs_review else "edit-saved" if result.changed else "edit-nothing")
    )
    if result.needs_review:
        await notify.officers_of_new(bot, session, ctx, conference_id, result)


async def _register(
    message: Message,
    draft: SignupDraft,
    state: FSMContext,
    ctx: Ctx,
    session: AsyncSession,
    bot: Bot,
    conference: Conference,
) -> None:
    """A new registration: the person's own, or a member's by their head of delegation."""
    assert draft.category  # the summary is shown only when the category is known
    behalf = draft.mode == "behalf"
    result = await registration.register(
        session,
        conference,
        _person(draft, ctx),
        category=draft.category,
        delegation_id=draft.delegation_id,
        account=None if behalf else TelegramAccount(ctx.telegram_id, message.chat.username, ctx.language),
        invitation_token=draft.invitation_token,
        registered_by=ctx.telegram_id if behalf else None,
        personal_link=behalf,
    )
    await state.clear()
    pending = result.registration.status == RegistrationStatus.PENDING
    told = await notify.officers(session, ctx, conference.id or 0) if pending else []  # in this transaction
    username = ((await bot.me()).username or "") if behalf else ""  # for the member's personal link
    await message.answer(registered_text(ctx.t, result, behalf=behalf, bot_username=username))
    if pending:
        await notify.officers_of_new(bot, session, ctx, conference.id or 0, result, told)


# -- anything else while the wizard waits -------------------------------------------------------------


async def not_text(message: Message, ctx: Ctx) -> None:
    await message.answer(ctx.t("hint-text-expected"))


async def not_text_delegation(message: Message, ctx: Ctx) -> None:
    await message.answer(ctx.t("hint-use-buttons"))


async def expected_button(message: Message, ctx: Ctx) -> None:
    await message.answer(ctx.t("hint-press-button"))


def build() -> Router:
    router = Router(name="signup")
    cb = router.callback_query
    router.message.register(got_name, StateFilter(Signup.name), has_text)
    router.message.register(got_native, StateFilter(Signup.native_name), has_text)
    router.message.register(got_position, StateFilter(Signup.position), has_text)
    router.message.register(got_organisation, StateFilter(Signup.organisation), has_text)
    cb.register(skipped, StateFilter(Signup.native_name), SkipCB.filter())
    cb.register(skipped, StateFilter(Signup.organisation), SkipCB.filter())
    cb.register(picked_no_delegation, StateFilter(Signup.delegation), KindCB.filter(F.kind == "none"), flags=needs())
    cb.register(picked_kind, StateFilter(Signup.delegation), KindCB.filter(), flags=needs())
    cb.register(turned_page, StateFilter(Signup.delegation), DelegationPageCB.filter(), flags=needs())
    router.message.register(searched, StateFilter(Signup.delegation), has_text, flags=needs())
    cb.register(picked_delegation, StateFilter(Signup.delegation), DelegationCB.filter(), flags=needs())
    cb.register(picked_category, StateFilter(Signup.category), CategoryCB.filter())
    cb.register(consented, StateFilter(Signup.consent), ConsentCB.filter())
    summary = StateFilter(Signup.summary)
    cb.register(cancelled, summary, SummaryCB.filter(F.action == "cancel"), flags=needs())
    cb.register(to_edit, summary, SummaryCB.filter(F.action == "edit"), flags=needs())
    cb.register(confirmed, summary, SummaryCB.filter(F.action == "confirm"), flags=needs())
    cb.register(edit_field, summary, FieldCB.filter())
    for step in (Signup.name, Signup.native_name, Signup.position, Signup.organisation):
        router.message.register(not_text, StateFilter(step), no_text)
    router.message.register(not_text_delegation, StateFilter(Signup.delegation), no_text)
    for step in (Signup.category, Signup.consent, Signup.summary):
        router.message.register(expected_button, StateFilter(step), not_command)
    return router

"""The sign-up wizard: one question at a time, driven by what the draft still lacks.

The same steps serve a person registering themselves (`self`), editing their data
(`edit`) and a head of delegation registering a member (`behalf`)."""

from __future__ import annotations

from aiogram import Bot, Router
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
from bot.keyboards import signup as kb
from bot.middlewares.preconditions import needs
from bot.render import person_args
from bot.states import Signup, SignupDraft, load, save
from core.accreditation import delegations, registration, validation
from core.accreditation.registration import PersonData, TelegramAccount
from core.links import bind_link
from core.models import Category, Conference, DelegationKind, RegistrationStatus
from core.text import one_line


def _for(draft: SignupDraft, key: str) -> str:
    """The question's wording for who answers: the person, or a head registering a member."""
    return f"{key}-behalf" if draft.mode == "behalf" else key


async def ask_next(message: Message, state: FSMContext, draft: SignupDraft, ctx: Ctx, session: AsyncSession) -> None:
    """Ask for the first thing the draft lacks, or show the summary."""
    t = ctx.t
    await save(state, draft)
    if not draft.full_name:
        await state.set_state(Signup.name)
        await message.answer(t(_for(draft, "ask-full-name")))
    elif not draft.native_done:
        await state.set_state(Signup.native_name)
        await message.answer(t(_for(draft, "ask-native-name")), reply_markup=kb.skip(t, "native"))
    elif not (draft.delegation_done or draft.delegation_locked):
        await state.set_state(Signup.delegation)
        await message.answer(t("ask-delegation"), reply_markup=kb.kinds(t))
    elif draft.category is None:
        await state.set_state(Signup.category)
        allowed = delegations.selectable_categories(draft.delegation_id is not None)
        await message.answer(t("ask-category"), reply_markup=kb.categories(t, allowed))
    elif not draft.position:
        await state.set_state(Signup.position)
        await message.answer(t(_for(draft, "ask-position")))
    elif not draft.organisation_done:
        await state.set_state(Signup.organisation)
        await message.answer(t(_for(draft, "ask-organisation")), reply_markup=kb.skip(t, "organisation"))
    elif draft.mode != "edit" and not draft.consent:
        await state.set_state(Signup.consent)
        await message.answer(t(_for(draft, "ask-consent")), reply_markup=kb.consent(t))
    else:
        await state.set_state(Signup.summary)
        delegation = (
            await delegations.get(session, ctx.conference.id, draft.delegation_id)
            if ctx.conference and ctx.conference.id
            else None
        )
        args = person_args(
            t,
            name=draft.full_name,
            native=draft.native_name,
            delegation=delegation,
            category=draft.category,
            position=draft.position,
            organisation=draft.organisation,
        )
        await message.answer(t("summary", **args), reply_markup=kb.summary(t))


async def start_wizard(
    message: Message, state: FSMContext, ctx: Ctx, session: AsyncSession, draft: SignupDraft
) -> None:
    await state.clear()
    if draft.mode == "self":
        await message.answer(ctx.t("welcome", conference=ctx.conference_name))
    await ask_next(message, state, draft, ctx, session)


async def _text_step(message: Message, state: FSMContext, ctx: Ctx, session: AsyncSession, field: str) -> None:
    draft = await load(state, SignupDraft)
    text = message.text or ""
    if field == "full_name":
        draft.full_name = validation.latin_name(text)
    elif field == "native_name":
        draft.native_name, draft.native_done = validation.native_name(text), True
    elif field == "position":
        draft.position = validation.free_text(text, "position", max_len=300)
    elif field == "organisation":
        draft.organisation, draft.organisation_done = validation.free_text(text, "organisation", max_len=300), True
    await ask_next(message, state, draft, ctx, session)


async def got_name(message: Message, state: FSMContext, ctx: Ctx, session: AsyncSession) -> None:
    await _text_step(message, state, ctx, session, "full_name")


async def got_native(message: Message, state: FSMContext, ctx: Ctx, session: AsyncSession) -> None:
    await _text_step(message, state, ctx, session, "native_name")


async def got_position(message: Message, state: FSMContext, ctx: Ctx, session: AsyncSession) -> None:
    await _text_step(message, state, ctx, session, "position")


async def got_organisation(message: Message, state: FSMContext, ctx: Ctx, session: AsyncSession) -> None:
    await _text_step(message, state, ctx, session, "organisation")


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


async def picked_kind(
    query: CallbackQuery, callback_data: KindCB, state: FSMContext, ctx: Ctx, session: AsyncSession, conference_id: int
) -> None:
    await query.answer()
    if callback_data.kind == "none":
        draft = await load(state, SignupDraft)
        draft.delegation_id, draft.delegation_done = None, True
        if draft.category not in delegations.selectable_categories(False):
            draft.category = None
        await ask_next(query.message, state, draft, ctx, session)  # type: ignore[arg-type]
        return
    await _show_page(query, ctx, session, conference_id, callback_data.kind, 0)


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


async def summary_action(
    query: CallbackQuery,
    callback_data: SummaryCB,
    state: FSMContext,
    ctx: Ctx,
    session: AsyncSession,
    bot: Bot,
    conference: Conference,
    conference_id: int,
) -> None:
    await query.answer()
    message: Message = query.message  # type: ignore[assignment]
    if callback_data.action == "cancel":
        await state.clear()
        await message.answer(ctx.t("cancelled"))
    elif callback_data.action == "edit":
        draft = await load(state, SignupDraft)
        editable = tuple(
            f
            for f in kb.FIELDS
            if not (f == "delegation" and draft.delegation_locked) and not (f == "category" and draft.category_locked)
        )
        await message.answer(ctx.t("summary-edit"), reply_markup=kb.fields(ctx.t, editable))
    else:
        await _confirm(message, state, ctx, session, bot, conference, conference_id)


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


async def _confirm(
    message: Message,
    state: FSMContext,
    ctx: Ctx,
    session: AsyncSession,
    bot: Bot,
    conference: Conference,
    conference_id: int,
) -> None:
    draft = await load(state, SignupDraft)
    assert draft.full_name and draft.category  # the summary is shown only when both are known
    person = PersonData(
        full_name=draft.full_name,
        native_name=draft.native_name,
        position=draft.position,
        organisation=draft.organisation,
        language=ctx.language if draft.mode != "behalf" else None,
    )
    if draft.mode == "edit":
        assert draft.registration_id is not None
        result = await registration.update_person(
            session,
            draft.registration_id,
            person,
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
        return
    behalf = draft.mode == "behalf"
    result = await registration.register(
        session,
        conference,
        person,
        category=draft.category,
        delegation_id=draft.delegation_id,
        account=None if behalf else TelegramAccount(ctx.telegram_id, message.chat.username, ctx.language),
        invitation_token=draft.invitation_token,
        registered_by=ctx.telegram_id if behalf else None,
        personal_link=behalf,
    )
    await state.clear()
    if behalf:
        status = ctx.t(f"status-{result.registration.status.value}")
        token = result.registration.bind_token
        username = (await bot.me()).username or ""
        if token:
            await message.answer(
                ctx.t(
                    "behalf-registered",
                    name=result.participant.full_name,
                    status=status,
                    link=bind_link(username, token),
                )
            )
        else:
            await message.answer(ctx.t("behalf-no-link", name=result.participant.full_name, status=status))
    elif result.registration.status == RegistrationStatus.APPROVED:
        await message.answer(ctx.t("registered-approved"))
    else:
        await message.answer(ctx.t("registered-pending"))
    if result.registration.status == RegistrationStatus.PENDING:
        await notify.officers_of_new(bot, session, ctx, conference_id, result)


async def not_text(message: Message, ctx: Ctx) -> None:
    await message.answer(ctx.t("hint-text-expected"))


async def not_text_delegation(message: Message, ctx: Ctx) -> None:
    await message.answer(ctx.t("hint-use-buttons"))


async def expected_button(message: Message, ctx: Ctx) -> None:
    await message.answer(ctx.t("hint-press-button"))


def build() -> Router:
    router = Router(name="signup")
    router.message.register(got_name, StateFilter(Signup.name), has_text)
    router.message.register(got_native, StateFilter(Signup.native_name), has_text)
    router.message.register(got_position, StateFilter(Signup.position), has_text)
    router.message.register(got_organisation, StateFilter(Signup.organisation), has_text)
    router.callback_query.register(skipped, StateFilter(Signup.native_name), SkipCB.filter())
    router.callback_query.register(skipped, StateFilter(Signup.organisation), SkipCB.filter())
    router.callback_query.register(picked_kind, StateFilter(Signup.delegation), KindCB.filter(), flags=needs())
    router.callback_query.register(
        turned_page, StateFilter(Signup.delegation), DelegationPageCB.filter(), flags=needs()
    )
    router.message.register(searched, StateFilter(Signup.delegation), has_text, flags=needs())
    router.callback_query.register(
        picked_delegation, StateFilter(Signup.delegation), DelegationCB.filter(), flags=needs()
    )
    router.callback_query.register(picked_category, StateFilter(Signup.category), CategoryCB.filter())
    router.callback_query.register(consented, StateFilter(Signup.consent), ConsentCB.filter())
    router.callback_query.register(summary_action, StateFilter(Signup.summary), SummaryCB.filter(), flags=needs())
    router.callback_query.register(edit_field, StateFilter(Signup.summary), FieldCB.filter())
    router.message.register(not_text, StateFilter(Signup.name), no_text)
    router.message.register(not_text, StateFilter(Signup.native_name), no_text)
    router.message.register(not_text, StateFilter(Signup.position), no_text)
    router.message.register(not_text, StateFilter(Signup.organisation), no_text)
    router.message.register(not_text_delegation, StateFilter(Signup.delegation), no_text)
    router.message.register(expected_button, StateFilter(Signup.category), not_command)
    router.message.register(expected_button, StateFilter(Signup.consent), not_command)
    router.message.register(expected_button, StateFilter(Signup.summary), not_command)
    return router

"""What the sign-up wizard says: its questions, worded for who answers (the person, or a
head of delegation registering a member), the summary to confirm, and the outcome."""

from __future__ import annotations

from bot.i18n import Html, Translator
from bot.states import SignupDraft
from bot.texts.registration import person_args
from core.accreditation.registration import RegistrationView
from core.links import bind_link
from core.models import Delegation, RegistrationStatus


def question(t: Translator, draft: SignupDraft, key: str) -> Html:
    """The question `key` (e.g. "ask-position") as the person is asked it, or its "-behalf"
    wording for a head registering a member."""
    return t(f"{key}-behalf" if draft.mode == "behalf" else key)


def summary_text(t: Translator, draft: SignupDraft, delegation: Delegation | None) -> Html:
    args = person_args(
        t,
        name=draft.full_name,
        native=draft.native_name,
        delegation=delegation,
        category=draft.category,
        position=draft.position,
        organisation=draft.organisation,
    )
    return t("summary", **args)


def registered_text(t: Translator, result: RegistrationView, *, behalf: bool, bot_username: str) -> Html:
    """What the wizard says once the registration is made: to the person, whether it waits
    for approval; to a head registering a member, the member's personal link to pass on."""
    if not behalf:
        approved = result.registration.status == RegistrationStatus.APPROVED
        return t("registered-approved") if approved else t("registered-pending")
    status = t(f"status-{result.registration.status.value}")
    token = result.registration.bind_token
    if token:
        link = bind_link(bot_username, token)
        return t("behalf-registered", name=result.participant.full_name, status=status, link=link)
    return t("behalf-no-link", name=result.participant.full_name, status=status)

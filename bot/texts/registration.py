"""A registration in words: a person's data as locale arguments (`person_args`,
`registration_args`), /me, the officers' /pending list and new-registration card, the
note that someone else decided first, and the decision as the participant learns it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.i18n import Html, Translator, join
from core.accreditation.registration import RegistrationView
from core.errors import DomainError
from core.models import Category, Conference, Delegation, Participant, Registration, RegistrationStatus, pick


def person_args(
    t: Translator,
    *,
    name: str | None,
    native: str | None,
    delegation: Delegation | None,
    category: Category | None,
    position: str | None,
    organisation: str | None,
) -> dict[str, str]:
    dash = t("none")
    return {
        "name": name or dash,
        "native": native or dash,
        "delegation": pick(delegation.name, t.language) if delegation else t("no-delegation"),
        "category": t(f"category-{category.value}") if category else dash,
        "position": position or dash,
        "organisation": organisation or dash,
    }


def registration_args(t: Translator, v: RegistrationView) -> dict[str, str]:
    """The person's data and the registration's status, as the locale texts name them."""
    p: Participant = v.participant
    r: Registration = v.registration
    args = person_args(
        t,
        name=p.full_name,
        native=p.native_name,
        delegation=v.delegation,
        category=r.category,
        position=p.position,
        organisation=p.organisation,
    )
    args["status"] = t(f"status-{r.status.value}")
    return args


def me_text(t: Translator, conference_name: str, mine: RegistrationView) -> Html:
    """/me: the registration as it stands (a rejection with its reason)."""
    text = t("me", conference=conference_name, **registration_args(t, mine))
    if mine.registration.status == RegistrationStatus.REJECTED and mine.registration.decision_reason:
        text = join([text, t("me-reason", reason=mine.registration.decision_reason)])
    return text


def pending_text(t: Translator, views: Sequence[RegistrationView], total: int) -> Html:
    lines = [t("pending-list", total=total)]
    lines += [t("pending-item", id=v.registration.id or 0, **registration_args(t, v)) for v in views]
    if total > len(views):
        lines.append(t("pending-more", more=total - len(views)))
    return join(lines)


def officer_new_text(t: Translator, view: RegistrationView) -> Html:
    """The card an officer gets for a registration to decide on."""
    return t("officer-new", id=view.registration.id or 0, **registration_args(t, view))


def already_decided_text(t: Translator, conference: Conference, exc: DomainError) -> Html:
    """Who decided the registration before this officer, and when (conference time)."""
    at = exc.params.get("at")
    when = t.moment(at, conference.timezone) if isinstance(at, datetime) else "—"
    return t(
        "officer-already-decided",
        id=int(exc.params.get("id") or 0),
        status=str(exc.params.get("status") or ""),
        by=str(exc.params.get("by") or t("decided-by-system")),
        at=when,
    )


def decision_text(t: Translator, conference: Conference, view: RegistrationView) -> Html:
    """The decision as the participant learns it."""
    name = pick(conference.name, t.language)
    if view.registration.status == RegistrationStatus.APPROVED:
        return t("participant-approved", conference=name)
    return t("participant-rejected", conference=name, reason=view.registration.decision_reason)

"""Turning domain objects into locale arguments (no strings of our own here)."""

from __future__ import annotations

from bot.i18n import Translator
from core.accreditation.registration import RegistrationView
from core.models import Category, Delegation, Participant, Registration, pick


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


def view_args(t: Translator, v: RegistrationView) -> dict[str, str]:
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


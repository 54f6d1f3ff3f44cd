"""What a head of delegation is told: the members and the seats taken (/delegation), and a
new invitation with its link (/invite)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.i18n import Html, Translator, join
from bot.texts.registration import registration_args
from core.accreditation.registration import RegistrationView
from core.models import Category, Delegation, pick


def members_text(t: Translator, delegation: Delegation, views: Sequence[RegistrationView]) -> Html:
    taken = sum(1 for v in views if v.registration.status.value in ("pending", "approved"))
    lines = [
        t(
            "delegation-members",
            delegation=pick(delegation.name, t.language),
            taken=taken,
            quota=str(delegation.quota) if delegation.quota is not None else t("unlimited"),
        )
    ]
    lines += [t("delegation-member", **registration_args(t, v)) for v in views] or [t("delegation-empty")]
    return join(lines)


def invitation_text(
    t: Translator,
    delegation: Delegation,
    link: str,
    *,
    category: Category | None,
    uses: int | None,
    expires: datetime | None,
    timezone: str,
) -> Html:
    return t(
        "invite-created",
        delegation=pick(delegation.name, t.language),
        link=link,
        category=t("invite-category", category=t(f"category-{category.value}")) if category else "",
        uses=str(uses) if uses else t("unlimited"),
        expires=t.moment(expires, timezone) if expires else t("none"),
    )

"""Registrations: a person's accreditation for a conference, from sign-up to decision.

- `values`: what the services take and give back (PersonData, TelegramAccount,
  RegistrationView).
- `registering`: registering (the bot, an invitation, a head of delegation) and the rule of
  approval on arrival (`approved_on_arrival`).
- `decisions`: officers approve or reject, compare-and-set (`decide`, `decidable`).
- `edits`: the person's data changed (`update_person`), or the registration withdrawn.
- `invitations`: a delegation's invitation links (`inv_`): made, checked, used, revoked.
- `personal_links`: bind tokens (`bind_`) for registrations made on someone's behalf.
- `queries`: reading registrations (one, someone's own, pending, a delegation's, a list).
- `audit_trail`: the audit row of something done to a registration.

Seat quotas are `core.accreditation.quota`; bulk imports `core.accreditation.importing`;
forgetting a person `core.people.erasure`. Services never commit: the caller's unit of work
does (`core.uow`); what a service wrote is flushed when it returns.
"""

from core.accreditation.registration.decisions import DECISIONS, decidable, decide
from core.accreditation.registration.edits import update_person, withdraw
from core.accreditation.registration.invitations import create_invitation, invitation_by_token, revoke_invitation
from core.accreditation.registration.personal_links import BindLink, bind_account, bind_links
from core.accreditation.registration.queries import (
    delegation_members,
    list_registrations,
    my_registration,
    pending,
)
from core.accreditation.registration.registering import approved_on_arrival, register
from core.accreditation.registration.values import PersonData, RegistrationView, TelegramAccount

__all__ = [
    "DECISIONS",
    "BindLink",
    "PersonData",
    "RegistrationView",
    "TelegramAccount",
    "approved_on_arrival",
    "bind_account",
    "bind_links",
    "create_invitation",
    "decidable",
    "decide",
    "delegation_members",
    "invitation_by_token",
    "list_registrations",
    "my_registration",
    "pending",
    "register",
    "revoke_invitation",
    "update_person",
    "withdraw",
]

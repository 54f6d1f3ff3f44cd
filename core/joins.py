"""The joins every subject writes: a registration with its person (and delegation). One
definition, so a change of how they relate is made once.

ORM queries use the conditions; Core queries (the hot paths) use the ready FROM clauses.
"""

from __future__ import annotations

from sqlalchemy import Join
from sqlmodel import col

from core.models import Delegation, Participant, Registration

REGISTRATION = Registration.__table__  # type: ignore[attr-defined]
PERSON = Participant.__table__  # type: ignore[attr-defined]
DELEGATION = Delegation.__table__  # type: ignore[attr-defined]

# select(Registration, Participant).join(Participant, PERSON_OF_REGISTRATION)
PERSON_OF_REGISTRATION = col(Participant.id) == col(Registration.participant_id)
# ... .outerjoin(Delegation, DELEGATION_OF_REGISTRATION)
DELEGATION_OF_REGISTRATION = col(Delegation.id) == col(Registration.delegation_id)


def registrations_with_people() -> Join:
    """registration JOIN participant (Core)."""
    return REGISTRATION.join(PERSON, PERSON.c.id == REGISTRATION.c.participant_id)


def registrations_with_people_and_delegations() -> Join:
    """registration JOIN participant LEFT JOIN delegation (Core)."""
    return registrations_with_people().outerjoin(DELEGATION, DELEGATION.c.id == REGISTRATION.c.delegation_id)

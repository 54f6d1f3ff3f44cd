"""The plain values registration services take (`PersonData`, `TelegramAccount`) and give
back (`RegistrationView`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.models import Delegation, Participant, Registration


@dataclass(frozen=True)
class PersonData:
    """What a person tells us about themselves; already validated at the edge."""

    full_name: str
    native_name: str | None = None
    position: str | None = None
    organisation: str | None = None
    email: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class TelegramAccount:
    telegram_id: int
    username: str | None = None
    language: str | None = None


@dataclass
class RegistrationView:
    """A registration with its person and delegation (None without one)."""

    registration: Registration
    participant: Participant
    delegation: Delegation | None
    changed: list[str] = field(default_factory=list)
    needs_review: bool = False  # an edit the accreditation service must look at again

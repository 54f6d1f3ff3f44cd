"""What a programme file may hold: the pydantic schema of its sections (strict: unknown
fields are errors), and the document a valid file resolves to (`ProgrammeDocument`, times
as aware UTC). The file format is described in docs/programme.md."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from core.accreditation import validation
from core.config import LANGUAGES
from core.errors import InvalidInput
from core.models import AgendaKind, Category, DelegationKind
from core.text import visible


def _i18n(value: object) -> object:
    """A plain string is English; a mapping gives languages. English is required."""
    if isinstance(value, str):
        value = {"en": value}
    if not isinstance(value, dict):
        raise ValueError("expected a text or a mapping {en: ..., ru: ...}")
    result: dict[str, str] = {}
    for lang, text in value.items():
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r} (expected {', '.join(LANGUAGES)})")
        if not isinstance(text, str):
            raise ValueError(f"{lang}: expected a text")
        text = visible(text, newlines=True).strip()  # no bidi overrides in titles or names
        if text:
            result[lang] = text
    if not result.get("en"):
        raise ValueError("the English text (en) is required")
    return result


def _lax_date(value: object) -> object:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("expected a date like 2024-10-31") from None
    if isinstance(value, datetime):
        raise ValueError("expected a date like 2024-10-31, not a date and time")
    return value


def _one_or_many(value: object) -> object:
    return [value] if isinstance(value, str) else value


def _rule(check: Any) -> AfterValidator:
    """A shared free-text rule (core.accreditation.validation) as a pydantic validator."""

    def run(value: str) -> str:
        try:
            result: str = check(value)
        except InvalidInput as exc:
            raise ValueError(exc.message.split(": ", 1)[-1]) from None
        return result

    return AfterValidator(run)


def _position(text: str) -> str:
    return validation.free_text(text, "position", max_len=300)


def _organisation(text: str) -> str:
    return validation.free_text(text, "organisation", max_len=300)


Text = Annotated[dict[str, str], BeforeValidator(_i18n)]
Day = Annotated[date, BeforeValidator(_lax_date)]
Lax = Field(strict=False)  # enums: accept their string values


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ConferenceSpec(Spec):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)
    edition: int = Field(ge=1)
    name: Text
    venue: Text | None = None
    city: Text | None = None
    timezone: str
    first_day: Day
    last_day: Day
    auto_approve_categories: list[Annotated[Category, Lax]] = []


class DelegationSpec(Spec):
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$", max_length=32)
    kind: Annotated[DelegationKind, Lax] = DelegationKind.STATE
    name: Text
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    quota: int | None = Field(default=None, ge=0)
    auto_approve: bool = False
    head: str | None = None  # a key from people:


class PersonSpec(Spec):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=64)
    name: Annotated[str, _rule(validation.latin_name)]  # Latin script, as in the passport
    native_name: Annotated[str, _rule(validation.native_name)] | None = None
    position: Annotated[str, _rule(_position)] | None = None
    organisation: Annotated[str, _rule(_organisation)] | None = None
    delegation: str | None = None
    category: Annotated[Category, Lax] = Category.SPEAKER


class AgendaSpec(Spec):
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)
    kind: Annotated[AgendaKind, Lax]
    title: Text
    description: Text | None = None
    hall: Text | None = None
    day: Day | None = None
    start: Any  # "10:00" with day, or an ISO date-time (checked in file_checks)
    end: Any
    capacity: int | None = Field(default=None, ge=0)
    allowed_categories: list[Annotated[Category, Lax]] = []
    signup_open: bool = False
    cancelled: bool = False
    speakers: list[str] = []
    moderator: Annotated[list[str], BeforeValidator(_one_or_many)] = []


class ProgrammeFile(Spec):
    conference: ConferenceSpec
    delegations: list[DelegationSpec] = []
    people: list[PersonSpec] = []
    agenda: list[AgendaSpec] = []


# The list sections: their entry model and the field that names an entry in messages.
SECTIONS: dict[str, tuple[type[Spec], str]] = {
    "delegations": (DelegationSpec, "code"),
    "people": (PersonSpec, "key"),
    "agenda": (AgendaSpec, "code"),
}


@dataclass(frozen=True)
class ProgrammeDocument:
    source: str  # the file name, for messages and the audit log
    conference: ConferenceSpec
    delegations: tuple[DelegationSpec, ...]
    people: tuple[PersonSpec, ...]
    items: tuple[ResolvedItem, ...]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.conference.timezone)


@dataclass(frozen=True)
class ResolvedItem:
    spec: AgendaSpec
    starts_at: datetime  # aware UTC
    ends_at: datetime

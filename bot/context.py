"""What every handler may ask for by parameter name, besides aiogram's own."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.i18n import Translator
from core.config import Settings
from core.models import Conference, StaffRoleName, pick


@dataclass
class Ctx:
    telegram_id: int
    language: str
    t: Translator
    settings: Settings
    conference: Conference | None = None
    roles: set[StaffRoleName] = field(default_factory=set)

    @property
    def conference_name(self) -> str:
        return pick(self.conference.name, self.language) if self.conference else ""

    def has(self, role: StaffRoleName) -> bool:
        return role in self.roles

"""All tables; importing this package registers them on `metadata`."""

from core.models.agenda import AgendaItem, AgendaSignup, AgendaSpeaker
from core.models.attendance import (
    AttendanceDay,
    AttendanceFold,
    AttendanceItem,
    AttendanceItemPerson,
    AttendanceTally,
)
from core.models.base import metadata
from core.models.conference import AppSetting, Conference
from core.models.delegation import Delegation
from core.models.enums import (
    AgendaKind,
    Category,
    DelegationKind,
    OutboxStatus,
    RegistrationStatus,
    ScanDirection,
    ScanResult,
    SignupStatus,
    SpeakerRole,
    StaffRoleName,
)
from core.models.outbox import OutboxMessage, ProcessedUpdate
from core.models.participant import Participant, UserPref
from core.models.registration import Invitation, Registration
from core.models.scan import Presence, Scan
from core.models.staff import AuditLog, StaffRole
from core.models.types import I18n, pick

__all__ = [
    "AgendaItem",
    "AgendaKind",
    "AgendaSignup",
    "AgendaSpeaker",
    "AppSetting",
    "AttendanceDay",
    "AttendanceFold",
    "AttendanceItem",
    "AttendanceItemPerson",
    "AttendanceTally",
    "AuditLog",
    "Category",
    "Conference",
    "Delegation",
    "DelegationKind",
    "I18n",
    "Invitation",
    "OutboxMessage",
    "OutboxStatus",
    "Participant",
    "Presence",
    "ProcessedUpdate",
    "Registration",
    "RegistrationStatus",
    "Scan",
    "ScanDirection",
    "ScanResult",
    "SignupStatus",
    "SpeakerRole",
    "StaffRole",
    "StaffRoleName",
    "UserPref",
    "metadata",
    "pick",
]

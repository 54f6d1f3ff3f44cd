from __future__ import annotations

from enum import StrEnum


class DelegationKind(StrEnum):
    STATE = "state"
    ORGANISATION = "organisation"
    OTHER = "other"


class Category(StrEnum):
    HEAD = "head_of_delegation"
    DELEGATE = "delegate"
    SPEAKER = "speaker"
    EXPERT = "expert"
    PRESS = "press"
    OBSERVER = "observer"
    STAFF = "staff"


class RegistrationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class AgendaKind(StrEnum):
    OPENING = "opening"
    HIGH_LEVEL = "high_level"
    PLENARY = "plenary"
    THEMATIC = "thematic"
    SIDE_EVENT = "side_event"
    BREAK = "break"
    CLOSING = "closing"


class SignupStatus(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class ScanDirection(StrEnum):
    IN = "in"
    OUT = "out"


class ScanResult(StrEnum):
    OK = "ok"
    DUPLICATE = "duplicate"
    INVALID = "invalid"
    REVOKED = "revoked"
    NOT_APPROVED = "not_approved"
    NOT_ALLOWED = "not_allowed"


class StaffRoleName(StrEnum):
    ADMIN = "admin"
    ACCREDITATION = "accreditation"
    DOOR = "door"


class SpeakerRole(StrEnum):
    SPEAKER = "speaker"
    MODERATOR = "moderator"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"

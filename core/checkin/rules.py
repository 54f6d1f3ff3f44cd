"""The check-in rules as plain functions: what a scan is judged, given what is known.

Both judges call these and only these: the online one (`core.checkin.checkin`, on rows read
and locked in the central database) and the offline one (`core.checkin.offline.judge`, on the
kiosk's local copy); the reconciliation after an outage replays presence with `move` and
finds conflicts with `presence_rule`. Nothing here reads a database or a clock.

Order (see the checkin module doc for the meaning of each verdict): token, registration,
version, status, category, presence (duplicate or ok and where presence moves).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.models import RegistrationStatus, ScanDirection, ScanResult


@dataclass(frozen=True, slots=True)
class Badge:
    """What is known of one registration when its badge is scanned."""

    registration_id: int
    conference_id: int
    status: RegistrationStatus
    category: str
    badge_version: int
    name: str
    native_name: str | None
    delegation: dict[str, str] | None
    timezone: str
    inside: bool | None  # None: no presence row yet
    here: int | None  # the agenda item they are in (None: the venue)
    since: datetime | None
    last_staff: int | None = None
    last_gate: str | None = None

    def who(self) -> dict[str, Any]:
        return {
            "registration_id": self.registration_id,
            "name": self.name,
            "native_name": self.native_name,
            "delegation": dict(self.delegation) if self.delegation else None,
            "category": self.category,
        }


@dataclass(frozen=True, slots=True)
class Ruling:
    """A rule's verdict: the result, its detail and, for ok, where presence moves."""

    result: ScanResult
    detail: str | None = None
    inside: bool = False  # ok: presence afterwards
    item_id: int | None = None
    restart: bool = False  # ok: `since` becomes the scan's time
    already_at: datetime | None = None
    already_by: int | None = None
    already_gate: str | None = None


def local_day(moment: datetime, tz: str) -> date:
    try:
        return moment.astimezone(ZoneInfo(tz)).date()
    except (KeyError, ValueError):
        return moment.date()


def token_rule(token: str | None, checked: tuple[int, int] | None) -> Ruling | None:
    """invalid when there is no token or its MAC (or the offline verifier) is wrong."""
    if checked is not None:
        return None
    return Ruling(ScanResult.INVALID, "unreadable" if token is None else "forged")


def registration_rule(badge: Badge | None, conference_id: int) -> Ruling | None:
    if badge is None:
        return Ruling(ScanResult.INVALID, "unknown")
    if badge.conference_id != conference_id:
        return Ruling(ScanResult.INVALID, "other_conference")
    return None


def version_rule(scanned: int, current: int) -> Ruling | None:
    """revoked for a badge older than the current one, invalid for one never issued."""
    if scanned == current:
        return None
    if scanned < current:
        return Ruling(ScanResult.REVOKED, "reissued")
    return Ruling(ScanResult.INVALID, "unknown_version")


def status_rule(status: RegistrationStatus) -> Ruling | None:
    if status is RegistrationStatus.APPROVED:
        return None
    return Ruling(ScanResult.NOT_APPROVED, status.value)


def category_rule(allowed: list[str], category: str) -> Ruling | None:
    if allowed and category not in allowed:
        return Ruling(ScanResult.NOT_ALLOWED, "category")
    return None


def move(
    inside: bool, here: int | None, direction: ScanDirection, item_id: int | None
) -> tuple[bool, int | None, str | None]:
    """Where presence goes on an admitted scan: (inside, item, detail)."""
    if direction is ScanDirection.IN:
        return True, item_id, None
    if item_id is None:  # leaving the venue
        return False, None, None if inside else "was_not_inside"
    if inside and here == item_id:  # leaving this hall, still at the venue
        return True, None, None
    return inside, here, "was_not_inside"


def presence_rule(badge: Badge, direction: ScanDirection, item_id: int | None, now: datetime) -> Ruling:
    """duplicate when entering where they already are the same local day; else ok and the move."""
    inside, here = bool(badge.inside), badge.here
    if direction is ScanDirection.IN:
        same_day = badge.since is not None and local_day(badge.since, badge.timezone) == local_day(now, badge.timezone)
        if inside and (item_id is None or here == item_id) and same_day:
            return Ruling(
                ScanResult.DUPLICATE,
                "already_inside",
                already_at=badge.since,
                already_by=badge.last_staff,
                already_gate=badge.last_gate,
            )
    new_inside, new_item, detail = move(inside, here, direction, item_id)
    restart = (new_inside, new_item) != (inside, here) or direction is ScanDirection.IN
    return Ruling(ScanResult.OK, detail, inside=new_inside, item_id=new_item, restart=restart)


def judge_badge(
    badge: Badge | None,
    *,
    version: int,
    conference_id: int,
    allowed: list[str],
    direction: ScanDirection,
    item_id: int | None,
    now: datetime,
) -> Ruling:
    """Every rule after the token's, in order: the first that refuses decides."""
    refused = registration_rule(badge, conference_id)
    if refused is not None or badge is None:
        return refused or Ruling(ScanResult.INVALID, "unknown")
    refused = (
        version_rule(version, badge.badge_version)
        or status_rule(badge.status)
        or category_rule(allowed, badge.category)
    )
    return refused or presence_rule(badge, direction, item_id, now)

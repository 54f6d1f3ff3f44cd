"""The scan rules, one function each, in the order they apply. Each returns a `Refusal`
(the result and its reason code) or None when the badge passes it. The online scan
(`scanning`) applies them to the state row it read under lock; a kiosk judging offline
applies the same functions to its local copy's record of the badge (`offline.ruling`).

  badge_token              invalid/unreadable: not a badge code (or unreadable text);
                           invalid/forged: the MAC is wrong (forged, mistyped, truncated)
  registration_known       invalid/unknown: no such registration;
                           invalid/other_conference: a badge of another conference
  badge_current            revoked/reissued: an older badge version (reissued since);
                           invalid/unknown_version: a newer one than was ever issued
  registration_approved    not_approved/<status>: pending, rejected or cancelled
  category_admitted        not_allowed/category: a hall that admits only some categories
  not_already_inside       duplicate/already_inside: "in" while inside at the same place
                           the same conference-local day (the venue is the same place for
                           anyone inside anywhere: halls are inside the venue). A badge
                           inside since an earlier day enters afresh (exits are often not
                           scanned).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row

from core.badges.tokens import parse_scanned, verify_token
from core.checkin.scanned import ScanRequest
from core.checkin.verdict import Refusal, category_of
from core.models import RegistrationStatus, ScanDirection, ScanResult

State = Row[Any]  # presence.read_locked


def badge_token(text: str | None, secret: bytes) -> tuple[int, int] | Refusal:
    """(registration id, badge version) of a genuine badge code, else why not."""
    token = parse_scanned(text) if text is not None else None
    checked = verify_token(secret, token) if token else None
    if checked is None:
        return Refusal(ScanResult.INVALID, "unreadable" if token is None else "forged")
    return checked


def registration_known(state: State | None, ask: ScanRequest) -> Refusal | None:
    if state is None:
        return Refusal(ScanResult.INVALID, "unknown")
    if state.conference_id != ask.conference_id:
        return Refusal(ScanResult.INVALID, "other_conference")
    return None


def badge_current(state: State, version: int, ask: ScanRequest) -> Refusal | None:
    if version == state.badge_version:
        return None
    if version < state.badge_version:
        return Refusal(ScanResult.REVOKED, "reissued")
    return Refusal(ScanResult.INVALID, "unknown_version")


def registration_approved(state: State, version: int, ask: ScanRequest) -> Refusal | None:
    status = RegistrationStatus(state.status)
    return None if status is RegistrationStatus.APPROVED else Refusal(ScanResult.NOT_APPROVED, status.value)


def category_admitted(state: State, version: int, ask: ScanRequest) -> Refusal | None:
    if ask.allowed and category_of(state) not in ask.allowed:
        return Refusal(ScanResult.NOT_ALLOWED, "category")
    return None


def _local_day(moment: datetime, tz: str) -> date:
    try:
        return moment.astimezone(ZoneInfo(tz)).date()
    except (KeyError, ValueError):
        return moment.date()


def same_conference_day(since: datetime | None, now: datetime, tz: str) -> bool:
    """Whether `since` is today in the conference's time zone (a bad zone: UTC dates)."""
    return since is not None and _local_day(since, tz) == _local_day(now, tz)


def not_already_inside(state: State, version: int, ask: ScanRequest) -> Refusal | None:
    if ask.direction is not ScanDirection.IN:
        return None
    at_same_place = bool(state.inside) and (ask.item_id is None or state.agenda_item_id == ask.item_id)
    if at_same_place and same_conference_day(state.since, ask.now, state.timezone):
        return Refusal(ScanResult.DUPLICATE, "already_inside")
    return None


# the rules for a known registration of this conference, in order
BADGE_RULES = (badge_current, registration_approved, category_admitted, not_already_inside)


def first_refusal(state: State, version: int, ask: ScanRequest) -> Refusal | None:
    """The first of BADGE_RULES that refuses the badge, or None: it is admitted."""
    for rule in BADGE_RULES:
        refusal = rule(state, version, ask)
        if refusal is not None:
            return refusal
    return None

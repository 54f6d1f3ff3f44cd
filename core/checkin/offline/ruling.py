"""The check-in rules applied to what a kiosk's local copy knows of a badge, with no database
row: the offline judge (`judge`), the upload's presence replay and the offline-conflicts report.

The rules themselves are the online ones, called here, never written again: the token's
(`core.checkin.rules.badge_token` semantics, checked against the copy's verifiers), then
`registration_known` and `first_refusal` (version, status, category, already inside) from
`core.checkin.rules`, and presence moves by `core.checkin.presence.place_after`. A `Badge`
offers the attributes those rules read from the online state row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from core.checkin import rules
from core.checkin.presence import place_after
from core.checkin.scanned import ScanRequest
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

    @property
    def agenda_item_id(self) -> int | None:  # the name the rules read on the online state row
        return self.here

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
    """A verdict as the rules give it: the result, its detail and, for ok, where presence moves."""

    result: ScanResult
    detail: str | None = None
    inside: bool = False  # ok: presence afterwards
    item_id: int | None = None
    restart: bool = False  # ok: `since` becomes the scan's time
    already_at: datetime | None = None
    already_by: int | None = None
    already_gate: str | None = None


def token_rule(token: str | None, checked: tuple[int, int] | None) -> Ruling | None:
    """invalid when there is no token or it is not one central issued."""
    if checked is not None:
        return None
    return Ruling(ScanResult.INVALID, "unreadable" if token is None else "forged")


def move(
    inside: bool, here: int | None, direction: ScanDirection, item_id: int | None
) -> tuple[bool, int | None, str | None]:
    """Where presence goes on an admitted scan: (inside, item, detail)."""
    return place_after(inside, here, direction, item_id)


def _ask(
    conference_id: int, allowed: list[str], direction: ScanDirection, item_id: int | None, now: datetime
) -> ScanRequest:
    """The parts of a scan the rules read (what was scanned is judged before them)."""
    return ScanRequest(
        conference_id=conference_id, text=None, raw="", staff=None, gate="", item_id=item_id,
        direction=direction, nonce=None, secret=b"", now=now, allowed=tuple(allowed),
    )  # fmt: skip


def _admitted(badge: Badge, direction: ScanDirection, item_id: int | None) -> Ruling:
    inside, here = bool(badge.inside), badge.here
    new_inside, new_item, detail = place_after(inside, here, direction, item_id)
    restart = (new_inside, new_item) != (inside, here) or direction is ScanDirection.IN
    return Ruling(ScanResult.OK, detail, inside=new_inside, item_id=new_item, restart=restart)


def _refused(refusal: rules.Refusal, badge: Badge) -> Ruling:
    if refusal.result is ScanResult.DUPLICATE:
        return Ruling(
            refusal.result, refusal.detail,
            already_at=badge.since, already_by=badge.last_staff, already_gate=badge.last_gate,
        )  # fmt: skip
    return Ruling(refusal.result, refusal.detail)


def presence_rule(badge: Badge, direction: ScanDirection, item_id: int | None, now: datetime) -> Ruling:
    """duplicate when entering where they already are the same local day; else ok and the move."""
    refusal = rules.not_already_inside(
        cast(Any, badge), badge.badge_version, _ask(badge.conference_id, [], direction, item_id, now)
    )
    return _refused(refusal, badge) if refusal is not None else _admitted(badge, direction, item_id)


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
    """Every rule after the token's, in the online order: the first that refuses decides."""
    ask = _ask(conference_id, allowed, direction, item_id, now)
    state = cast(Any, badge)
    refusal = rules.registration_known(state, ask)
    if refusal is not None or badge is None:
        return Ruling(*(refusal or rules.Refusal(ScanResult.INVALID, "unknown")))
    refusal = rules.first_refusal(state, version, ask)
    return _refused(refusal, badge) if refusal is not None else _admitted(badge, direction, item_id)

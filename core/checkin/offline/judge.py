"""The offline judge: the online rules (`core.checkin.rules`, through `ruling`) on the kiosk's local copy.

The token is checked against the copy's verifiers (a digest of every token issued) instead of
the signing secret. A token whose registration or version the copy does not know is refused
`invalid` with detail `not_in_copy`: a registration approved, or a badge reissued, after the
copy was taken is recognised only after the next refresh (the reissue window, README).
"""

from __future__ import annotations

import hmac
from dataclasses import replace
from datetime import datetime
from typing import Any

from core.badges import parse_scanned, read_head
from core.checkin import Verdict, read_scanned
from core.checkin.offline import ruling as rules
from core.checkin.offline.copy import LocalCopy, digest
from core.checkin.offline.journal import Entry
from core.models import ScanDirection, ScanResult


def verify(copy: LocalCopy, token: str) -> tuple[tuple[int, int] | None, str | None]:
    """((registration, version) if the token is one central issued, why not otherwise)."""
    head = read_head(token)
    if head is None:
        return None, "forged"
    known = copy.verifiers.get(head)
    if known is None:
        badge = copy.badges.get(head[0])
        return None, "not_in_copy" if badge is None or head[1] > badge.badge_version else "forged"
    return (head, None) if hmac.compare_digest(known, digest(token)) else (None, "forged")


def judge(
    copy: LocalCopy,
    text: str | bytes,
    *,
    gate: str,
    item_id: int | None,
    direction: ScanDirection,
    staff: int | None,
    nonce: str,
    now: datetime,
) -> tuple[Verdict, Entry]:
    """The verdict for one scan and its journal entry; presence in the copy moves on ok."""
    gate = (gate or "")[:64]
    readable, raw = read_scanned(text)
    token = parse_scanned(readable) if readable is not None else None
    checked, why = verify(copy, token) if token else (None, None)
    base = {"at": now, "direction": direction, "agenda_item_id": item_id, "gate": gate}
    badge: rules.Badge | None = None
    version: int | None = None
    if checked is None:
        ruling = rules.token_rule(token, None) or rules.Ruling(ScanResult.INVALID)
        if why == "not_in_copy":
            ruling = rules.Ruling(ScanResult.INVALID, why)
    else:
        reg_id, version = checked
        badge = copy.badges.get(reg_id)
        allowed = copy.items[item_id].allowed if item_id is not None and item_id in copy.items else []
        ruling = rules.judge_badge(
            badge,
            version=version,
            conference_id=copy.conference_id,
            allowed=allowed,
            direction=direction,
            item_id=item_id,
            now=now,
        )
    if ruling.result is ScanResult.OK and badge is not None:
        copy.move(badge.registration_id, ruling, now, staff, gate)
    verdict = verdict_from(ruling, badge, None, base)
    entry = Entry(
        None, nonce, now, raw, badge.registration_id if badge else None, version if badge else None,
        ruling.result.value, ruling.detail, direction.value, item_id, gate, staff, True,
    )  # fmt: skip
    return replace(verdict, offline=True), entry


def verdict_from(ruling: rules.Ruling, badge: rules.Badge | None, scan_id: int | None, base: dict[str, Any]) -> Verdict:
    who = badge.who() if badge is not None else {}
    return Verdict(
        ruling.result,
        detail=ruling.detail,
        scan_id=scan_id,
        already_at=ruling.already_at,
        already_by=ruling.already_by,
        already_gate=ruling.already_gate,
        **base,
        **who,
    )

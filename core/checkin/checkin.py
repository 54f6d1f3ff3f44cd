"""Venue and hall check-in: every scan rule in one function, `scan()`.

Rules, in order:
  invalid       the text is unreadable (bytes that are not UTF-8, control characters, longer
                than MAX_SCAN_TEXT) or holds no token, the MAC is wrong (forged, mistyped,
                truncated), the registration does not exist, or it belongs to another conference
  revoked       the MAC is right but the badge was reissued since (older badge_version)
  not_approved  the registration is pending, rejected or cancelled
  not_allowed   a hall scan (agenda item given) and the item admits only some categories
  duplicate     direction "in" while already inside at the same place, the same
                conference-local day. The venue counts as the same place for anyone inside
                anywhere (halls are inside the venue). The verdict says since when and which
                staff member let them in. A badge inside since an earlier day enters afresh
                (exits are often not scanned).
  ok            "in": presence moves there (entering a hall leaves the previous hall and
                stays at the venue). "out" of a hall: back to the venue. "out" of the venue:
                outside. An exit scan where the badge is not inside is still ok (people
                leave whether or not their entry was scanned) with detail "was_not_inside";
                presence then becomes outside (venue) or stays as it was (another hall).

Every scan is stored as a Scan row, failed ones too (registration_id None for invalid), with
what was scanned in `raw`: at most 256 characters, anything unprintable written as an escape
(`\xff`, `\x00`), so junk from a scanner is kept and never breaks the insert.
A nonce (e.g. the Telegram update id or the kiosk's line id) makes a scan idempotent:
the same nonce again returns the first verdict and stores nothing.

Concurrency: the registration's Presence row is the lock. PostgreSQL: the row is created if
missing (INSERT … ON CONFLICT DO NOTHING) and read with SELECT … FOR UPDATE, so two doors
scanning one badge at once serialise: one ok, one duplicate. SQLite: every transaction
begins IMMEDIATE (core.db), so the whole scan holds the database's write lock, across
processes too (two kiosks on one file). One commit per scan. Should a write still collide
(a presence row created after this scan read none), the scan is judged once more afresh:
the later door gets `duplicate`, never an IntegrityError.

The hot path is SQLAlchemy Core on the session's connection (one SELECT with joins, one
INSERT … RETURNING, one UPDATE or INSERT of presence, COMMIT).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.badges.badges import parse_scanned, verify_token
from core.checkin import rules
from core.clock import Clock, utc_now
from core.errors import NotFound
from core.models import (
    AgendaItem,
    Conference,
    Delegation,
    Participant,
    Presence,
    Registration,
    RegistrationStatus,
    Scan,
    ScanDirection,
    ScanResult,
)

_scan = Scan.__table__  # type: ignore[attr-defined]
_presence = Presence.__table__  # type: ignore[attr-defined]
_reg = Registration.__table__  # type: ignore[attr-defined]
_part = Participant.__table__  # type: ignore[attr-defined]
_deleg = Delegation.__table__  # type: ignore[attr-defined]
_conf = Conference.__table__  # type: ignore[attr-defined]
_item = AgendaItem.__table__  # type: ignore[attr-defined]
_prev = _scan.alias("prev")

MAX_SCAN_TEXT = 4096  # a badge link is ~100 characters; a longer line is junk, not a code
RAW_LENGTH = 256  # Scan.raw


@dataclass(frozen=True, slots=True)
class Verdict:
    result: ScanResult
    at: datetime
    detail: str | None = None
    registration_id: int | None = None
    name: str | None = None
    native_name: str | None = None
    delegation: dict[str, str] | None = None
    category: str | None = None
    direction: ScanDirection = ScanDirection.IN
    agenda_item_id: int | None = None
    gate: str = ""
    scan_id: int | None = None
    # duplicate: when and by whom (staff Telegram id, gate) they were let in
    already_at: datetime | None = None
    already_by: int | None = None
    already_gate: str | None = None
    replayed: bool = field(default=False, compare=False)
    offline: bool = field(default=False, compare=False)  # judged from a kiosk's local copy

    @property
    def ok(self) -> bool:
        return self.result is ScanResult.OK

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("at", "already_at"):
            data[key] = data[key].isoformat() if data[key] else None
        data["result"] = self.result.value
        data["direction"] = self.direction.value
        return data


def _select_state(registration_id: int, *, pg: bool):  # type: ignore[no-untyped-def]
    cols = (
        _reg.c.id,
        _reg.c.conference_id,
        _reg.c.status,
        _reg.c.category,
        _reg.c.badge_version,
        _part.c.full_name,
        _part.c.native_name,
        _deleg.c.name,
        _conf.c.timezone,
        _presence.c.inside,
        _presence.c.agenda_item_id,
        _presence.c.since,
        _presence.c.last_scan_id,
        _prev.c.staff_telegram_id,
        _prev.c.gate,
    )
    joined = (
        _reg.join(_part, _part.c.id == _reg.c.participant_id)
        .join(_conf, _conf.c.id == _reg.c.conference_id)
        .outerjoin(_deleg, _deleg.c.id == _reg.c.delegation_id)
    )
    if pg:  # the presence row exists (upserted just before) and is the lock
        joined = joined.join(_presence, _presence.c.registration_id == _reg.c.id)
    else:
        joined = joined.outerjoin(_presence, _presence.c.registration_id == _reg.c.id)
    joined = joined.outerjoin(_prev, _prev.c.id == _presence.c.last_scan_id)
    stmt = select(*cols).select_from(joined).where(_reg.c.id == registration_id)
    if pg:
        stmt = stmt.with_for_update(of=_presence)
    return stmt


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (decoded with surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def read_scanned(text: str | bytes) -> tuple[str | None, str]:
    """(the scanned text if it is readable else None, what to store as `raw`).

    Bytes (a kiosk line) must be UTF-8. Readable text is at most MAX_SCAN_TEXT long and,
    once stripped of whitespace and a BOM, printable. `raw` is the stripped text with every
    unprintable character escaped, cut to RAW_LENGTH.
    """
    text = text or ""
    too_long = len(text) > MAX_SCAN_TEXT
    if isinstance(text, bytes):
        text = text[: MAX_SCAN_TEXT + 1].decode("utf-8", "surrogateescape")
    text = text.strip().strip("\ufeff").strip()
    head = text[:RAW_LENGTH]
    raw = head if head.isprintable() else "".join(c if c.isprintable() else _escape(c) for c in head)
    return (None if too_long or not text.isprintable() else text), raw[:RAW_LENGTH]


async def scan(
    session: AsyncSession,
    *,
    conference_id: int,
    text: str | bytes,
    staff_telegram_id: int | None,
    gate: str,
    agenda_item_id: int | None = None,
    direction: ScanDirection = ScanDirection.IN,
    nonce: str | None = None,
    secret: bytes,
    clock: Clock = utc_now,
) -> Verdict:
    """Judge one scanned code, record it, move presence; commits once. See the module doc.
    `text` is what was scanned: a string, or a kiosk's raw line as bytes."""
    direction = ScanDirection(direction)
    gate = (gate or "")[:64]
    if nonce is not None:
        nonce = nonce[:64]
        earlier = await replay(session, nonce)
        if earlier is not None:
            await session.commit()  # nothing written; ends the read, keeps objects loaded
            return earlier
    readable, raw = read_scanned(text)
    now = clock()
    for attempt in (1, 2):
        try:
            verdict = await _judge(
                session,
                conference_id=conference_id,
                text=readable,
                raw=raw,
                staff=staff_telegram_id,
                gate=gate,
                item_id=agenda_item_id,
                direction=direction,
                nonce=nonce,
                secret=secret,
                now=now,
            )
            await session.commit()
            return verdict
        except IntegrityError:
            await session.rollback()
            if nonce is not None:  # the same nonce, stored by a concurrent scan first
                earlier = await replay(session, nonce)
                await session.commit()
                if earlier is not None:
                    return earlier
            if attempt == 2:
                raise
            # another door created this badge's presence row after our read: judge afresh
        except BaseException:
            await session.rollback()
            raise
    raise AssertionError("unreachable")


async def _judge(
    session: AsyncSession,
    *,
    conference_id: int,
    text: str | None,
    raw: str,
    staff: int | None,
    gate: str,
    item_id: int | None,
    direction: ScanDirection,
    nonce: str | None,
    secret: bytes,
    now: datetime,
) -> Verdict:
    conn = await session.connection()
    pg = conn.dialect.name == "postgresql"

    async def record(result: ScanResult, reg_id: int | None = None, version: int | None = None) -> int:
        row = await conn.execute(
            insert(_scan)
            .values(
                conference_id=conference_id,
                registration_id=reg_id,
                agenda_item_id=item_id,
                direction=direction,
                result=result,
                scanned_at=now,
                staff_telegram_id=staff,
                gate=gate,
                badge_version=version,
                raw=raw,
                nonce=nonce,
            )
            .returning(_scan.c.id)
        )
        return int(row.scalar_one())

    base: dict[str, Any] = {"at": now, "direction": direction, "agenda_item_id": item_id, "gate": gate}
    allowed: list[str] = []
    if item_id is not None:
        item = (
            await conn.execute(
                select(_item.c.allowed_categories).where(_item.c.id == item_id, _item.c.conference_id == conference_id)
            )
        ).first()
        if item is None:
            raise NotFound(f"agenda item {item_id} not found in this conference", id=item_id)
        allowed = list(item[0] or [])

    token = parse_scanned(text) if text is not None else None
    checked = verify_token(secret, token) if token else None
    refused = rules.token_rule(token, checked)
    if refused is not None or checked is None:
        sid = await record(ScanResult.INVALID)
        return verdict_from(refused or rules.Ruling(ScanResult.INVALID), None, sid, base)
    reg_id, version = checked

    if pg:
        await conn.execute(
            pg_insert(_presence)
            .from_select(
                ["registration_id", "inside", "since"],
                select(_reg.c.id, literal(False), literal(now, _presence.c.since.type)).where(_reg.c.id == reg_id),
            )
            .on_conflict_do_nothing(index_elements=["registration_id"])
        )
    row = (await conn.execute(_select_state(reg_id, pg=pg))).first()
    badge = badge_from_row(row, reg_id) if row is not None else None
    ruling = rules.judge_badge(
        badge,
        version=version,
        conference_id=conference_id,
        allowed=allowed,
        direction=direction,
        item_id=item_id,
        now=now,
    )
    known = badge is not None and badge.conference_id == conference_id
    sid = await record(ruling.result, reg_id if known else None, version if known else None)
    verdict = verdict_from(ruling, badge if known else None, sid, base)
    if ruling.result is not ScanResult.OK or row is None:
        return verdict
    values: dict[str, Any] = {"inside": ruling.inside, "agenda_item_id": ruling.item_id, "last_scan_id": sid}
    if ruling.restart:
        values["since"] = now
    if row.inside is None:  # no presence row yet (SQLite path)
        await conn.execute(insert(_presence).values(registration_id=reg_id, **{"since": now, **values}))
    else:
        await conn.execute(update(_presence).where(_presence.c.registration_id == reg_id).values(**values))
    return verdict


def badge_from_row(row: Any, reg_id: int) -> rules.Badge:
    """The rules' view of the state row read (and locked) by `_select_state`."""
    return rules.Badge(
        registration_id=reg_id,
        conference_id=row.conference_id,
        status=RegistrationStatus(row.status),
        category=str(row.category.value if hasattr(row.category, "value") else row.category),
        badge_version=row.badge_version,
        name=row.full_name,
        native_name=row.native_name,
        delegation=dict(row.name) if row.name else None,
        timezone=row.timezone,
        inside=row.inside,
        here=row.agenda_item_id,
        since=row.since,
        last_staff=row.staff_telegram_id,
        last_gate=row.gate,
    )


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


async def replay(session: AsyncSession, nonce: str) -> Verdict | None:
    """The verdict of the scan stored with `nonce`, rebuilt from the database, or None."""
    conn = await session.connection()
    s = (await conn.execute(select(_scan).where(_scan.c.nonce == nonce))).first()
    if s is None:
        return None
    who: dict[str, Any] = {}
    if s.registration_id is not None:
        p = (
            await conn.execute(
                select(_part.c.full_name, _part.c.native_name, _deleg.c.name, _reg.c.category)
                .select_from(
                    _reg.join(_part, _part.c.id == _reg.c.participant_id).outerjoin(
                        _deleg, _deleg.c.id == _reg.c.delegation_id
                    )
                )
                .where(_reg.c.id == s.registration_id)
            )
        ).first()
        if p is not None:
            who = {
                "name": p.full_name,
                "native_name": p.native_name,
                "delegation": dict(p.name) if p.name else None,
                "category": str(getattr(p.category, "value", p.category)),
            }
    dup: dict[str, Any] = {}
    result = ScanResult(s.result)
    if result is ScanResult.DUPLICATE and s.registration_id is not None:
        place = (
            _scan.c.agenda_item_id.is_(None) if s.agenda_item_id is None else _scan.c.agenda_item_id == s.agenda_item_id
        )
        first = (
            await conn.execute(
                select(_scan.c.scanned_at, _scan.c.staff_telegram_id, _scan.c.gate)
                .where(
                    and_(
                        _scan.c.registration_id == s.registration_id,
                        _scan.c.id < s.id,
                        _scan.c.result == ScanResult.OK,
                        _scan.c.direction == ScanDirection.IN,
                        place if s.agenda_item_id is not None else literal(True),
                    )
                )
                .order_by(_scan.c.id.desc())
                .limit(1)
            )
        ).first()
        if first is not None:
            dup = {"already_at": first[0], "already_by": first[1], "already_gate": first[2]}
    return Verdict(
        result,
        at=s.scanned_at,
        detail="replayed",
        registration_id=s.registration_id,
        direction=ScanDirection(s.direction),
        agenda_item_id=s.agenda_item_id,
        gate=s.gate,
        scan_id=s.id,
        replayed=True,
        **who,
        **dup,
    )

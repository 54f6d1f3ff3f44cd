"""/forget: erase everything that identifies a person, keep what only counts.

What identifies someone here is their Telegram account id, its username, their names,
email (and a phone, which is never stored). After `forget` no column of any table holds
them. What stays, anonymous:
- the participant row (empty name, `forgotten_at` set) and its registrations, cancelled,
  without free text: reports still count them, and ids stay stable for other rows;
- scans of their badge and presence rows (attendance counts, by registration id only);
- the audit trail, where the person is a random pseudonym (`anon:<16 hex>`, drawn at
  forget time, the same on all of their rows and stored nowhere else beside them): who did
  what stays consistent, but nobody can get back to the account. A hash of the id would
  not do: Telegram ids are few enough to try them all;
- outbox rows they were sent: the recipient becomes chat 0 and the id in the dedup key
  the pseudonym. A broadcast's rows keep their key prefix (its delivery counts stay
  right) and the keys stay unique; what a key prevented, a second copy to that chat, can
  no longer happen to a row with no chat. Messages not sent yet are cancelled.
Staff roles held by the account are removed, and so are its places as a speaker in the
programme (a speaker without a name would show as a blank); rows that name it as the
staff member who decided, invited, added a role or scanned keep no id (NULL).

FSM state in Redis is the bot's to clear (core knows nothing of aiogram).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, and_, cast, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core import audit
from core.clock import Clock, utc_now
from core.messaging.broadcasts import dedup_prefix
from core.models import (
    AgendaSpeaker,
    AuditLog,
    Delegation,
    Invitation,
    OutboxMessage,
    OutboxStatus,
    Participant,
    Registration,
    RegistrationStatus,
    Scan,
    StaffRole,
    UserPref,
)

ACTIVE = (RegistrationStatus.PENDING, RegistrationStatus.APPROVED)
REDACTED = "[forgotten]"
NO_CHAT = 0  # the recipient of a scrubbed outbox row: no Telegram chat has id 0
# Audit actions whose details carry text typed by staff, which may name anyone.
FREE_TEXT_ACTIONS = ("broadcast.send", "registration.reject")
# Columns naming the staff member who did something.
STAFF_COLUMNS = (
    (StaffRole, "added_by"),
    (Registration, "decided_by"),
    (Invitation, "created_by"),
    (Scan, "staff_telegram_id"),
)


@dataclass
class Forgotten:
    pseudonym: str  # how the audit trail names the person from now on
    participant_id: int | None
    counts: dict[str, int] = field(default_factory=dict)  # rows changed, by kind

    @property
    def held(self) -> bool:
        """Whether we held anything about them beyond a language preference."""
        return self.participant_id is not None or any(n for k, n in self.counts.items() if k != "user_pref")


class _Scrubber:
    """Replaces the person's identifiers in JSON values and free text."""

    def __init__(self, telegram_id: int, pseudonym: str, texts: list[str]) -> None:
        self.telegram_id = telegram_id
        self.pseudonym = pseudonym
        words = sorted({t.strip() for t in texts if t and len(t.strip()) >= 3}, key=len, reverse=True)
        alternatives = [rf"(?<!\w)@?{re.escape(w)}(?!\w)" for w in words] + [rf"(?<!\d){telegram_id}(?!\d)"]
        self.pattern = re.compile("|".join(alternatives), re.IGNORECASE)

    def text(self, value: str) -> str:
        if value == str(self.telegram_id):
            return self.pseudonym
        return self.pattern.sub(REDACTED, value)

    def value(self, value: Any, key: str = "") -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            if value != self.telegram_id:
                return value
            return None if "chat" in key else self.pseudonym
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.value(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, key) for v in value]
        return value


async def forget(
    session: AsyncSession,
    telegram_id: int,
    *,
    username: str | None = None,
    names: tuple[str, ...] = (),
    clock: Clock = utc_now,
) -> Forgotten:
    """Erase the person behind a Telegram account (see the module's docstring). `username`
    and `names` are what Telegram shows of the account now (they may differ from what the
    participant row holds). All of it in the caller's unit of work (no commit)."""
    now = clock()
    result = Forgotten(pseudonym=f"anon:{secrets.token_hex(8)}", participant_id=None)
    counts = result.counts
    participant = (
        await session.execute(select(Participant).where(col(Participant.telegram_id) == telegram_id).with_for_update())
    ).scalar_one_or_none()  # type: ignore[arg-type]
    texts = [username or "", *names]
    reg_ids: list[int] = []
    if participant is not None:
        assert participant.id is not None
        result.participant_id = participant.id
        texts += [
            participant.telegram_username or "",
            participant.full_name,
            participant.native_name or "",
            participant.email or "",
        ]
        reg_ids = await _erase_participant(session, participant, now)
        counts["registrations"] = len(reg_ids)
    scrub = _Scrubber(telegram_id, result.pseudonym, texts)

    counts["staff_roles"] = await _rowcount(session, delete(StaffRole).where(col(StaffRole.telegram_id) == telegram_id))
    for table, column in STAFF_COLUMNS:  # they acted as staff: the rows stay, without them
        t = table.__table__  # type: ignore[union-attr]
        counts[f"{t.name}.{column}"] = await _rowcount(
            session, update(t).where(t.c[column] == telegram_id).values({column: None})
        )
    counts["reasons"] = await _scrub_reasons(session, scrub)
    counts["scan_nonces"] = await _scrub_nonces(session, telegram_id, result.pseudonym)
    counts["user_pref"] = await _rowcount(session, delete(UserPref).where(col(UserPref.telegram_id) == telegram_id))
    counts["outbox"] = await _scrub_outbox(session, telegram_id, scrub)
    counts["audit"] = await _scrub_audit(session, telegram_id, result.participant_id, reg_ids, scrub)

    if result.held:
        audit.record(
            session,
            action="participant.forget",
            entity="participant",
            entity_id=result.participant_id,
            at=now,
            actor=result.pseudonym,
            staff_roles=counts["staff_roles"],
        )
    await session.flush()
    return result


async def _rowcount(session: AsyncSession, statement: Any) -> int:
    result = await session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def _erase_participant(session: AsyncSession, participant: Participant, now: Any) -> list[int]:
    """Empty the participant row, cancel and strip its registrations; their ids."""
    from core.programme.signups import release_all  # sign-ups promote the waiting list

    regs = list(
        (await session.execute(select(Registration).where(col(Registration.participant_id) == participant.id)))
        .scalars()
        .all()
    )  # type: ignore[arg-type]
    for reg in regs:
        if reg.status in ACTIVE:
            reg.status = RegistrationStatus.CANCELLED
            await release_all(session, reg.id, now)  # type: ignore[arg-type]
        reg.badge_file_id, reg.bind_token, reg.decision_reason, reg.updated_at = None, None, None, now
        reg.badge_version += 1  # any printed badge stops working
    for attr in (
        "native_name",
        "position",
        "organisation",
        "email",
        "telegram_id",
        "telegram_username",
        "ref",
        "language",
        "blocked_bot_at",
    ):
        setattr(participant, attr, None)
    participant.full_name = ""
    participant.forgotten_at = participant.updated_at = now
    await session.execute(
        update(Delegation).where(col(Delegation.head_participant_id) == participant.id).values(head_participant_id=None)
    )
    # A speaker without a name would be listed as a blank: the programme drops them.
    await session.execute(delete(AgendaSpeaker).where(col(AgendaSpeaker.participant_id) == participant.id))
    await session.flush()
    return [r.id for r in regs if r.id is not None]


async def _scrub_reasons(session: AsyncSession, scrub: _Scrubber) -> int:
    """Reasons officers typed about other people's registrations that name them."""
    rows = (
        await session.execute(
            select(col(Registration.id), col(Registration.decision_reason)).where(
                col(Registration.decision_reason).is_not(None)
            )
        )
    ).all()
    changed = 0
    for reg_id, reason in rows:
        clean = scrub.text(reason or "")
        if clean != reason:
            await session.execute(
                update(Registration).where(col(Registration.id) == reg_id).values(decision_reason=clean)
            )
            changed += 1
    return changed


async def _scrub_nonces(session: AsyncSession, telegram_id: int, pseudonym: str) -> int:
    """Scans made in Telegram carry "tg:<chat>:<message>" to drop a repeated update: the
    chat becomes the pseudonym (still unique: one pseudonym per person, message ids per chat)."""
    prefix = f"tg:{telegram_id}:"
    rows = (
        await session.execute(
            select(col(Scan.id), col(Scan.nonce)).where(col(Scan.nonce).startswith(prefix, autoescape=True))
        )
    ).all()
    for scan_id, nonce in rows:
        rest = (nonce or "")[len(prefix) :]
        await session.execute(update(Scan).where(col(Scan.id) == scan_id).values(nonce=f"{pseudonym}:{rest}"[:64]))
    return len(rows)


async def _scrub_outbox(session: AsyncSession, telegram_id: int, scrub: _Scrubber) -> int:
    t = OutboxMessage.__table__  # type: ignore[attr-defined]
    key_word = scrub.pseudonym.replace(":", "-")  # a dedup key's parts are colon-separated
    rows = (
        await session.execute(
            select(t.c.id, t.c.dedup_key, t.c.payload, t.c.error, t.c.status).where(t.c.chat_id == telegram_id)
        )
    ).all()
    for row in rows:
        key = ":".join(key_word if part == str(telegram_id) else part for part in row.dedup_key.split(":"))
        values: dict[str, Any] = {
            "chat_id": NO_CHAT,
            "dedup_key": key[:128],
            "payload": scrub.value(row.payload or {}),
            "error": scrub.text(row.error) if row.error else None,
        }
        if str(getattr(row.status, "value", row.status)) == OutboxStatus.PENDING.value:
            # Not sent yet: never will be. Clearing the claim also stops a sender that holds
            # it from marking it sent (its updates match on the claim's token).
            values.update(status=OutboxStatus.CANCELLED.value, claimed_by=None, claimed_until=None, claim_token=None)
        await session.execute(update(t).where(t.c.id == row.id).values(**values))
    return len(rows)


async def _scrub_audit(
    session: AsyncSession, telegram_id: int, participant_id: int | None, reg_ids: list[int], scrub: _Scrubber
) -> int:
    """Rows where they acted get the pseudonym; rows about them lose free text; any row whose
    details hold their id or a text naming them (a broadcast, a reason) is scrubbed."""
    about_them = [and_(col(AuditLog.entity) == "registration", col(AuditLog.entity_id).in_(reg_ids))]
    if participant_id is not None:
        about_them.append(and_(col(AuditLog.entity) == "participant", col(AuditLog.entity_id) == participant_id))
    candidates = (
        (
            await session.execute(
                select(AuditLog).where(
                    or_(
                        col(AuditLog.actor_telegram_id) == telegram_id,
                        col(AuditLog.actor) == audit.actor_label(telegram_id),
                        col(AuditLog.action).in_(FREE_TEXT_ACTIONS),
                        cast(col(AuditLog.details), String).contains(str(telegram_id)),
                        *about_them,
                    )
                )
            )
        )
        .scalars()
        .all()
    )
    reg_set = set(reg_ids)
    changed = 0
    broadcasts: dict[int, str] = {}  # broadcast id -> its text, scrubbed
    for row in candidates:
        details = dict(row.details or {})
        acted = row.actor_telegram_id == telegram_id or row.actor == audit.actor_label(telegram_id)
        if acted:
            row.actor_telegram_id, row.actor = None, scrub.pseudonym
            if "officer" in details:
                details["officer"] = scrub.pseudonym
        mine = (row.entity == "registration" and row.entity_id in reg_set) or (
            row.entity == "participant" and participant_id is not None and row.entity_id == participant_id
        )
        if mine and details.get("reason") not in (None, "auto", "import"):
            details["reason"] = None
        scrubbed = scrub.value(details)
        if row.action == "broadcast.send" and scrubbed.get("text") != details.get("text") and row.id is not None:
            broadcasts[row.id] = str(scrubbed.get("text") or "")
        if acted or scrubbed != (row.details or {}):
            row.details = scrubbed
            changed += 1
    await _scrub_broadcast_payloads(session, broadcasts)
    await session.flush()
    return changed


async def _scrub_broadcast_payloads(session: AsyncSession, broadcasts: dict[int, str]) -> None:
    """A broadcast that named them: its copies to everyone else keep the scrubbed text."""
    t = OutboxMessage.__table__  # type: ignore[attr-defined]
    for broadcast_id, text in broadcasts.items():
        await session.execute(
            update(t)
            .where(t.c.dedup_key.startswith(dedup_prefix(broadcast_id), autoescape=True))
            .values(payload={"broadcast_id": broadcast_id, "text": text})
        )

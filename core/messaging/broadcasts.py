"""Broadcasts: one message from the organisers to an audience, sent through the outbox.

A broadcast is identified by the id of its `broadcast.send` audit row (no table of its
own): the row's details keep the audience, the text, the number of recipients, and where
the organiser's progress message is. Sending queues one outbox row per recipient, kind
"broadcast", dedup_key "broadcast:<id>:<telegram_id>", so every recipient gets it once
whatever restarts happen (the sender claims rows; sent rows are never sent again).
When no row of the broadcast is pending any more, `finish` records `broadcast.done` and
queues the delivery report for the organiser (kind "broadcast_report", one per broadcast).
What the organiser's progress message shows is kept in the row's details too (`show`, a
compare-and-set), so a watcher restarted, or a second one in another process, never edits
the message to the text it already has.

Recipients: approved registrations of the conference with a Telegram account, minus people
who blocked the bot (the sender marks them) or asked to be forgotten.

Nothing here commits: each function runs in its caller's unit of work (`core/uow.py`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, reporting
from core.clock import Clock, utc_now
from core.conferences import get_locked
from core.errors import InvalidInput, NotFound
from core.messaging import outbox
from core.models import (
    AgendaSignup,
    AuditLog,
    Category,
    Conference,
    OutboxMessage,
    OutboxStatus,
    Participant,
    Presence,
    Registration,
    RegistrationStatus,
    SignupStatus,
)

KIND = "broadcast"
REPORT_KIND = "broadcast_report"
MAX_TEXT = 3500  # Telegram allows 4096; the preview adds a header
BLOCKED_ERROR = "blocked by the user"  # what bot/sender.py records

_reg = Registration.__table__  # type: ignore[attr-defined]
_part = Participant.__table__  # type: ignore[attr-defined]
_signup = AgendaSignup.__table__  # type: ignore[attr-defined]
_presence = Presence.__table__  # type: ignore[attr-defined]
_outbox = OutboxMessage.__table__  # type: ignore[attr-defined]
_audit = AuditLog.__table__  # type: ignore[attr-defined]


class AudienceKind(StrEnum):
    APPROVED = "approved"  # everyone approved
    DELEGATION = "delegation"  # value: delegation id
    CATEGORY = "category"  # value: a Category value
    ITEM = "item"  # value: agenda item id; confirmed sign-ups
    INSIDE = "inside"  # inside the venue now (entered today)


@dataclass(frozen=True)
class Audience:
    kind: AudienceKind
    value: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "value": self.value}


def dedup_prefix(broadcast_id: int) -> str:
    return f"{KIND}:{broadcast_id}:"


def _recipients(conference: Conference, audience: Audience, now: datetime) -> Any:
    where: list[Any] = [
        _reg.c.conference_id == conference.id,
        _reg.c.status == RegistrationStatus.APPROVED.value,
        _part.c.telegram_id.is_not(None),
        _part.c.blocked_bot_at.is_(None),
        _part.c.forgotten_at.is_(None),
    ]
    kind, value = audience.kind, audience.value
    try:
        if kind is AudienceKind.DELEGATION:
            where.append(_reg.c.delegation_id == int(value or ""))
        elif kind is AudienceKind.CATEGORY:
            where.append(_reg.c.category == Category(value or "").value)
        elif kind is AudienceKind.ITEM:
            where.append(
                exists().where(
                    _signup.c.registration_id == _reg.c.id,
                    _signup.c.agenda_item_id == int(value or ""),
                    _signup.c.status == SignupStatus.CONFIRMED.value,
                )
            )
        elif kind is AudienceKind.INSIDE:
            today_start, _ = reporting.day_bounds(conference, now.astimezone(reporting.zone(conference)).date())
            where.append(
                exists().where(
                    _presence.c.registration_id == _reg.c.id,
                    _presence.c.inside.is_(True),
                    _presence.c.since >= today_start,
                )
            )
    except ValueError as exc:
        raise InvalidInput(f"bad audience {kind.value}={value!r}", code="invalid_input") from exc
    return (
        select(_part.c.telegram_id)
        .select_from(_reg.join(_part, _part.c.id == _reg.c.participant_id))
        .where(and_(*where))
        .distinct()
    )


async def audience_size(
    session: AsyncSession, conference: Conference, audience: Audience, *, clock: Clock = utc_now
) -> int:
    """How many people the broadcast would reach now (for the preview)."""
    n = (
        await session.execute(select(func.count()).select_from(_recipients(conference, audience, clock()).subquery()))
    ).scalar_one()
    return int(n)


@dataclass(frozen=True)
class Started:
    broadcast_id: int
    recipients: int


def _checked_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput("the message is empty", code="broadcast_empty")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"the message is too long (at most {MAX_TEXT} characters)", code="too_long", max=MAX_TEXT)
    return text


async def _record_send(
    session: AsyncSession,
    conference: Conference,
    *,
    at: datetime,
    actor_telegram_id: int | None,
    actor: str | None,
    **details: Any,
) -> int:
    """The `broadcast.send` audit row, whose id is the broadcast's id."""
    row = audit.record(
        session,
        action="broadcast.send",
        entity="broadcast",
        entity_id=None,
        at=at,
        conference_id=conference.id,
        actor_telegram_id=actor_telegram_id,
        actor=actor,
        **details,
    )
    await session.flush()
    assert row.id is not None
    row.entity_id = row.id
    return row.id


async def start(
    session: AsyncSession,
    conference: Conference,
    audience: Audience,
    *,
    text: str,
    actor_telegram_id: int | None,
    report_chat_id: int | None = None,
    progress_message_id: int | None = None,
    language: str = "en",
    actor: str | None = None,
    clock: Clock = utc_now,
) -> Started:
    """Queue the broadcast for every recipient; audit `broadcast.send`. No commit."""
    text = _checked_text(text)
    now = clock()
    ids = [int(i) for i in (await session.execute(_recipients(conference, audience, now))).scalars().all()]
    broadcast_id = await _record_send(
        session,
        conference,
        at=now,
        actor_telegram_id=actor_telegram_id,
        actor=actor,
        audience=audience.as_dict(),
        recipients=len(ids),
        text=text,
        report_chat_id=report_chat_id,
        progress_message_id=progress_message_id,
        language=language,
    )
    await outbox.enqueue_many(
        session,
        kind=KIND,
        chat_ids=ids,
        dedup_prefix=dedup_prefix(broadcast_id),
        due_at=now,
        payload={"broadcast_id": broadcast_id, "text": text},
        conference_id=conference.id,
        created_at=now,
    )
    return Started(broadcast_id, len(ids))


@dataclass(frozen=True)
class Progress:
    broadcast_id: int
    total: int
    sent: int
    failed: int  # gave up (bad request, too many retries, nothing to send)
    blocked: int  # the recipient blocked the bot
    pending: int  # not sent yet (waiting, retrying after 429)

    @property
    def done(self) -> bool:
        return self.pending == 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def _progress(session: AsyncSession, broadcast_id: int) -> Progress:
    blocked = case((_outbox.c.error == BLOCKED_ERROR, 1), else_=0)
    rows = (
        await session.execute(
            select(_outbox.c.status, blocked, func.count())
            .where(_outbox.c.dedup_key.startswith(dedup_prefix(broadcast_id), autoescape=True))
            .group_by(_outbox.c.status, blocked)
        )
    ).all()
    n = {"sent": 0, "failed": 0, "blocked": 0, "pending": 0}
    for status, is_blocked, count in rows:
        status = str(getattr(status, "value", status))
        if status == OutboxStatus.SENT.value:
            n["sent"] += int(count)
        elif status == OutboxStatus.PENDING.value:
            n["pending"] += int(count)
        elif is_blocked:
            n["blocked"] += int(count)
        else:
            n["failed"] += int(count)
    return Progress(broadcast_id, sum(n.values()), **n)


async def progress(session: AsyncSession, broadcast_id: int) -> Progress:
    return await _progress(session, broadcast_id)


@dataclass(frozen=True)
class BroadcastInfo:
    broadcast_id: int
    conference_id: int | None
    at: datetime
    recipients: int
    report_chat_id: int | None
    progress_message_id: int | None
    language: str
    text: str
    shown: str | None = None  # the progress message's text as last set by `show`
    shown_at: datetime | None = None
    finished: bool = False  # `finish` was done: the report is queued


def _info(row: Any, finished: bool = False) -> BroadcastInfo:
    d = dict(row.details or {})
    shown_at = d.get("shown_at")
    return BroadcastInfo(
        int(row.id),
        row.conference_id,
        row.at,
        int(d.get("recipients") or 0),
        d.get("report_chat_id"),
        d.get("progress_message_id"),
        str(d.get("language") or "en"),
        str(d.get("text") or ""),
        d.get("shown"),
        datetime.fromisoformat(shown_at) if isinstance(shown_at, str) else None,
        finished,
    )


async def get(session: AsyncSession, broadcast_id: int) -> BroadcastInfo:
    row = (
        await session.execute(
            select(_audit, _done_exists(broadcast_id).label("finished")).where(
                _audit.c.id == broadcast_id, _audit.c.action == "broadcast.send"
            )
        )
    ).first()
    if row is None:
        raise NotFound(f"broadcast {broadcast_id} not found", code="not_found", id=broadcast_id)
    return _info(row, bool(row.finished))


async def show(
    session: AsyncSession, broadcast_id: int, *, old: str | None, new: str | None, clock: Clock = utc_now
) -> bool:
    """Record that the progress message is being set to `new`, if it still shows `old`
    (compare-and-set: of two watchers only one edits the message to a text). No commit: the
    caller's unit of work makes the claim visible to other watchers."""
    row = await get_locked(session, AuditLog, broadcast_id)
    details = dict(row.details or {})
    if details.get("shown") != old:
        return False
    details["shown"], details["shown_at"] = new, clock().isoformat()
    row.details = details
    await session.flush()  # what `get` reads next, in this unit of work too
    return True


def _done_exists(broadcast_id: int) -> Any:
    done = _audit.alias("done")
    return exists().where(
        done.c.action == "broadcast.done", done.c.entity == "broadcast", done.c.entity_id == broadcast_id
    )


async def unfinished(session: AsyncSession) -> list[BroadcastInfo]:
    """Broadcasts whose delivery report was not given yet (to watch again after a restart)."""
    rows = (
        await session.execute(
            select(_audit).where(_audit.c.action == "broadcast.send", ~_done_exists(_audit.c.id)).order_by(_audit.c.id)
        )
    ).all()
    return [_info(r) for r in rows]


async def finish(session: AsyncSession, broadcast_id: int, *, clock: Clock = utc_now) -> Progress | None:
    """If nothing of the broadcast is pending: record `broadcast.done`, queue the delivery
    report to the organiser and return the final counts (once: later calls return None)."""
    sent_row = await get_locked(session, AuditLog, broadcast_id)
    already = (await session.execute(select(_done_exists(broadcast_id)))).scalar()
    result = await _progress(session, broadcast_id)
    if already or not result.done:
        return None
    now = clock()
    audit.record(
        session,
        action="broadcast.done",
        entity="broadcast",
        entity_id=broadcast_id,
        at=now,
        conference_id=sent_row.conference_id,
        actor="system",
        **result.as_dict(),
    )
    chat = (sent_row.details or {}).get("report_chat_id")
    if chat is not None:
        await outbox.enqueue(
            session,
            kind=REPORT_KIND,
            chat_id=int(chat),  # type: ignore[call-overload]
            dedup_key=f"{REPORT_KIND}:{broadcast_id}",
            due_at=now,
            payload=result.as_dict(),
            conference_id=sent_row.conference_id,
        )
    await session.flush()  # `broadcast.done` is there for the next call, in this unit of work too
    return result


async def reachable(session: AsyncSession, telegram_id: int) -> bool:
    """Whether a recipient may still be written to (not blocked since the broadcast was
    queued, not forgotten). Part of the caller's unit of work: no commit."""
    row = (
        await session.execute(
            select(_part.c.blocked_bot_at, _part.c.forgotten_at).where(_part.c.telegram_id == telegram_id)
        )
    ).first()
    return row is None or (row[0] is None and row[1] is None)

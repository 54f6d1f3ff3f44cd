"""Sign-up and accreditation: registering, deciding, editing, withdrawing (forgetting:
core.people.erasure).

Each public function is one unit of work: it checks the rules, changes rows, records the
audit entry and commits once. Seat quotas lock the delegation row first, so two people
taking the last seat at once get one seat and one `quota_exceeded`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core import audit
from core.clock import Clock, utc_now
from core.conferences import get_locked
from core.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    QuotaExceeded,
    WrongState,
)
from core.models import (
    AgendaSignup,
    AuditLog,
    Category,
    Conference,
    Delegation,
    Invitation,
    Participant,
    Registration,
    RegistrationStatus,
    SignupStatus,
)

ACTIVE = (RegistrationStatus.PENDING, RegistrationStatus.APPROVED)
# What is printed on the badge: changing it sends a registration back for approval.
REVIEWED_FIELDS = frozenset({"full_name", "native_name", "delegation", "category"})


@dataclass(frozen=True)
class PersonData:
    """What a person tells us about themselves; already validated at the edge."""

    full_name: str
    native_name: str | None = None
    position: str | None = None
    organisation: str | None = None
    email: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class TelegramAccount:
    telegram_id: int
    username: str | None = None
    language: str | None = None


@dataclass
class RegistrationView:
    registration: Registration
    participant: Participant
    delegation: Delegation | None
    changed: list[str] = field(default_factory=list)
    needs_review: bool = False  # an edit the accreditation service must look at again


def _view_query(registration_id: int) -> Any:
    return (
        select(Registration, Participant, Delegation)
        .join(Participant, col(Participant.id) == col(Registration.participant_id))
        .outerjoin(Delegation, col(Delegation.id) == col(Registration.delegation_id))
        .where(col(Registration.id) == registration_id)
    )


async def view(session: AsyncSession, registration_id: int) -> RegistrationView:
    row = (await session.execute(_view_query(registration_id))).one_or_none()
    if row is None:
        raise NotFound(f"registration {registration_id} not found", code="registration_not_found")
    return RegistrationView(row[0], row[1], row[2])


async def find_by_telegram(session: AsyncSession, conference_id: int, telegram_id: int) -> RegistrationView | None:
    reg_id = (
        await session.execute(
            select(col(Registration.id))
            .join(Participant, col(Participant.id) == col(Registration.participant_id))
            .where(col(Registration.conference_id) == conference_id, col(Participant.telegram_id) == telegram_id)
        )
    ).scalar_one_or_none()
    return await view(session, reg_id) if reg_id is not None else None


async def my_registration(session: AsyncSession, conference_id: int, telegram_id: int) -> RegistrationView | None:
    """Read-only lookup for /me and friends; ends its transaction."""
    found = await find_by_telegram(session, conference_id, telegram_id)
    await session.commit()
    return found


async def _check_quota(session: AsyncSession, delegation: Delegation, exclude_registration: int | None) -> None:
    if delegation.quota is None:
        return
    query = (
        select(func.count())
        .select_from(Registration)
        .where(
            col(Registration.delegation_id) == delegation.id,
            col(Registration.status).in_(ACTIVE),
        )
    )
    if exclude_registration is not None:
        query = query.where(col(Registration.id) != exclude_registration)
    taken = (await session.execute(query)).scalar_one()
    if taken >= delegation.quota:
        raise QuotaExceeded(
            f"delegation {delegation.code} has no seats left ({delegation.quota} of {delegation.quota} taken)",
            code="quota_exceeded",
            quota=delegation.quota,
            delegation=delegation.code,
        )


async def _delegation_for(session: AsyncSession, conference_id: int, delegation_id: int | None) -> Delegation | None:
    if delegation_id is None:
        return None
    delegation = await get_locked(session, Delegation, delegation_id)
    if delegation.conference_id != conference_id:
        raise InvalidInput("that delegation belongs to another conference", code="wrong_conference")
    return delegation


async def _use_invitation(session: AsyncSession, conference_id: int, token: str, now: datetime) -> Invitation:
    invitation = (
        await session.execute(select(Invitation).where(col(Invitation.token) == token).with_for_update())
    ).scalar_one_or_none()
    if invitation is None or invitation.conference_id != conference_id:
        raise NotFound("this invitation link is not valid", code="invitation_invalid")
    if invitation.revoked_at is not None:
        raise WrongState("this invitation was revoked", code="invitation_revoked")
    if invitation.expires_at is not None and invitation.expires_at <= now:
        raise WrongState("this invitation has expired", code="invitation_expired")
    if invitation.max_uses is not None and invitation.uses >= invitation.max_uses:
        raise WrongState("this invitation has been used up", code="invitation_used_up")
    invitation.uses += 1
    return invitation


def _auto_approved(conference: Conference, delegation: Delegation | None, category: Category) -> bool:
    return category.value in (conference.auto_approve_categories or []) or bool(delegation and delegation.auto_approve)


async def _participant_for(
    session: AsyncSession, account: TelegramAccount | None, person: PersonData, now: datetime
) -> tuple[Participant, bool]:
    """The account's participant (updated with `person`), or a new one; and whether new."""
    participant = None
    if account is not None:
        participant = (
            await session.execute(select(Participant).where(col(Participant.telegram_id) == account.telegram_id))
        ).scalar_one_or_none()
    created = participant is None
    if participant is None:
        participant = Participant(full_name=person.full_name, created_at=now)
        session.add(participant)
    participant.full_name = person.full_name
    participant.native_name = person.native_name
    participant.position = person.position
    participant.organisation = person.organisation
    participant.email = person.email or participant.email
    participant.language = person.language or participant.language
    if account is not None:
        participant.telegram_id = account.telegram_id
        participant.telegram_username = account.username
    participant.updated_at = now
    await session.flush()
    return participant, created


async def register(
    session: AsyncSession,
    conference: Conference,
    person: PersonData,
    *,
    category: Category,
    delegation_id: int | None = None,
    account: TelegramAccount | None = None,
    invitation_token: str | None = None,
    registered_by: int | None = None,
    personal_link: bool = False,
    clock: Clock = utc_now,
) -> RegistrationView:
    """A new registration, pending unless auto-approval applies. `registered_by` is the
    head of delegation registering a member on their behalf; `personal_link` gives the
    registration a bind token so its owner can connect their Telegram account later."""
    now = clock()
    assert conference.id is not None
    invitation = None
    if invitation_token:
        invitation = await _use_invitation(session, conference.id, invitation_token, now)
        delegation_id = invitation.delegation_id
        category = invitation.category or category
    delegation = await _delegation_for(session, conference.id, delegation_id)
    participant, created = await _participant_for(session, account, person, now)
    existing = (
        None
        if created
        else (
            await session.execute(
                select(Registration).where(
                    col(Registration.conference_id) == conference.id,
                    col(Registration.participant_id) == participant.id,
                )
            )
        ).scalar_one_or_none()
    )
    if existing is not None and existing.status in ACTIVE:
        raise Conflict(
            "already registered for this conference", code="already_registered", status=existing.status.value
        )
    if delegation is not None:
        await _check_quota(session, delegation, existing.id if existing else None)
    assert participant.id is not None
    reg = existing or Registration(
        conference_id=conference.id, participant_id=participant.id, category=category, created_at=now
    )
    reg.category = category
    reg.delegation_id = delegation.id if delegation else None
    reg.invitation_id = invitation.id if invitation else None
    reg.source = "invitation" if invitation else ("delegation" if registered_by else "bot")
    reg.updated_at = now
    if personal_link and account is None:
        reg.bind_token = secrets.token_urlsafe(16)
    if _auto_approved(conference, delegation, category):
        reg.status, reg.decided_at, reg.decided_by, reg.decision_reason = RegistrationStatus.APPROVED, now, None, "auto"
    else:
        reg.status, reg.decided_at, reg.decided_by, reg.decision_reason = RegistrationStatus.PENDING, None, None, None
    session.add(reg)
    await session.flush()
    audit.record(
        session,
        action="registration.create",
        entity="registration",
        entity_id=reg.id,
        at=now,
        conference_id=conference.id,
        actor_telegram_id=registered_by or (account.telegram_id if account else None),
        category=category.value,
        delegation=delegation.code if delegation else None,
        status=reg.status.value,
    )
    await session.commit()
    return RegistrationView(reg, participant, delegation)


DECISIONS = ("registration.approve", "registration.reject")


async def _decision_conflict(session: AsyncSession, registration_id: int, conference_id: int | None) -> DomainError:
    """Why a decision on `registration_id` cannot be taken by an officer of `conference_id`
    (None: the CLI, any conference): it does not exist for them, it was withdrawn, or someone
    decided it already (who, by the decision's audit row, and when)."""
    reg = (
        await session.execute(
            select(Registration)
            .where(col(Registration.id) == registration_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if reg is None or (conference_id is not None and reg.conference_id != conference_id):
        # Another conference's registration is as unknown to this officer as a missing one.
        return NotFound(f"registration {registration_id} not found", code="registration_not_found", id=registration_id)
    if reg.status == RegistrationStatus.CANCELLED:
        return WrongState("the participant withdrew this registration", code="registration_cancelled")
    if reg.status == RegistrationStatus.PENDING:  # decided and sent back to pending meanwhile
        return WrongState("the registration changed meanwhile: try again", code="registration_changed")
    row = (
        await session.execute(
            select(AuditLog)
            .where(
                col(AuditLog.entity) == "registration",
                col(AuditLog.entity_id) == registration_id,
                col(AuditLog.action).in_(DECISIONS),
            )
            .order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    by: str | None = None
    if row is not None:
        by = str((row.details or {}).get("officer") or row.actor)
        by = None if by == "system" else by
    return WrongState(
        f"already {reg.status.value} by {by or 'the system'}"
        + (f" at {reg.decided_at:%Y-%m-%d %H:%M} UTC" if reg.decided_at else ""),
        code="already_decided",
        id=registration_id,
        status=reg.status.value,
        by=by,
        at=reg.decided_at,
    )


async def decidable(session: AsyncSession, registration_id: int, *, conference_id: int) -> RegistrationView:
    """The registration an officer of `conference_id` is about to decide (the reject flow
    asks for a reason first): raises as `decide` would if it is not pending any more."""
    row = (await session.execute(_view_query(registration_id))).one_or_none()
    if row is None or row[0].conference_id != conference_id or row[0].status != RegistrationStatus.PENDING:
        error = await _decision_conflict(session, registration_id, conference_id)
        await session.commit()  # nothing was changed: end the transaction, keep loaded objects
        raise error
    await session.commit()
    return RegistrationView(row[0], row[1], row[2])


async def decide(
    session: AsyncSession,
    registration_id: int,
    *,
    approve: bool,
    actor_telegram_id: int | None,
    conference_id: int | None,
    reason: str | None = None,
    actor: str | None = None,
    actor_name: str | None = None,
    revise: bool = False,
    clock: Clock = utc_now,
) -> RegistrationView:
    """Approve or reject a pending registration: compare-and-set, so of two officers
    deciding the same card (the same way or not, at once or one after the other) exactly
    one changes it; the other gets `already_decided` with who decided and when.

    `conference_id` is the deciding officer's conference: a registration of another one is
    `registration_not_found` (None only for the CLI, which acts on the whole database).
    `actor_name` (e.g. "@olga") is kept in the audit row to tell later deciders who it was.
    `revise` (the CLI's explicit command) may also turn an earlier decision around."""
    now = clock()
    if not approve and not (reason and reason.strip()):
        raise InvalidInput("a rejection needs a reason", code="reason_required")
    target = RegistrationStatus.APPROVED if approve else RegistrationStatus.REJECTED
    decision_reason = reason.strip()[:500] if reason else None
    expected = [RegistrationStatus.PENDING]
    if revise:
        expected.append(RegistrationStatus.REJECTED if approve else RegistrationStatus.APPROVED)
        reg = await get_locked(session, Registration, registration_id)
        if approve and reg.status == RegistrationStatus.REJECTED and reg.delegation_id is not None:
            # a rejection freed the seat: approving takes one again (pending ones hold theirs)
            await _check_quota(session, await get_locked(session, Delegation, reg.delegation_id), reg.id)
    guard = [col(Registration.id) == registration_id, col(Registration.status).in_(expected)]
    if conference_id is not None:
        guard.append(col(Registration.conference_id) == conference_id)
    changed = await session.execute(
        update(Registration)
        .where(*guard)
        .values(
            status=target,
            decided_by=actor_telegram_id,
            decided_at=now,
            decision_reason=decision_reason,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        error = await _decision_conflict(session, registration_id, conference_id)
        await session.commit()  # nothing was changed: end the transaction, keep loaded objects
        raise error
    row = (await session.execute(_view_query(registration_id).execution_options(populate_existing=True))).one()
    result = RegistrationView(row[0], row[1], row[2])
    details: dict[str, object] = {"reason": decision_reason}
    if actor_name:
        details["officer"] = actor_name[:64]
    audit.record(
        session,
        action=DECISIONS[0] if approve else DECISIONS[1],
        entity="registration",
        entity_id=registration_id,
        at=now,
        conference_id=result.registration.conference_id,
        actor_telegram_id=actor_telegram_id,
        actor=actor,
        **details,
    )
    await session.commit()
    return result


async def update_person(
    session: AsyncSession,
    registration_id: int,
    person: PersonData,
    *,
    delegation_id: int | None,
    category: Category | None = None,
    actor_telegram_id: int | None = None,
    clock: Clock = utc_now,
) -> RegistrationView:
    """Change a participant's data. An approved registration whose name or delegation
    changes goes back to pending (its badge would be wrong)."""
    now = clock()
    reg = await get_locked(session, Registration, registration_id)
    if reg.status not in ACTIVE:
        raise WrongState("this registration is no longer active", code="registration_inactive", status=reg.status.value)
    participant = await session.get(Participant, reg.participant_id)
    assert participant is not None
    changed = [
        name
        for name, old, new in (
            ("full_name", participant.full_name, person.full_name),
            ("native_name", participant.native_name, person.native_name),
            ("position", participant.position, person.position),
            ("organisation", participant.organisation, person.organisation),
            ("delegation", reg.delegation_id, delegation_id),
            ("category", reg.category, category or reg.category),
        )
        if old != new
    ]
    if delegation_id != reg.delegation_id:
        delegation = await _delegation_for(session, reg.conference_id, delegation_id)
        if delegation is not None:
            await _check_quota(session, delegation, reg.id)
    participant.full_name, participant.native_name = person.full_name, person.native_name
    participant.position, participant.organisation = person.position, person.organisation
    participant.updated_at = now
    reg.delegation_id = delegation_id
    reg.category = category or reg.category
    needs_review = bool(REVIEWED_FIELDS & set(changed))
    if reg.status == RegistrationStatus.APPROVED and needs_review:
        reg.status, reg.decided_at, reg.decided_by, reg.decision_reason = RegistrationStatus.PENDING, None, None, None
    reg.updated_at = now
    if changed:
        reg.badge_file_id = None  # the chat badge shows these: render it anew
        audit.record(
            session,
            action="registration.edit",
            entity="registration",
            entity_id=reg.id,
            at=now,
            conference_id=reg.conference_id,
            actor_telegram_id=actor_telegram_id,
            fields=changed,
        )
    await session.flush()
    result = await view(session, registration_id)
    result.changed, result.needs_review = changed, needs_review
    await session.commit()
    return result


async def withdraw(
    session: AsyncSession, registration_id: int, *, actor_telegram_id: int | None, clock: Clock = utc_now
) -> RegistrationView:
    """Cancel a registration: frees its delegation seat and its agenda seats."""
    from core.programme.signups import release_all  # sign-ups promote the waiting list

    now = clock()
    reg = await get_locked(session, Registration, registration_id)
    if reg.status == RegistrationStatus.CANCELLED:
        raise WrongState("already withdrawn", code="already_withdrawn")
    reg.status, reg.updated_at = RegistrationStatus.CANCELLED, now
    await release_all(session, reg.id, now)  # type: ignore[arg-type]
    audit.record(
        session,
        action="registration.withdraw",
        entity="registration",
        entity_id=reg.id,
        at=now,
        conference_id=reg.conference_id,
        actor_telegram_id=actor_telegram_id,
    )
    await session.flush()
    result = await view(session, registration_id)
    await session.commit()
    return result


async def pending(
    session: AsyncSession, conference_id: int, *, limit: int = 20, offset: int = 0
) -> tuple[list[RegistrationView], int]:
    """Registrations waiting for a decision, oldest first, and how many there are."""
    base = select(col(Registration.id)).where(
        col(Registration.conference_id) == conference_id,
        col(Registration.status) == RegistrationStatus.PENDING,
    )
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    ids = (
        (
            await session.execute(
                base.order_by(col(Registration.created_at), col(Registration.id)).limit(limit).offset(offset)
            )
        )
        .scalars()
        .all()
    )  # type: ignore[arg-type]
    views = [await view(session, i) for i in ids if i is not None]
    await session.commit()
    return views, int(total)


async def delegation_members(session: AsyncSession, delegation_id: int) -> list[RegistrationView]:
    ids = (
        (
            await session.execute(
                select(col(Registration.id))
                .where(col(Registration.delegation_id) == delegation_id)
                .order_by(col(Registration.created_at), col(Registration.id))
            )
        )
        .scalars()
        .all()
    )
    views = [await view(session, i) for i in ids if i is not None]
    await session.commit()
    return views


async def seats_left(session: AsyncSession, delegation: Delegation) -> int | None:
    if delegation.quota is None:
        return None
    taken = (
        await session.execute(
            select(func.count())
            .select_from(Registration)
            .where(col(Registration.delegation_id) == delegation.id, col(Registration.status).in_(ACTIVE))
        )
    ).scalar_one()
    return max(0, delegation.quota - int(taken))


async def create_invitation(
    session: AsyncSession,
    conference_id: int,
    *,
    delegation_id: int | None,
    category: Category | None = None,
    created_by: int | None,
    expires_at: datetime | None = None,
    max_uses: int | None = None,
    clock: Clock = utc_now,
) -> Invitation:
    now = clock()
    if max_uses is not None and max_uses < 1:
        raise InvalidInput("max uses must be at least 1", code="bad_max_uses")
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("the expiry is in the past", code="bad_expiry")
    if delegation_id is not None:
        await _delegation_for(session, conference_id, delegation_id)
    invitation = Invitation(
        conference_id=conference_id,
        token=secrets.token_urlsafe(12),
        delegation_id=delegation_id,
        category=category,
        created_by=created_by,
        expires_at=expires_at,
        max_uses=max_uses,
        created_at=now,
    )
    session.add(invitation)
    await session.flush()
    audit.record(
        session,
        action="invitation.create",
        entity="invitation",
        entity_id=invitation.id,
        at=now,
        conference_id=conference_id,
        actor_telegram_id=created_by,
        delegation_id=delegation_id,
        max_uses=max_uses,
    )
    await session.commit()
    return invitation


async def invitation_by_token(
    session: AsyncSession, conference_id: int, token: str, *, clock: Clock = utc_now
) -> Invitation:
    """Check an invitation without using it (the wizard uses it when it registers)."""
    invitation = (await session.execute(select(Invitation).where(col(Invitation.token) == token))).scalar_one_or_none()
    now = clock()
    if invitation is None or invitation.conference_id != conference_id:
        raise NotFound("this invitation link is not valid", code="invitation_invalid")
    if invitation.revoked_at is not None:
        raise WrongState("this invitation was revoked", code="invitation_revoked")
    if invitation.expires_at is not None and invitation.expires_at <= now:
        raise WrongState("this invitation has expired", code="invitation_expired")
    if invitation.max_uses is not None and invitation.uses >= invitation.max_uses:
        raise WrongState("this invitation has been used up", code="invitation_used_up")
    await session.commit()
    return invitation


async def revoke_invitation(
    session: AsyncSession,
    invitation_id: int,
    *,
    actor_telegram_id: int | None,
    conference_id: int | None,
    is_admin: bool = False,
    clock: Clock = utc_now,
) -> Invitation:
    """Only the creator or an admin of the invitation's conference may revoke (the CLI,
    `conference_id` None, acts as admin of every conference)."""
    now = clock()
    invitation = (
        await session.execute(select(Invitation).where(col(Invitation.id) == invitation_id).with_for_update())
    ).scalar_one_or_none()
    if invitation is None or (conference_id is not None and invitation.conference_id != conference_id):
        raise NotFound("this invitation link is not valid", code="invitation_invalid")
    if not is_admin and actor_telegram_id is not None and invitation.created_by != actor_telegram_id:
        raise PermissionDenied("only who created an invitation, or an admin, may revoke it", code="permission_denied")
    if invitation.revoked_at is None:
        invitation.revoked_at = now
        audit.record(
            session,
            action="invitation.revoke",
            entity="invitation",
            entity_id=invitation.id,
            at=now,
            conference_id=invitation.conference_id,
            actor_telegram_id=actor_telegram_id,
        )
    await session.commit()
    return invitation


async def bind_account(
    session: AsyncSession, bind_token: str, account: TelegramAccount, *, clock: Clock = utc_now
) -> RegistrationView:
    """Attach a Telegram account to a registration made on someone's behalf (imported
    by a protocol office), through their personal deep link."""
    now = clock()
    reg = (
        await session.execute(select(Registration).where(col(Registration.bind_token) == bind_token).with_for_update())
    ).scalar_one_or_none()  # type: ignore[arg-type]
    if reg is None:
        raise NotFound("this personal link is not valid or was already used", code="bind_invalid")
    participant = await session.get(Participant, reg.participant_id)
    assert participant is not None
    if participant.telegram_id not in (None, account.telegram_id):
        raise Conflict("this registration is already linked to another account", code="bind_taken")
    other = (
        await session.execute(select(Participant).where(col(Participant.telegram_id) == account.telegram_id))
    ).scalar_one_or_none()  # type: ignore[arg-type]
    if other is not None and other.id != participant.id:
        raise Conflict("your Telegram account is already registered", code="bind_account_in_use")
    participant.telegram_id, participant.telegram_username = account.telegram_id, account.username
    participant.language = participant.language or account.language
    reg.bind_token, reg.updated_at = None, now
    audit.record(
        session,
        action="registration.bind",
        entity="registration",
        entity_id=reg.id,
        at=now,
        conference_id=reg.conference_id,
        actor_telegram_id=account.telegram_id,
    )
    await session.flush()
    result = await view(session, reg.id)  # type: ignore[arg-type]
    await session.commit()
    return result


async def active_signups(session: AsyncSession, registration_id: int) -> int:
    return int(
        (
            await session.execute(
                select(func.count())
                .select_from(AgendaSignup)
                .where(
                    col(AgendaSignup.registration_id) == registration_id,
                    col(AgendaSignup.status) != SignupStatus.CANCELLED,
                )
            )
        ).scalar_one()
    )  # type: ignore[arg-type]

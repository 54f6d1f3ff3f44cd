"""Badge codes: signed tokens, the deep link on every badge, the secret and bot username.

Token format (v1), 24 bytes, base64url without padding = 32 characters:

    byte 0      format version (1)
    bytes 1-4   registration id, unsigned big-endian
    bytes 5-6   badge version, unsigned big-endian
    bytes 7-23  HMAC-SHA256(secret, b"confdesk-badge\\x00" + bytes 0-6), first 17 bytes (136 bits)

24 bytes encode to exactly 32 base64 characters, so there are no spare bits: every
character of a valid token matters and the decoder accepts one spelling only. The start
parameter `b_<token>` is 34 characters of [A-Za-z0-9_-] (Telegram allows 64).

The conference is not inside the MAC: a registration id is a global primary key that
already belongs to exactly one conference, and the check-in service rejects a code of
another conference after its lookup ("invalid", detail "other_conference").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import struct
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core import audit, links
from core.clock import utc_now
from core.conferences import current_conference
from core.config import Settings
from core.errors import DomainError, NotAllowed, NotFound
from core.models import AppSetting, Category, Delegation, Participant, Registration, RegistrationStatus

TOKEN_FORMAT = 1
_DOMAIN = b"confdesk-badge\x00"
_HEAD = struct.Struct(">BIH")  # format, registration id, badge version
_MAC_BYTES = 17
TOKEN_BYTES = _HEAD.size + _MAC_BYTES  # 24
TOKEN_LENGTH = 32  # base64url characters
START_PREFIX = links.BADGE
SECRET_KEY = "badge_secret"
USERNAME_KEY = "bot_username"

_TOKEN_RE = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}")
_LINK_RE = re.compile(
    r"(?:https?://)?(?:t\.me|telegram\.me)/[A-Za-z0-9_]{4,64}/?\?start=(?P<param>[A-Za-z0-9_-]{1,64})"
)
_USERNAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")


# --- tokens ---------------------------------------------------------------------------------


def _mac(secret: bytes, head: bytes) -> bytes:
    return hmac.new(secret, _DOMAIN + head, hashlib.sha256).digest()[:_MAC_BYTES]


def make_token(secret: bytes, registration_id: int, version: int) -> str:
    """The 32-character token for one registration at one badge version."""
    if not 0 < registration_id < 2**32 or not 0 < version < 2**16:
        raise ValueError("registration id or badge version out of range")
    head = _HEAD.pack(TOKEN_FORMAT, registration_id, version)
    return base64.urlsafe_b64encode(head + _mac(secret, head)).decode("ascii").rstrip("=")


def verify_token(secret: bytes, token: str) -> tuple[int, int] | None:
    """(registration_id, version) if the MAC is right, else None. Whether that version is
    still the current one (or was revoked by a reissue) is for the caller to check."""
    if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
        return None
    try:
        raw = base64.urlsafe_b64decode(token)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != TOKEN_BYTES:
        return None
    head, mac = raw[: _HEAD.size], raw[_HEAD.size :]
    if not hmac.compare_digest(mac, _mac(secret, head)):
        return None
    fmt, registration_id, version = _HEAD.unpack(head)
    if fmt != TOKEN_FORMAT or registration_id == 0 or version == 0:
        return None
    return registration_id, version


def read_head(token: str) -> tuple[int, int] | None:
    """(registration_id, version) a token claims, WITHOUT checking its MAC: for a kiosk's
    offline copy, which holds a digest of each issued token instead of the secret."""
    if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
        return None
    raw = base64.urlsafe_b64decode(token)  # 32 characters: 24 bytes, no padding
    fmt, registration_id, version = _HEAD.unpack(raw[: _HEAD.size])
    return (registration_id, version) if fmt == TOKEN_FORMAT and registration_id and version else None


def parse_scanned(text: str) -> str | None:
    """The token in what a scanner or a person typed: the full deep link, `b_<token>` or the
    bare token, with stray whitespace or CR around it. None for anything else."""
    if not isinstance(text, str):
        return None
    text = text.strip().strip("\ufeff").strip()
    if not text or len(text) > 256:
        return None
    match = _LINK_RE.fullmatch(text)
    if match:
        text = match.group("param")
    if text.startswith(START_PREFIX) and len(text) == len(START_PREFIX) + TOKEN_LENGTH:
        text = text[len(START_PREFIX) :]
    return text if _TOKEN_RE.fullmatch(text) else None


def start_parameter(token: str) -> str:
    return START_PREFIX + token


badge_link = links.badge_link  # what a badge's QR code holds


# --- secret and bot username ----------------------------------------------------------------


async def _get_setting(session: AsyncSession, key: str) -> str | None:
    return (await session.execute(select(col(AppSetting.value)).where(col(AppSetting.key) == key))).scalar_one_or_none()


async def ensure_badge_secret(session: AsyncSession, settings: Settings) -> tuple[bytes, str]:
    """The key badges are signed with, and where it came from.

    BADGE_SECRET wins; otherwise a secret generated on first use and kept in the database
    (table app_setting, key "badge_secret"). Generating it commits; two processes racing
    to create it end up with the same (first) value.
    """
    if settings.badge_secret is not None:
        return settings.badge_secret.get_secret_value().encode(), "BADGE_SECRET environment variable"
    where = f"database (app_setting key {SECRET_KEY!r})"
    stored = await _get_setting(session, SECRET_KEY)
    if stored:
        return stored.encode(), where
    session.add(AppSetting(key=SECRET_KEY, value=secrets.token_urlsafe(48), updated_at=utc_now()))
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
    stored = await _get_setting(session, SECRET_KEY)
    if not stored:  # pragma: no cover - defensive
        raise DomainError("could not store the badge secret", code="badge_secret_unavailable")
    return stored.encode(), f"generated, stored in the {where}"


async def remember_bot_username(session: AsyncSession, username: str) -> None:
    """Keep the bot's username (from getMe at start) so the CLI can print links. Commits."""
    username = username.lstrip("@")
    if not _USERNAME_RE.fullmatch(username):
        raise DomainError(f"not a bot username: {username!r}", code="invalid_input")
    row = await session.get(AppSetting, USERNAME_KEY)
    if row is None:
        session.add(AppSetting(key=USERNAME_KEY, value=username, updated_at=utc_now()))
    elif row.value != username:
        row.value = username
        row.updated_at = utc_now()
    try:
        await session.commit()
    except IntegrityError:  # another process stored it at the same moment
        await session.rollback()
        await remember_bot_username(session, username)


async def resolve_bot_username(session: AsyncSession, configured: str | None) -> str:
    """BOT_USERNAME (`configured`) if set, else what the bot stored from getMe on start."""
    name = (configured or "").strip().lstrip("@") or (await _get_setting(session, USERNAME_KEY) or "").strip()
    if not name:
        raise NotFound(
            "the bot's username is not known: run the bot once or set BOT_USERNAME", code="bot_username_unknown"
        )
    return name


# --- reissue --------------------------------------------------------------------------------


async def reissue_badge(
    session: AsyncSession,
    registration_id: int,
    *,
    actor_telegram_id: int | None = None,
    actor: str = "cli",
) -> Registration:
    """A new code for a lost or compromised badge: the old one scans as "revoked".

    Bumps badge_version, clears the cached Telegram file id and resets the print count (the
    new code has never been printed, so `badges print --only-new` picks it up; the old count
    is kept in the audit log). Commits once.
    """
    stmt = select(Registration).where(col(Registration.id) == registration_id).with_for_update()
    reg = (await session.execute(stmt)).scalar_one_or_none()
    if reg is None:
        raise NotFound(f"registration {registration_id} not found", id=registration_id)
    if RegistrationStatus(reg.status) is not RegistrationStatus.APPROVED:
        raise NotAllowed(
            f"registration {registration_id} is {RegistrationStatus(reg.status).value}: it has no badge to reissue",
            code="badge_not_approved",
            id=registration_id,
        )
    old_version, old_prints = reg.badge_version, reg.badge_print_count
    now = utc_now()
    reg.badge_version = old_version + 1
    reg.badge_file_id = None
    reg.badge_print_count = 0
    reg.badge_printed_at = None
    reg.updated_at = now
    audit.record(
        session,
        action="badge.reissue",
        entity="registration",
        entity_id=reg.id,
        at=now,
        conference_id=reg.conference_id,
        actor_telegram_id=actor_telegram_id,
        actor=actor if actor_telegram_id is None else None,
        old_version=old_version,
        new_version=reg.badge_version,
        old_print_count=old_prints,
    )
    await session.commit()
    return reg


# --- what goes on a badge -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConferenceInfo:
    id: int
    slug: str
    name: dict[str, str]
    first_day: date
    last_day: date

    def dates(self) -> str:
        a, b = self.first_day, self.last_day
        if a == b:
            return a.strftime("%d %B %Y").lstrip("0")
        if (a.year, a.month) == (b.year, b.month):
            return f"{a.day}–{b.day} {b.strftime('%B %Y')}"
        if a.year == b.year:
            return f"{a.day} {a.strftime('%B')} – {b.day} {b.strftime('%B %Y')}"
        return f"{a.day} {a.strftime('%B %Y')} – {b.day} {b.strftime('%B %Y')}"


@dataclass(frozen=True, slots=True)
class BadgeInfo:
    registration_id: int
    badge_version: int
    print_count: int
    full_name: str
    native_name: str | None
    position: str | None
    organisation: str | None
    delegation_code: str | None
    delegation_name: dict[str, str] | None
    category: Category


async def find_conference(session: AsyncSession, slug: str | None = None) -> ConferenceInfo:
    """The conference by slug, else the current one (see conferences.current_conference)."""
    conf = await current_conference(session, slug)
    assert conf.id is not None
    return ConferenceInfo(conf.id, conf.slug, dict(conf.name), conf.first_day, conf.last_day)


def _badge_query(conference_id: int):  # type: ignore[no-untyped-def]
    return (
        select(
            col(Registration.id),
            col(Registration.badge_version),
            col(Registration.badge_print_count),
            col(Participant.full_name),
            col(Participant.native_name),
            col(Participant.position),
            col(Participant.organisation),
            col(Delegation.code),
            col(Delegation.name),
            col(Registration.category),
        )
        .join(Participant, col(Participant.id) == col(Registration.participant_id))
        .outerjoin(Delegation, col(Delegation.id) == col(Registration.delegation_id))
        .where(
            col(Registration.conference_id) == conference_id,
            col(Registration.status) == RegistrationStatus.APPROVED,
        )
    )


def _info(row: tuple) -> BadgeInfo:  # type: ignore[type-arg]
    return BadgeInfo(
        registration_id=row[0],
        badge_version=row[1],
        print_count=row[2],
        full_name=row[3],
        native_name=row[4],
        position=row[5],
        organisation=row[6],
        delegation_code=row[7],
        delegation_name=dict(row[8]) if row[8] else None,
        category=Category(row[9]),
    )


async def load_badge(session: AsyncSession, registration_id: int) -> BadgeInfo:
    reg = await session.get(Registration, registration_id)
    if reg is None:
        raise NotFound(f"registration {registration_id} not found", id=registration_id)
    row = (
        await session.execute(_badge_query(reg.conference_id).where(col(Registration.id) == registration_id))
    ).first()
    if row is None:
        raise DomainError(
            f"registration {registration_id} is not approved: no badge",
            code="not_approved",
            id=registration_id,
        )
    return _info(tuple(row))


def _filtered(
    conference_id: int,
    delegation: str | None,
    category: Category | None,
    only_new: bool,
    only: Sequence[int] | None = None,
):  # type: ignore[no-untyped-def]
    stmt = _badge_query(conference_id)
    if only is not None:
        stmt = stmt.where(col(Registration.id).in_(list(only)))
    if delegation:
        stmt = stmt.where(func.upper(col(Delegation.code)) == delegation.upper())
    if category:
        stmt = stmt.where(col(Registration.category) == category)
    if only_new:
        stmt = stmt.where(col(Registration.badge_print_count) == 0)
    return stmt


async def count_badges(
    session: AsyncSession,
    conference_id: int,
    *,
    delegation: str | None = None,
    category: Category | None = None,
    only_new: bool = False,
    only: Sequence[int] | None = None,
) -> int:
    sub = _filtered(conference_id, delegation, category, only_new, only).subquery()
    return int((await session.execute(select(func.count()).select_from(sub))).scalar_one())


async def iter_badges(
    session: AsyncSession,
    conference_id: int,
    *,
    delegation: str | None = None,
    category: Category | None = None,
    only_new: bool = False,
    only: Sequence[int] | None = None,
    batch: int = 200,
) -> AsyncIterator[list[BadgeInfo]]:
    """Approved registrations in id order, `batch` at a time (keyset pagination: each batch
    is one short query, memory stays flat whatever the count). `only`: these registrations."""
    base = _filtered(conference_id, delegation, category, only_new, only)
    last = 0
    while True:
        stmt = base.where(col(Registration.id) > last).order_by(col(Registration.id)).limit(batch)
        rows = (await session.execute(stmt)).all()
        if not rows:
            return
        await session.rollback()  # end the read transaction: never hold the SQLite writer
        infos = [_info(tuple(r)) for r in rows]
        last = infos[-1].registration_id
        yield infos
        if len(rows) < batch:
            return


async def mark_printed(session: AsyncSession, registration_ids: list[int], *, at: datetime | None = None) -> None:
    """badge_print_count += 1 and badge_printed_at = at for each id. Commits."""
    at = at or utc_now()
    for start in range(0, len(registration_ids), 500):
        chunk = registration_ids[start : start + 500]
        await session.execute(
            update(Registration)
            .where(col(Registration.id).in_(chunk))
            .values(badge_print_count=col(Registration.badge_print_count) + 1, badge_printed_at=at)
        )
    await session.commit()

"""The kiosk's local copy: what its doors need to judge a badge without the central database.

Personal data: DIR is made 0700 and every file in it 0600 (created so, never widened).
The copy is written whole to a temporary file, fsync'd and renamed over DIR/copy.db, so a
kiosk killed mid-refresh keeps the previous copy, never half of one.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.badges import make_token
from core.checkin.offline import ruling as rules
from core.clock import Clock, utc_now
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

COPY_FILE = "copy.db"
SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE item (id INTEGER PRIMARY KEY, code TEXT NOT NULL, title TEXT NOT NULL, allowed TEXT NOT NULL);
CREATE TABLE badge (id INTEGER PRIMARY KEY, status TEXT, category TEXT, version INTEGER, name TEXT,
  native TEXT, delegation TEXT, inside INTEGER, here INTEGER, since TEXT, staff INTEGER, gate TEXT);
CREATE TABLE verifier (registration_id INTEGER, version INTEGER, digest BLOB, PRIMARY KEY (registration_id, version));
"""

_reg, _part, _deleg = Registration.__table__, Participant.__table__, Delegation.__table__  # type: ignore[attr-defined]
_presence, _scan, _item = Presence.__table__, Scan.__table__, AgendaItem.__table__  # type: ignore[attr-defined]
_conf = Conference.__table__  # type: ignore[attr-defined]


def digest(token: str) -> bytes:
    """What the copy keeps of an issued token: enough to recognise it, useless to print one."""
    return hashlib.sha256(token.encode("ascii")).digest()


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    code: str
    title: dict[str, str]
    allowed: list[str]


@dataclass
class LocalCopy:
    conference_id: int
    slug: str
    name: dict[str, str]
    timezone: str
    first_day: date
    last_day: date
    taken_at: datetime  # when it was read from central
    items: dict[int, Item] = field(default_factory=dict)
    badges: dict[int, rules.Badge] = field(default_factory=dict)
    verifiers: dict[tuple[int, int], bytes] = field(default_factory=dict)

    def find_item(self, ref: str) -> Item | None:
        """An agenda item by its code (any case) or number, as `--session` names it."""
        for item in self.items.values():
            if item.code.lower() == ref.strip().lower() or str(item.id) == ref.strip():
                return item
        return None

    def move(self, registration_id: int, ruling: rules.Ruling, at: datetime, staff: int | None, gate: str) -> None:
        """Presence after an admitted scan (judged here or by central)."""
        badge = self.badges.get(registration_id)
        if badge is None:
            return
        since = at if ruling.restart or badge.since is None else badge.since
        self.badges[registration_id] = replace(
            badge, inside=ruling.inside, here=ruling.item_id, since=since, last_staff=staff, last_gate=gate
        )

    def replay(self, entry: Any) -> None:
        """Presence after one journal entry (an ok scan); see `journal.Entry`."""
        badge = self.badges.get(entry.registration_id) if entry.registration_id else None
        if badge is None or entry.result != "ok":
            return
        direction = ScanDirection(entry.direction)
        inside, here, _ = rules.move(bool(badge.inside), badge.here, direction, entry.item_id)
        restart = (inside, here) != (bool(badge.inside), badge.here) or direction is ScanDirection.IN
        self.move(
            badge.registration_id,
            rules.Ruling(ScanResult.OK, None, inside, here, restart),
            entry.at,
            entry.staff,
            entry.gate,
        )


async def fetch(session: AsyncSession, conference_id: int, secret: bytes, clock: Clock = utc_now) -> LocalCopy:
    """Read the copy from the central database (reads only)."""
    taken_at = clock()
    conn = await session.connection()
    conf = (await conn.execute(select(_conf).where(_conf.c.id == conference_id))).one()
    copy = LocalCopy(conference_id, conf.slug, dict(conf.name), conf.timezone, conf.first_day, conf.last_day, taken_at)
    items = await conn.execute(
        select(_item.c.id, _item.c.code, _item.c.title, _item.c.allowed_categories).where(
            _item.c.conference_id == conference_id
        )
    )
    copy.items = {r.id: Item(r.id, r.code, dict(r.title), list(r.allowed_categories or [])) for r in items}
    prev = _scan.alias("prev")
    rows = await conn.execute(
        select(
            _reg.c.id, _reg.c.status, _reg.c.category, _reg.c.badge_version, _part.c.full_name, _part.c.native_name,
            _deleg.c.name.label("delegation"), _presence.c.inside, _presence.c.agenda_item_id, _presence.c.since,
            prev.c.staff_telegram_id, prev.c.gate,
        )
        .select_from(
            _reg.join(_part, _part.c.id == _reg.c.participant_id)
            .outerjoin(_deleg, _deleg.c.id == _reg.c.delegation_id)
            .outerjoin(_presence, _presence.c.registration_id == _reg.c.id)
            .outerjoin(prev, prev.c.id == _presence.c.last_scan_id)
        )
        .where(_reg.c.conference_id == conference_id)
    )  # fmt: skip
    # building 10,000 badges and their digests takes a while: in a thread, so a kiosk's
    # scanning loop keeps running while its copy is refreshed
    await asyncio.to_thread(_fill, copy, rows.all(), secret)
    return copy


def _fill(copy: LocalCopy, rows: Sequence[Any], secret: bytes) -> None:
    conference_id = copy.conference_id
    for r in rows:
        copy.badges[r.id] = rules.Badge(
            r.id, conference_id, RegistrationStatus(r.status), str(getattr(r.category, "value", r.category)),
            r.badge_version, r.full_name, r.native_name, dict(r.delegation) if r.delegation else None,
            copy.timezone, r.inside, r.agenda_item_id, r.since, r.staff_telegram_id, r.gate,
        )  # fmt: skip
        for version in range(1, r.badge_version + 1):  # older versions too: they scan as revoked
            copy.verifiers[(r.id, version)] = digest(make_token(secret, r.id, version))


def private_dir(directory: Path) -> Path:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    return directory


def private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 if it does not exist; narrow it if it does."""
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def save(copy: LocalCopy, directory: Path) -> None:
    """Write the copy to DIR/copy.db atomically (blocking: run it in a thread)."""
    private_dir(directory)
    tmp = directory / (COPY_FILE + ".tmp")
    tmp.unlink(missing_ok=True)
    private_file(tmp)
    db = sqlite3.connect(tmp)
    try:
        db.executescript(SCHEMA)
        meta = {
            "conference_id": copy.conference_id, "slug": copy.slug, "name": copy.name, "timezone": copy.timezone,
            "first_day": copy.first_day.isoformat(), "last_day": copy.last_day.isoformat(),
            "taken_at": copy.taken_at.isoformat(),
        }  # fmt: skip
        db.executemany("INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
        db.executemany(
            "INSERT INTO item VALUES (?, ?, ?, ?)",
            [(i.id, i.code, json.dumps(i.title), json.dumps(i.allowed)) for i in copy.items.values()],
        )
        db.executemany(
            "INSERT INTO badge VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (b.registration_id, b.status.value, b.category, b.badge_version, b.name, b.native_name,
                 json.dumps(b.delegation) if b.delegation else None, b.inside, b.here, _iso(b.since),
                 b.last_staff, b.last_gate)
                for b in copy.badges.values()
            ],
        )  # fmt: skip
        db.executemany("INSERT INTO verifier VALUES (?, ?, ?)", [(r, v, d) for (r, v), d in copy.verifiers.items()])
        db.commit()
    finally:
        db.close()
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, directory / COPY_FILE)
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def load(directory: Path) -> LocalCopy | None:
    """The copy kept in DIR, or None when there is none."""
    path = directory / COPY_FILE
    if not path.exists():
        return None
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        meta = {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM meta")}
        tz = meta["timezone"]
        copy = LocalCopy(
            meta["conference_id"], meta["slug"], meta["name"], tz, date.fromisoformat(meta["first_day"]),
            date.fromisoformat(meta["last_day"]), datetime.fromisoformat(meta["taken_at"]),
        )  # fmt: skip
        for i, code, title, allowed in db.execute("SELECT * FROM item"):
            copy.items[i] = Item(i, code, json.loads(title), json.loads(allowed))
        for r in db.execute("SELECT * FROM badge"):
            copy.badges[r[0]] = rules.Badge(
                r[0], copy.conference_id, RegistrationStatus(r[1]), r[2], r[3], r[4], r[5],
                json.loads(r[6]) if r[6] else None, tz, None if r[7] is None else bool(r[7]), r[8],
                datetime.fromisoformat(r[9]) if r[9] else None, r[10], r[11],
            )  # fmt: skip
        copy.verifiers = {(r, v): bytes(d) for r, v, d in db.execute("SELECT * FROM verifier")}
        return copy
    finally:
        db.close()


def taken_at(directory: Path) -> datetime | None:
    """When the copy in DIR was read from central (for `kiosk status`), without loading it."""
    path = directory / COPY_FILE
    if not path.exists():
        return None
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'taken_at'").fetchone()
        return datetime.fromisoformat(json.loads(row[0])) if row else None
    finally:
        db.close()

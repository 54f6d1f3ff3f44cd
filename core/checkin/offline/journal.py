"""DIR/journal.db: every scan this kiosk made, in order, each with its client nonce.

An offline scan is written, and fsync'd (SQLite WAL, synchronous=FULL), before its verdict is
shown: a kiosk killed with kill -9 or a power cut after the verdict loses nothing. A scan
central judged is written too, marked uploaded (it is in central already): on a restart the
kiosk replays the presence of everything since its copy was taken. `uploaded` turns 1 once
central has the scan; only then may `kiosk wipe` forget it without --force.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core.checkin.offline.copy import private_dir, private_file

JOURNAL_FILE = "journal.db"
SCHEMA = """
CREATE TABLE IF NOT EXISTS scan (
  seq INTEGER PRIMARY KEY, nonce TEXT NOT NULL UNIQUE, at TEXT NOT NULL, raw TEXT NOT NULL,
  registration_id INTEGER, badge_version INTEGER, result TEXT NOT NULL, detail TEXT,
  direction TEXT NOT NULL, item_id INTEGER, gate TEXT NOT NULL, staff INTEGER,
  offline INTEGER NOT NULL, uploaded INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS ix_scan_pending ON scan (uploaded, seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
COLUMNS = (
    "seq, nonce, at, raw, registration_id, badge_version, result, detail, direction, item_id, gate, staff, offline"
)


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int | None
    nonce: str
    at: datetime
    raw: str
    registration_id: int | None
    badge_version: int | None
    result: str
    detail: str | None
    direction: str
    item_id: int | None
    gate: str
    staff: int | None
    offline: bool


def _entry(row: tuple) -> Entry:  # type: ignore[type-arg]
    seq, nonce, at, raw, reg, ver, result, detail, direction, item, gate, staff, offline = row
    return Entry(
        seq,
        nonce,
        datetime.fromisoformat(at),
        raw,
        reg,
        ver,
        result,
        detail,
        direction,
        item,
        gate,
        staff,
        bool(offline),
    )


class Journal:
    def __init__(self, directory: Path) -> None:
        private_dir(directory)
        path = directory / JOURNAL_FILE
        private_file(path)
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # every commit fsync'd
        self.db.executescript(SCHEMA)
        for suffix in ("-wal", "-shm"):  # created by SQLite with the process umask
            extra = directory / (JOURNAL_FILE + suffix)
            if extra.exists():
                extra.chmod(0o600)
        self.kiosk_id = self.get("kiosk_id") or self._new_id()

    def _new_id(self) -> str:
        kiosk_id = uuid.uuid4().hex[:10]
        self.put("kiosk_id", kiosk_id)
        return kiosk_id

    def nonce(self) -> str:
        """A client nonce no other scan of any kiosk has (≤ 64 characters)."""
        return f"k{self.kiosk_id}-{uuid.uuid4().hex}"

    def add(self, entry: Entry, *, uploaded: bool) -> None:
        values = (
            entry.nonce, entry.at.isoformat(), entry.raw, entry.registration_id, entry.badge_version, entry.result,
            entry.detail, entry.direction, entry.item_id, entry.gate, entry.staff, int(entry.offline), int(uploaded),
        )  # fmt: skip
        if uploaded:  # central has it (durably): no fsync of its own; the next offline scan's covers it
            self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            "INSERT OR IGNORE INTO scan (nonce, at, raw, registration_id, badge_version, result, detail, direction,"
            " item_id, gate, staff, offline, uploaded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )
        if uploaded:
            self.db.execute("PRAGMA synchronous=FULL")

    def pending(self, limit: int) -> list[Entry]:
        rows = self.db.execute(f"SELECT {COLUMNS} FROM scan WHERE uploaded = 0 ORDER BY seq LIMIT ?", (limit,))
        return [_entry(r) for r in rows]

    def mark_uploaded(self, entries: list[Entry]) -> None:
        self.db.execute("BEGIN")
        self.db.executemany("UPDATE scan SET uploaded = 1 WHERE seq = ?", [(e.seq,) for e in entries])
        self.db.execute("COMMIT")

    def waiting(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM scan WHERE uploaded = 0").fetchone()[0])

    def since(self, moment: datetime) -> Iterator[Entry]:
        """Every scan at or after `moment`, in order (presence to replay onto a copy)."""
        rows = self.db.execute(f"SELECT {COLUMNS} FROM scan WHERE at >= ? ORDER BY seq", (moment.isoformat(),))
        return (_entry(r) for r in rows)

    def get(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def put(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value)
        )

    def close(self) -> None:
        self.db.close()

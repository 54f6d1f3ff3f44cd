"""What `confdesk kiosk status` and `kiosk wipe` read of a kiosk's folder, without changing it."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core.checkin.offline.copy import COPY_FILE
from core.checkin.offline.journal import JOURNAL_FILE


@dataclass(frozen=True)
class KioskState:
    taken_at: datetime | None  # when the local copy was read from central
    slug: str | None
    waiting: int  # scans not uploaded yet
    mode: str | None  # online / offline, as the kiosk last set it
    last_error: str | None


def kiosk_files(directory: Path) -> list[Path]:
    names = [COPY_FILE, COPY_FILE + ".tmp", JOURNAL_FILE, JOURNAL_FILE + "-wal", JOURNAL_FILE + "-shm"]
    return [directory / name for name in names]


def _read(path: Path, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)  # reads the WAL of a running kiosk too
    try:
        return db.execute(sql).fetchall()
    except sqlite3.OperationalError:  # an empty or half-made file: nothing to say
        return []
    finally:
        db.close()


def offline_state(directory: Path) -> KioskState:
    meta = {k: json.loads(v) for k, v in _read(directory / COPY_FILE, "SELECT key, value FROM meta")}
    journal = directory / JOURNAL_FILE
    waiting = _read(journal, "SELECT count(*) FROM scan WHERE uploaded = 0")
    notes = dict(_read(journal, "SELECT key, value FROM meta"))
    taken = meta.get("taken_at")
    return KioskState(
        datetime.fromisoformat(taken) if taken else None,
        meta.get("slug"),
        int(waiting[0][0]) if waiting else 0,
        notes.get("mode"),
        notes.get("last_error"),
    )

"""What a door scanned, before any rule: the text made safe to read and to store, and the
scan request the rules judge (`ScanRequest`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.models import ScanDirection

MAX_SCAN_TEXT = 4096  # a badge link is ~100 characters; a longer line is junk, not a code
RAW_LENGTH = 256  # Scan.raw


@dataclass(frozen=True, slots=True)
class ScanRequest:
    """One scan at one door: what was read (`text` None if unreadable; `raw` as stored),
    where, by whom, and the categories the agenda item admits (empty: everyone)."""

    conference_id: int
    text: str | None
    raw: str
    staff: int | None
    gate: str
    item_id: int | None
    direction: ScanDirection
    nonce: str | None
    secret: bytes
    now: datetime
    allowed: tuple[str, ...] = ()

    def where(self) -> dict[str, Any]:
        """The verdict's fields every scan has, whatever its result."""
        return {"at": self.now, "direction": self.direction, "agenda_item_id": self.item_id, "gate": self.gate}


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

"""Venue and hall check-in: a badge scanned at a door gets a verdict.

- `scan()` (scanning.py): the one entry; judges, records the Scan row, moves presence,
  inside the caller's unit of work (it never commits). `scan_alone()`: the same as a unit of
  work of its own (a kiosk's line; on PostgreSQL unlocked, by compare-and-set).
- rules.py: every scan rule, one function each, returning a reason code (`Refusal`) or None.
- presence.py: where a badge is, read under lock (the concurrency guarantee), and moved;
  read unlocked and moved by compare-and-set (the kiosk's scan on PostgreSQL).
- prepared.py: Core statements compiled once for asyncpg and sent on its connection
  directly (the kiosk's scan on PostgreSQL).
- replay.py: the same nonce again gets the first verdict.
- scanned.py: what was scanned, made safe to judge and to store; `ScanRequest`.
- verdict.py: `Verdict`, `Refusal`.
- qr_decode.py: QR codes in a photo of a badge.
"""

from core.checkin.scanned import MAX_SCAN_TEXT, read_scanned
from core.checkin.scanning import scan, scan_alone
from core.checkin.verdict import REASONS, Verdict

__all__ = ["MAX_SCAN_TEXT", "REASONS", "Verdict", "read_scanned", "scan", "scan_alone"]

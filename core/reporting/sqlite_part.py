"""One part of an export read by a process of its own (core/reporting/export_parts.py).

Run as `python -I -S sqlite_part.py`: the standard library only, so it starts in ~20 ms.
It talks to its parent in lines on stdin and stdout:

1. parent: {"database": PATH, "busy_ms": N, "mmap": BYTES, "fd": FD} -> opens the file,
   answers "connected";
2. parent: "begin" (while no other connection can commit) -> begins a read transaction
   and reads, which fixes what it sees (WAL: its snapshot); answers "ready";
3. parent: {"sql": ..., "params": [...]} -> writes the statement's rows (one text each, a
   CSV line) to the file FD it was given, answers {"rows": N} and ends.

Any failure: its message on stderr, exit status 1 (the parent reports it).
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys

BATCH = 5000


def main() -> int:
    stdin, stdout = sys.stdin, sys.stdout
    job = json.loads(stdin.readline())
    db = sqlite3.connect(job["database"], isolation_level=None)
    db.execute(f"PRAGMA busy_timeout = {int(job['busy_ms'])}")
    db.execute(f"PRAGMA mmap_size = {int(job['mmap'])}")
    stdout.write("connected\n")
    stdout.flush()
    if stdin.readline().strip() != "begin":
        return 1
    db.execute("BEGIN")
    db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the first read: the snapshot
    stdout.write("ready\n")
    stdout.flush()
    line = stdin.readline()
    if not line:  # the parent gave up
        return 1
    work = json.loads(line)
    rows = 0
    with os.fdopen(int(job["fd"]), "w", encoding="utf-8", newline="", buffering=1 << 20) as out:
        cursor = db.execute(work["sql"], work["params"])
        while batch := cursor.fetchmany(BATCH):
            out.write("".join([row[0] for row in batch]))
            rows += len(batch)
    db.execute("ROLLBACK")
    db.close()
    stdout.write(json.dumps({"rows": rows}) + "\n")
    stdout.flush()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as exc:  # the parent shows this line
        sys.stderr.write(f"{type(exc).__name__}: {exc}\n")
        sys.exit(1)

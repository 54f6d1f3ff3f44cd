"""What the programme puts in the outbox: the kinds of messages and their dedup keys, in
one place (the keys make each message go out once; their prefixes cancel them).

* ``rem:<item>:<registration>:<start>:<since>``: a reminder for a confirmed seat;
* ``remall:<item>:<registration>:<start>``: a reminder of the high-level session, for
  everyone approved who may attend it (no sign-up needed);
* ``promo:<signup>:<at>``: moved off the waiting list;
* ``notice:<item>:<registration>:<at>``: an item one signed up for changed.

The bot renders each kind; `core.programme.reminders.still_due` checks at send time that a
message still makes sense.
"""

from __future__ import annotations

from datetime import UTC, datetime

REMINDER = "reminder"  # before an item starts
PROMOTED = "promoted"  # moved off the waiting list
NOTICE = "notice"  # an item one signed up for changed (time, hall, cancelled)


def stamp(moment: datetime) -> str:
    """A datetime as a compact, exact key fragment (outbox keys, payloads)."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")


def reminder_prefix(item_id: int, registration_id: int | None = None) -> str:
    """Dedup-key prefix of the seat reminders for an item (and one registration)."""
    return f"rem:{item_id}:" + (f"{registration_id}:" if registration_id is not None else "")


def everyone_prefix(item_id: int) -> str:
    """Dedup-key prefix of the reminders of a high-level session, sent to everyone."""
    return f"remall:{item_id}:"


def seat_reminder_key(item_id: int, registration_id: int, starts_at: datetime, since: datetime) -> str:
    """Taking a seat again (`since`) or moving the item (`starts_at`) makes a new reminder."""
    return f"{reminder_prefix(item_id, registration_id)}{stamp(starts_at)}:{stamp(since)}"


def everyone_reminder_key(item_id: int, registration_id: int, starts_at: datetime) -> str:
    return f"{everyone_prefix(item_id)}{registration_id}:{stamp(starts_at)}"


def promotion_key(signup_id: int | None, at: datetime) -> str:
    return f"promo:{signup_id}:{stamp(at)}"


def notice_key(item_id: int, registration_id: int, at: datetime) -> str:
    return f"notice:{item_id}:{registration_id}:{stamp(at)}"

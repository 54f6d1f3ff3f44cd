"""Who each row of a file is: a participant we hold already, or someone new.

The first rule that finds someone wins:
  1. telegram_id: the participant with that Telegram id;
  2. email, case-insensitively, if exactly one participant has it and no other row of
     the file uses it (protocol offices often give one mailbox for a whole delegation);
  3. telegram_username, case-insensitively, if exactly one participant has it;
  4. the import ref (`rows.import_ref`: the folded name and the delegation's code).
  Rules 2-4 skip a participant whose Telegram id differs from the row's.
Otherwise the row is a new participant, given that ref. A participant matched by a
stronger key gets (or, if it was an import ref, moves to) the ref of the row's name and
delegation, so a later file without the email still finds them. Correcting a name in a
file that has no telegram_id, email or username creates a new person: the old one stays.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.accreditation.importing.rows import IMPORT_REF_PREFIX, ImportRow
from core.models import Participant

T = TypeVar("T")
CHUNK = 500  # values per IN (...): well below every database's limit on parameters


def in_chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass(frozen=True)
class Match:
    row: ImportRow
    participant: Participant | None  # None: a new participant
    matched_by: str | None  # telegram_id | email | telegram_username | name and delegation
    ref: str | None  # the import ref to give the participant (None: leave it)


async def _fetch(
    session: AsyncSession, column: Any, values: Iterable[Any], *, lower: bool = False
) -> list[Participant]:
    target = func.lower(column) if lower else column
    found: list[Participant] = []
    for chunk in in_chunks(list(values)):
        found.extend((await session.execute(select(Participant).where(target.in_(chunk)))).scalars())
    return found


def _group(participants: Iterable[Participant], key: Callable[[Participant], str]) -> dict[str, list[Participant]]:
    grouped: dict[str, dict[int | None, Participant]] = {}
    for p in participants:
        grouped.setdefault(key(p), {})[p.id] = p
    return {k: list(v.values()) for k, v in grouped.items()}


def _fits(p: Participant, r: ImportRow) -> bool:
    return r.telegram_id is None or p.telegram_id in (None, r.telegram_id)


class _Known:
    """The participants the rows may be, by each key."""

    def __init__(self, rows: list[ImportRow]) -> None:
        self.email_uses = Counter(r.person.email.lower() for r in rows if r.person.email)
        self.by_tid: dict[int | None, Participant] = {}
        self.by_email: dict[str, list[Participant]] = {}
        self.by_username: dict[str, list[Participant]] = {}
        self.by_ref: dict[str | None, Participant] = {}

    @classmethod
    async def load(cls, session: AsyncSession, rows: list[ImportRow]) -> _Known:
        known = cls(rows)
        tids = {r.telegram_id for r in rows if r.telegram_id is not None}
        usernames = {r.telegram_username.lower() for r in rows if r.telegram_username}
        known.by_tid = {p.telegram_id: p for p in await _fetch(session, col(Participant.telegram_id), tids)}
        emails = await _fetch(session, col(Participant.email), set(known.email_uses), lower=True)
        known.by_email = _group(emails, lambda p: (p.email or "").lower())
        names = await _fetch(session, col(Participant.telegram_username), usernames, lower=True)
        known.by_username = _group(names, lambda p: (p.telegram_username or "").lower())
        known.by_ref = {p.ref: p for p in await _fetch(session, col(Participant.ref), {r.ref for r in rows})}
        return known

    def match(self, r: ImportRow) -> tuple[Participant | None, str | None]:
        email = r.person.email.lower() if r.person.email else None
        username = r.telegram_username.lower() if r.telegram_username else None
        by_email = self.by_email.get(email, []) if email else []
        by_username = self.by_username.get(username, []) if username else []
        if r.telegram_id is not None and r.telegram_id in self.by_tid:
            return self.by_tid[r.telegram_id], "telegram_id"
        if email and self.email_uses[email] == 1 and len(by_email) == 1 and _fits(by_email[0], r):
            return by_email[0], "email"
        if len(by_username) == 1 and _fits(by_username[0], r):
            return by_username[0], "telegram_username"
        if r.ref in self.by_ref and _fits(self.by_ref[r.ref], r):
            return self.by_ref[r.ref], "name and delegation"
        return None, None


def _accounts_given_twice(rows: list[ImportRow]) -> list[tuple[int, str]]:
    """The same Telegram account or username twice in one file is a mistake."""
    problems: list[tuple[int, str]] = []
    first_tid: dict[int, int] = {}
    first_name: dict[str, int] = {}
    for r in rows:
        if r.telegram_id is not None:
            if r.telegram_id in first_tid:
                problems.append((r.row, f"telegram_id: {r.telegram_id} is also on row {first_tid[r.telegram_id]}"))
            first_tid.setdefault(r.telegram_id, r.row)
        if r.telegram_username:
            u = r.telegram_username.lower()
            if u in first_name:
                problems.append((r.row, f"telegram_username: @{r.telegram_username} is also on row {first_name[u]}"))
            first_name.setdefault(u, r.row)
    return problems


class _NotToldApart(Exception):
    """A new person with the name and delegation of someone else, and nothing else to tell
    them apart by."""


class _RefOwners:
    """Who holds each import ref: a participant's id, or "row:N" for a row of this file
    that takes it."""

    def __init__(self, by_ref: dict[str | None, Participant]) -> None:
        self.owner: dict[str, object] = {ref: p.id for ref, p in by_ref.items() if ref}

    def ref_for(self, r: ImportRow, match: Participant | None, how: str | None, warnings: list[str]) -> str | None:
        """The ref to give the row's participant (None: none, or keep theirs)."""
        ref: str | None = None
        owner = self.owner.get(r.ref)
        if match is not None and isinstance(owner, int) and owner != match.id:
            warnings.append(
                f"row {r.row}: {r.person.full_name} matched by {how}, but participant #{owner} has the "
                "same name and delegation: check for a duplicate registration"
            )
        if match is None:
            if owner is None:
                ref = r.ref
            elif r.telegram_id is None and not r.person.email and not r.telegram_username:
                other = (
                    f"row {owner.removeprefix('row:')}"
                    if isinstance(owner, str)
                    else "a participant already registered"
                )
                raise _NotToldApart(
                    f"same name and delegation as {other}; add a telegram_id or email to tell them apart"
                )
        elif match.ref != r.ref and owner is None and (match.ref is None or match.ref.startswith(IMPORT_REF_PREFIX)):
            ref = r.ref
        if ref is not None:
            self.owner[ref] = f"row:{r.row}"
            if match is not None and match.ref:
                self.owner.pop(match.ref, None)
        return ref


async def match_people(
    session: AsyncSession, rows: list[ImportRow]
) -> tuple[list[Match], list[tuple[int, str]], list[str]]:
    """Each good row's participant; problems (row number, text) and warnings."""
    known = await _Known.load(session, rows)
    problems = _accounts_given_twice(rows)
    warnings: list[str] = []
    owners = _RefOwners(known.by_ref)
    seen: dict[int, int] = {}  # participant id -> row
    matches: list[Match] = []
    for r in rows:
        participant, how = known.match(r)
        if participant is not None:
            assert participant.id is not None
            if participant.id in seen:
                problems.append((r.row, f"same person as row {seen[participant.id]} (matched by {how})"))
                continue
            seen[participant.id] = r.row
        try:
            ref = owners.ref_for(r, participant, how, warnings)
        except _NotToldApart as problem:
            problems.append((r.row, str(problem)))
            continue
        matches.append(Match(r, participant, how, ref))
    return matches, problems, warnings

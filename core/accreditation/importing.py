"""Bulk accreditation from a protocol office's file, and personal links that bind Telegram.

High-level people are registered by their protocol offices, not by themselves: an
organiser imports a CSV or XLSX file (`read_table`, then `import_table`), and every
imported person without a Telegram id gets a personal deep link (`bind_links`) whose
`bind_<token>` the bot hands to `registration.bind_account`.

The file
  Columns (header row, any order): name, native_name, delegation (code or name),
  category, position, organisation, telegram_id, telegram_username, email, status
  (approved | pending). Only name and category are required. Headers are matched
  case-, space- and punctuation-insensitively, in English or Russian ("ФИО", "Страна",
  "Должность", "Эл. почта"…), and a name may come as surname / given name / patronymic
  columns: see `core.accreditation.import_columns`. A column that is not a field is left out
  and named in the result's warnings. Names: one name is a name; "Surname, Given" is
  stored in printed order (`core.accreditation.validation`).
  Rows are numbered as in the spreadsheet. The header is the first row with two known
  headers among the first few rows, so a title above the list is skipped (and named in
  a warning). CSV is UTF-8 with or without BOM (UTF-16 with BOM too), comma, semicolon
  or tab separated. XLSX: the sheet that has the columns is read (a cover sheet before
  the list is passed over); two sheets with lists need `sheet=` (a name or a 1-based
  number).

All or nothing
  Every row is validated and matched against the database first; any problem (up to
  MAX_PROBLEMS are listed) raises `ImportFailed` and nothing is written. Otherwise all
  rows are written and committed once. Delegation rows are locked while the import
  plans seats, so quotas hold against people registering through the bot meanwhile.

Matching on re-import (the first rule that finds someone wins)
  1. telegram_id: the participant with that Telegram id;
  2. email, case-insensitively, if exactly one participant has it and no other row of
     the file uses it (protocol offices often give one mailbox for a whole delegation);
  3. telegram_username, case-insensitively, if exactly one participant has it;
  4. Participant.ref = "import:" + sha256(normalised name | delegation code)[:40], where
     the name is folded (case, diacritics, punctuation): "Péter Szijjártó" = "PETER
     SZIJJARTO". Rules 2-4 skip a participant whose Telegram id differs from the row's.
  Otherwise the row is a new participant, given that ref. A participant matched by a
  stronger key gets (or, if it was an import ref, moves to) the ref of the row's name and
  delegation, so a later file without the email still finds them. Correcting a name in a
  file that has no telegram_id, email or username creates a new person: the old one stays.

Updating
  A blank person cell (native_name, position, organisation, email, telegram_*) keeps what
  we hold, so a Telegram account bound meanwhile is never dropped; a blank delegation
  cell means "no delegation". `status: approved` approves (decided_by None, reason
  "import"); `pending` or blank leaves an officer's approval alone unless the badge's
  facts change (name, native name, delegation, category), which sends it back to pending
  as an edit through the bot does. A rejected or withdrawn registration keeps its status
  (a warning says so). Counts: created, updated, unchanged.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core import audit
from core.accreditation.import_columns import FIELDS, HEADER_SEARCH, Columns, column_letter, find_header, map_columns
from core.accreditation.registration import ACTIVE, PersonData, RegistrationView, _auto_approved
from core.accreditation.validation import free_text, latin_name, native_name
from core.clock import Clock, utc_now
from core.errors import InvalidInput, NotFound, QuotaExceeded
from core.links import bind_link
from core.models import (
    Category,
    Conference,
    Delegation,
    Participant,
    Registration,
    RegistrationStatus,
)

MAX_PROBLEMS = 100
MAX_ROWS = 20_000
IMPORT_SOURCE = "import"
IMPORT_REF_PREFIX = "import:"
BOT_USERNAME_KEY = "bot_username"
TELEGRAM_ID_MAX = 2**63 - 1

COLUMNS = FIELDS

_CATEGORY_LABELS: dict[Category, tuple[str, ...]] = {
    Category.HEAD: (
        "head of delegation",
        "head",
        "глава делегации",
        "руководитель делегации",
        "глава",
    ),
    Category.DELEGATE: ("delegate", "member of delegation", "делегат", "член делегации"),
    Category.SPEAKER: ("speaker", "спикер", "докладчик", "выступающий"),
    Category.EXPERT: ("expert", "эксперт"),
    Category.PRESS: ("press", "media", "journalist", "пресса", "сми", "журналист"),
    Category.OBSERVER: ("observer", "наблюдатель"),
    Category.STAFF: ("staff", "персонал", "сотрудник"),
}
_APPROVED = ("approved", "approve", "одобрено", "одобрен", "одобрена", "утверждено")
_PENDING = ("pending", "ожидает", "на рассмотрении")

_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\]]+$")
_USERNAME = re.compile(r"^[A-Za-z0-9_]{5,32}$")


# --------------------------------------------------------------------------- results


class ImportFailed(InvalidInput):
    """The file has problems; `problems` lists them (capped), nothing was written.
    `where` says which part of the file was read when that is not obvious."""

    code = "import_invalid"

    def __init__(self, problems: Sequence[str], where: str = "") -> None:
        shown = list(problems[:MAX_PROBLEMS])
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"… and {len(problems) - MAX_PROBLEMS} more")
        count = len(problems)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''} found{f' in {where}' if where else ''}; nothing was imported",
            problems=shown,
            count=count,
        )
        self.problems = shown


@dataclass
class Table:
    """A file's cells as text: its header and its rows with spreadsheet row numbers;
    `notes` say what of the file was passed over (other sheets, rows above the header)."""

    source: str
    header: list[str]
    rows: list[tuple[int, list[str]]]
    sheet: str | None = None  # the sheet read, when the workbook has several
    header_row: int = 1
    notes: list[str] = field(default_factory=list)
    _columns: Columns | None = field(default=None, repr=False)

    @property
    def columns(self) -> Columns:
        if self._columns is None:
            self._columns = map_columns(self.header, self.rows)
        return self._columns

    @property
    def where(self) -> str:
        """'sheet 'List', header on row 3' when either is not what one would assume."""
        parts = [f"sheet '{self.sheet}'"] if self.sheet else []
        if self.header_row != 1:
            parts.append(f"header on row {self.header_row}")
        return ", ".join(parts)


@dataclass(frozen=True)
class ImportRow:
    row: int
    person: PersonData
    category: Category
    delegation: Delegation | None
    telegram_id: int | None
    telegram_username: str | None
    approve: bool

    @property
    def ref(self) -> str:
        return import_ref(self.person.full_name, self.delegation.code if self.delegation else None)


@dataclass
class RowOutcome:
    row: int
    action: str  # created | updated | unchanged
    full_name: str
    delegation: str | None
    registration_id: int | None  # None for a registration a dry run would create
    matched_by: str | None  # telegram_id | email | telegram_username | name and delegation
    changed: list[str] = field(default_factory=list)
    status: str = ""


@dataclass
class ImportResult:
    conference: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    rows: list[RowOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    without_telegram: int = 0  # imported registrations that need a personal link


@dataclass(frozen=True)
class BindLink:
    registration_id: int
    full_name: str
    native_name: str | None
    delegation: str | None
    category: str
    status: str
    email: str | None
    url: str


# --------------------------------------------------------------------------- reading


def read_table(path: Path, *, sheet: str | None = None) -> Table:
    """Read a CSV or XLSX file (by content, else extension); OSError if unreadable.
    `sheet`: an XLSX sheet's name or 1-based number (default: the one with the columns)."""
    return parse_bytes(path.read_bytes(), path.name, sheet=sheet)


def parse_bytes(data: bytes, name: str, *, sheet: str | None = None) -> Table:
    suffix = Path(name).suffix.lower()
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, name, sheet)
    if suffix in (".xlsx", ".xlsm"):
        raise ImportFailed([f"{name}: not a readable XLSX workbook"])
    if data.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".xls":
        raise ImportFailed([f"{name}: old Excel .xls files are not supported; save it as .xlsx or CSV UTF-8"])
    if sheet is not None:
        raise ImportFailed([f"{name}: a CSV file has no sheets (a sheet is chosen in XLSX workbooks only)"])
    return _read_csv(data, name)


def _decode(data: bytes, name: str) -> str:
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed([f'{name}: line {line}: not UTF-8 text (in Excel use Save As → "CSV UTF-8")']) from None


def _delimiter(text: str) -> str:
    """The separator used most in the first lines (the header may follow a title)."""
    lines = [line for line in text.splitlines()[: HEADER_SEARCH * 3] if line.strip()][:HEADER_SEARCH]
    counts = {d: sum(line.count(d) for line in lines) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(data: bytes, name: str) -> Table:
    text = _decode(data, name)
    if "\x00" in text:
        raise ImportFailed([f"{name}: not a text file (is it a spreadsheet saved under another name?)"])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    records: list[tuple[int, list[str]]] = []
    try:
        for number, cells in enumerate(reader, start=1):
            records.append((number, cells))
            if number > MAX_ROWS + HEADER_SEARCH + 1:
                break
    except csv.Error as exc:
        raise ImportFailed([f"{name}: line {reader.line_num}: {exc}"]) from None
    return _table(name, records)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _sheet_records(sheet: Any, limit: int) -> list[tuple[int, list[str]]]:
    """The sheet's rows that are not blank, numbered as in the sheet; at most `limit`."""
    records: list[tuple[int, list[str]]] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [_cell(v) for v in values]
        if any(c.strip() for c in cells):
            records.append((number, cells))
            if len(records) >= limit:
                break
    return records


def _read_xlsx(data: bytes, name: str, wanted: str | None) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # zipfile, XML and openpyxl's own errors: all mean "not readable"
        raise ImportFailed([f"{name}: not a readable XLSX workbook ({type(exc).__name__})"]) from None
    try:
        sheets = list(workbook.worksheets)
        if not sheets:
            raise ImportFailed([f"{name}: the workbook has no sheets"])
        chosen, notes = _pick_sheet(name, sheets, wanted)
        records = _sheet_records(chosen, MAX_ROWS + HEADER_SEARCH + 1)
    finally:
        workbook.close()
    table = _table(name, records)
    if len(sheets) > 1:
        table.sheet = chosen.title
    table.notes[:0] = notes
    return table


def _pick_sheet(name: str, sheets: list[Any], wanted: str | None) -> tuple[Any, list[str]]:
    """The sheet named or numbered by `wanted`; else the one sheet whose header has the
    required columns (a cover or notes sheet is passed over, and said so)."""
    titles = ", ".join(f"{n} '{s.title}'" for n, s in enumerate(sheets, start=1))
    if wanted is not None:
        text = wanted.strip()
        for sheet in sheets:
            if sheet.title == text:
                return sheet, []
        for sheet in sheets:
            if sheet.title.casefold().strip() == text.casefold():
                return sheet, []
        if text.isdigit() and 1 <= int(text) <= len(sheets):
            return sheets[int(text) - 1], []
        raise ImportFailed([f"{name}: no sheet '{wanted}' (the sheets are {titles})"])
    if len(sheets) == 1:
        return sheets[0], []
    looks: list[tuple[Any, Columns | None]] = []
    for sheet in sheets:
        head = _sheet_records(sheet, HEADER_SEARCH)
        looks.append((sheet, map_columns(head[find_header(head)][1], []) if head else None))
    full = [s for s, cols in looks if cols is not None and not cols.missing]
    if len(full) > 1:
        listed = ", ".join(f"'{s.title}'" for s in full)
        raise ImportFailed([f"{name}: sheets {listed} each have a participant list: choose one sheet ({titles})"])
    if full:
        chosen = full[0]
    else:  # no sheet has every required column: read the closest, its problems will say why
        best = max(looks, key=lambda look: look[1].known if look[1] is not None else -1)
        if best[1] is None:
            raise ImportFailed([f"{name}: the workbook is empty (expected a header row: {', '.join(COLUMNS)})"])
        chosen = best[0]
    others = [f"'{s.title}'" for s, cols in looks if s is not chosen and cols is not None]
    notes = [f"read sheet '{chosen.title}'; not read: sheet {', '.join(others)}"] if others else []
    return chosen, notes


def _table(name: str, records: list[tuple[int, list[str]]]) -> Table:
    records = [(n, cells) for n, cells in records if any(c.strip() for c in cells)]
    if not records:
        raise ImportFailed([f"{name}: the file is empty (expected a header row: {', '.join(COLUMNS)})"])
    at = find_header(records)
    (header_row, header), rows = records[at], records[at + 1 :]
    if len(rows) > MAX_ROWS:
        raise ImportFailed([f"{name}: more than {MAX_ROWS} rows; split the file"])
    if not rows:
        raise ImportFailed([f"{name}: no rows below the header (row {header_row})"])
    table = Table(name, header, rows, header_row=header_row)
    if at:
        above = "; ".join(_quote(" ".join(c.strip() for c in cells if c.strip()), 60) for _, cells in records[:at])
        table.notes.append(f"row(s) above the header (row {header_row}) not imported: {above}")
    return table


# --------------------------------------------------------------------------- parsing


def _fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form used for keys and labels."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("ё", "е"))
    kept = "".join(ch if (ch.isalnum()) else " " for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(kept.split())


def import_ref(full_name: str, delegation_code: str | None) -> str:
    """The stable key of a person imported without Telegram id, email or username."""
    key = f"{_fold(full_name)}|{(delegation_code or '').upper()}"
    return IMPORT_REF_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:40]


_CATEGORIES: dict[str, Category] = {}
for _category, _labels in _CATEGORY_LABELS.items():
    for _label in (_category.value, _category.name, *_labels):
        _CATEGORIES[_fold(_label)] = _category
_STATUSES = {**{_fold(s): True for s in _APPROVED}, **{_fold(s): False for s in _PENDING}}


class _Delegations:
    def __init__(self, delegations: Iterable[Delegation]) -> None:
        self.all = list(delegations)
        self.by_code = {_fold(d.code): d for d in self.all}
        names: dict[str, list[Delegation]] = {}
        for d in self.all:
            for text in (d.name or {}).values():
                if text:
                    names.setdefault(_fold(text), []).append(d)
        self.by_name = {k: v[0] for k, v in names.items() if len({d.id for d in v}) == 1}

    def find(self, text: str) -> Delegation | None:
        key = _fold(text)
        return self.by_code.get(key) or self.by_name.get(key)

    def examples(self) -> str:
        codes = [d.code for d in self.all][:8]
        return ", ".join(codes) + (", …" if len(self.all) > 8 else "")


def _telegram_id(text: str) -> int:
    value = text.strip().replace(" ", "")
    if not re.fullmatch(r"[+-]?\d+", value):
        raise InvalidInput("telegram_id: not a number", code="not_a_number", field="telegram_id")
    number = int(value)
    if number <= 0:
        raise InvalidInput("telegram_id: must be positive", code="not_positive", field="telegram_id")
    if number > TELEGRAM_ID_MAX:
        raise InvalidInput("telegram_id: too large", code="too_large", field="telegram_id")
    return number


def _username(text: str) -> str:
    value = text.strip()
    for prefix in ("https://t.me/", "http://t.me/", "t.me/", "@"):
        if value.lower().startswith(prefix):
            value = value[len(prefix) :]
    if not _USERNAME.match(value):
        raise InvalidInput(
            "telegram_username: expected 5-32 Latin letters, digits or _ (the @ is optional)",
            code="bad_username",
            field="telegram_username",
        )
    return value


def _telegram_account(text: str) -> int | str:
    """A 'Telegram' column holds either: digits are the numeric id, anything else the
    username or t.me link. A phone number is refused, not taken for an id."""
    value = text.strip()
    if re.fullmatch(r"\d+", value):
        return _telegram_id(value)
    if re.fullmatch(r"[+\d][\d\s()\-.]*", value):
        raise InvalidInput(
            "telegram: looks like a phone number; give the @username or the numeric Telegram id",
            code="phone_not_telegram",
            field="telegram",
        )
    try:
        return _username(value)
    except InvalidInput:
        raise InvalidInput(
            "telegram: expected a @username (5-32 Latin letters, digits or _), a t.me link or the numeric id",
            code="bad_username",
            field="telegram",
        ) from None


def _latin_name(text: str) -> str:
    try:
        return latin_name(text)
    except InvalidInput as exc:
        if exc.code == "not_latin" and not text.isascii():
            exc.message += " (a name in its own script goes in a native_name column, e.g. 'ФИО в оригинале')"
        raise


def _email(text: str) -> str:
    value = text.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise InvalidInput("email: not an email address", code="bad_email", field="email")
    return value


def _long_text(text: str, field: str) -> str:
    return free_text(text, field, max_len=300)


def _quote(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def parse_rows(table: Table, delegations: Iterable[Delegation]) -> tuple[list[ImportRow], list[tuple[int, str]]]:
    """Validate every row; returns the good rows and (row number, problem) pairs."""
    columns = table.columns
    problems: list[tuple[int, str]] = [(0, text) for text in columns.problems]
    known = _Delegations(delegations)
    rows: list[ImportRow] = []
    for number, cells in table.rows:
        errors: list[str] = []

        def cell(column: str, cells: list[str] = cells) -> str:
            return columns.value(cells, column)

        def check(fn: Any, *args: Any, errors: list[str] = errors) -> Any:
            try:
                return fn(*args)
            except InvalidInput as exc:
                errors.append(exc.message)
                return None

        extra = [i for i in range(len(table.header), len(cells)) if cells[i].strip()]
        if extra:
            errors.append(f"a value in column {column_letter(extra[0])}, which has no header")
        full_name = None
        if columns.has("name") and not cell("name"):
            errors.append("name: required")
        elif columns.has("name"):
            full_name = check(_latin_name, cell("name"))
        native = check(native_name, cell("native_name")) if cell("native_name") else None
        position = check(_long_text, cell("position"), "position") if cell("position") else None
        organisation = check(_long_text, cell("organisation"), "organisation") if cell("organisation") else None
        category = None
        if columns.has("category"):
            if not cell("category"):
                errors.append("category: required")
            else:
                category = _CATEGORIES.get(_fold(cell("category")))
                if category is None:
                    errors.append(
                        f"category: unknown {_quote(cell('category'))} (expected one of: "
                        f"{', '.join(c.value for c in Category)})"
                    )
        delegation = None
        if cell("delegation"):
            delegation = known.find(cell("delegation"))
            if delegation is None:
                hint = f"a code such as {known.examples()}" if known.all else "none are loaded"
                errors.append(f"delegation: unknown {_quote(cell('delegation'))} ({hint})")
        telegram_id = check(_telegram_id, cell("telegram_id")) if cell("telegram_id") else None
        username = check(_username, cell("telegram_username")) if cell("telegram_username") else None
        if cell("telegram"):
            account = check(_telegram_account, cell("telegram"))
            if isinstance(account, int) and telegram_id is None and not cell("telegram_id"):
                telegram_id = account
            elif isinstance(account, str) and username is None and not cell("telegram_username"):
                username = account
            elif account is not None:
                errors.append("telegram: this row gives its Telegram account in two columns; keep one")
        email = check(_email, cell("email")) if cell("email") else None
        approve = False
        if cell("status"):
            status = _STATUSES.get(_fold(cell("status")))
            if status is None:
                errors.append(f"status: unknown {_quote(cell('status'))} (expected approved or pending)")
            approve = bool(status)
        problems.extend((number, e) for e in errors)
        if errors or full_name is None or category is None:
            continue
        rows.append(
            ImportRow(
                row=number,
                person=PersonData(
                    full_name=full_name,
                    native_name=native,
                    position=position,
                    organisation=organisation,
                    email=email,
                ),
                category=category,
                delegation=delegation,
                telegram_id=telegram_id,
                telegram_username=username,
                approve=approve,
            )
        )
    return rows, problems


# --------------------------------------------------------------------------- planning


@dataclass
class _Plan:
    row: ImportRow
    participant: Participant | None  # an existing one, else a new one is created
    matched_by: str | None
    registration: Registration | None  # an existing one in this conference
    ref: str | None  # the ref to give the participant (None: leave / none)
    person: dict[str, object] = field(default_factory=dict)  # participant fields to set
    reg: dict[str, object] = field(default_factory=dict)  # registration fields to set
    approve: str | None = None  # "import" or "auto": becomes approved now
    to_pending: bool = False
    is_new: bool = False  # the registration is created (the participant may exist)

    @property
    def changed(self) -> list[str]:
        names = [k for k in self.person if k != "ref"] + ["delegation" if k == "delegation_id" else k for k in self.reg]
        if (self.approve and not self.is_new) or self.to_pending:
            names.append("status")
        return list(dict.fromkeys(names))


async def _fetch(
    session: AsyncSession, column: Any, values: Iterable[Any], *, lower: bool = False
) -> list[Participant]:
    found: list[Participant] = []
    values = list(values)
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        target = func.lower(column) if lower else column
        found.extend((await session.execute(select(Participant).where(target.in_(chunk)))).scalars())
    return found


def _group(participants: Iterable[Participant], key: Any) -> dict[Any, list[Participant]]:
    grouped: dict[Any, dict[int | None, Participant]] = {}
    for p in participants:
        grouped.setdefault(key(p), {})[p.id] = p
    return {k: list(v.values()) for k, v in grouped.items()}


async def _plan(
    session: AsyncSession,
    conference: Conference,
    rows: list[ImportRow],
    delegations: list[Delegation],
) -> tuple[list[_Plan], list[tuple[int, str]], list[str]]:
    problems: list[tuple[int, str]] = []
    warnings: list[str] = []
    tids = {r.telegram_id for r in rows if r.telegram_id is not None}
    emails = {r.person.email.lower() for r in rows if r.person.email}
    names = {r.telegram_username.lower() for r in rows if r.telegram_username}
    refs = {r.ref for r in rows}
    by_tid = {p.telegram_id: p for p in await _fetch(session, col(Participant.telegram_id), tids)}
    by_email = _group(
        await _fetch(session, col(Participant.email), emails, lower=True),
        lambda p: (p.email or "").lower(),
    )
    by_name = _group(
        await _fetch(session, col(Participant.telegram_username), names, lower=True),
        lambda p: (p.telegram_username or "").lower(),
    )
    by_ref = {p.ref: p for p in await _fetch(session, col(Participant.ref), refs)}
    email_uses = Counter(r.person.email.lower() for r in rows if r.person.email)

    # The same Telegram account or username twice in one file is a mistake.
    first_tid: dict[int, int] = {}
    first_name: dict[str, int] = {}
    for r in rows:
        if r.telegram_id is not None:
            if r.telegram_id in first_tid:
                problems.append(
                    (
                        r.row,
                        f"telegram_id: {r.telegram_id} is also on row {first_tid[r.telegram_id]}",
                    )
                )
            first_tid.setdefault(r.telegram_id, r.row)
        if r.telegram_username:
            u = r.telegram_username.lower()
            if u in first_name:
                problems.append(
                    (
                        r.row,
                        f"telegram_username: @{r.telegram_username} is also on row {first_name[u]}",
                    )
                )
            first_name.setdefault(u, r.row)

    def fits(p: Participant, r: ImportRow) -> bool:
        return r.telegram_id is None or p.telegram_id in (None, r.telegram_id)

    plans: list[_Plan] = []
    seen: dict[int, int] = {}  # participant id -> row
    ref_owner: dict[str, object] = {ref: p.id for ref, p in by_ref.items() if ref}
    for r in rows:
        match: Participant | None = None
        how: str | None = None
        email = r.person.email.lower() if r.person.email else None
        username = r.telegram_username.lower() if r.telegram_username else None
        if r.telegram_id is not None and r.telegram_id in by_tid:
            match, how = by_tid[r.telegram_id], "telegram_id"
        elif email and email_uses[email] == 1 and len(by_email.get(email, [])) == 1 and fits(by_email[email][0], r):
            match, how = by_email[email][0], "email"
        elif username and len(by_name.get(username, [])) == 1 and fits(by_name[username][0], r):
            match, how = by_name[username][0], "telegram_username"
        elif r.ref in by_ref and fits(by_ref[r.ref], r):
            match, how = by_ref[r.ref], "name and delegation"
        if match is not None:
            assert match.id is not None
            if match.id in seen:
                problems.append((r.row, f"same person as row {seen[match.id]} (matched by {how})"))
                continue
            seen[match.id] = r.row
        ref: str | None = None
        owner = ref_owner.get(r.ref)
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
                problems.append(
                    (
                        r.row,
                        f"same name and delegation as {other}; add a telegram_id or email to tell them apart",
                    )
                )
                continue
        elif match.ref != r.ref and owner is None and (match.ref is None or match.ref.startswith(IMPORT_REF_PREFIX)):
            ref = r.ref
        if ref is not None:
            ref_owner[ref] = f"row:{r.row}"
            if match is not None and match.ref:
                ref_owner.pop(match.ref, None)
        plans.append(_Plan(r, match, how, None, ref))

    # Registrations already in this conference.
    ids = [p.participant.id for p in plans if p.participant is not None]
    regs: dict[int, Registration] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for found in (
            await session.execute(
                select(Registration)
                .where(
                    col(Registration.conference_id) == conference.id,
                    col(Registration.participant_id).in_(chunk),
                )
                .execution_options(populate_existing=True)
            )
        ).scalars():
            regs[found.participant_id] = found

    # Seats: active registrations per delegation with a quota, followed row by row.
    quotas = {d.id: d for d in delegations if d.quota is not None}
    taken: dict[int | None, int] = {d_id: 0 for d_id in quotas}
    if quotas:
        counts = await session.execute(
            select(col(Registration.delegation_id), func.count())
            .where(
                col(Registration.delegation_id).in_(list(quotas)),
                col(Registration.status).in_(ACTIVE),
            )
            .group_by(col(Registration.delegation_id))
        )
        for d_id, count in counts.all():
            taken[d_id] = int(count)

    for plan in plans:
        r, p = plan.row, plan.participant
        reg: Registration | None = regs.get(p.id) if p is not None and p.id is not None else None
        plan.registration, plan.is_new = reg, reg is None
        _diff_person(plan)
        new_delegation = r.delegation.id if r.delegation else None
        if reg is None:
            delegation = r.delegation
            if _auto_approved(conference, delegation, r.category) and not r.approve:
                plan.approve = "auto"
            elif r.approve:
                plan.approve = "import"
        else:
            if reg.delegation_id != new_delegation:
                plan.reg["delegation_id"] = new_delegation
            if reg.category != r.category:
                plan.reg["category"] = r.category
            if reg.status in ACTIVE:
                badge = {"full_name", "native_name"} & set(plan.person) or plan.reg
                if r.approve and reg.status != RegistrationStatus.APPROVED:
                    plan.approve = "import"
                elif reg.status == RegistrationStatus.APPROVED and badge and not r.approve:
                    plan.to_pending = True
            elif r.approve or plan.person or plan.reg:
                warnings.append(
                    f"row {r.row}: registration #{reg.id} of {r.person.full_name} is "
                    f"{reg.status.value}; its status was left as is"
                )
        old_active = reg is not None and reg.status in ACTIVE
        new_active = reg is None or reg.status in ACTIVE
        old_delegation = reg.delegation_id if reg is not None else None
        if old_active and old_delegation != new_delegation and old_delegation in taken:
            taken[old_delegation] -= 1
        if new_active and new_delegation in quotas and (not old_active or old_delegation != new_delegation):
            d = quotas[new_delegation]
            assert d.quota is not None
            if taken[new_delegation] >= d.quota:
                problems.append((r.row, f"delegation {d.code} has no seats left ({d.quota} of {d.quota} taken)"))
            else:
                taken[new_delegation] += 1
    return plans, problems, warnings


def _diff_person(plan: _Plan) -> None:
    r, p = plan.row, plan.participant
    wanted: dict[str, object] = {
        "full_name": r.person.full_name,
        "native_name": r.person.native_name,
        "position": r.person.position,
        "organisation": r.person.organisation,
        "email": r.person.email,
        "telegram_id": r.telegram_id,
        "telegram_username": r.telegram_username,
    }
    for name, value in wanted.items():
        if value is None:
            continue  # a blank cell keeps what we hold
        if p is None or getattr(p, name) != value:
            plan.person[name] = value
    if plan.ref is not None:
        plan.person["ref"] = plan.ref


# --------------------------------------------------------------------------- importing


async def import_table(
    session: AsyncSession,
    conference: Conference,
    table: Table,
    *,
    dry_run: bool = False,
    actor: str = "cli",
    clock: Clock = utc_now,
) -> ImportResult:
    """Validate every row, then create or update registrations in one transaction.

    Raises `ImportFailed` listing every problem (nothing written). A dry run plans and
    reports the same counts and writes nothing."""
    now = clock()
    assert conference.id is not None
    query = select(Delegation).where(col(Delegation.conference_id) == conference.id).order_by(col(Delegation.id))
    if not dry_run:
        query = query.with_for_update()
    delegations = list((await session.execute(query.execution_options(populate_existing=True))).scalars())
    rows, problems = parse_rows(table, delegations)
    plans, db_problems, warnings = await _plan(session, conference, rows, delegations)
    problems.extend(db_problems)
    if problems:
        await session.rollback()
        raise ImportFailed(
            [f"row {n}: {text}" if n > 0 else text for n, text in sorted(problems, key=lambda x: x[0])], table.where
        )

    notes = [*table.notes, *table.columns.notes]
    result = ImportResult(conference=conference.slug, dry_run=dry_run, warnings=[*notes, *warnings])
    if dry_run:
        for plan in plans:
            _count(result, plan, plan.registration.id if plan.registration else None)
        await session.rollback()
        return result

    # Participants first (one flush gives the new ones their ids), then registrations.
    people: list[Participant] = []
    for plan in plans:
        person = plan.participant
        if person is None:
            person = Participant(full_name=plan.row.person.full_name, created_at=now)
            session.add(person)
        for name, value in plan.person.items():
            setattr(person, name, value)
        if plan.person:
            person.updated_at = now
        people.append(person)
    await session.flush()

    for plan, person in zip(plans, people, strict=True):
        r, reg = plan.row, plan.registration
        assert person.id is not None
        if reg is None:
            reg = Registration(
                conference_id=conference.id,
                participant_id=person.id,
                category=r.category,
                delegation_id=r.delegation.id if r.delegation else None,
                source=IMPORT_SOURCE,
                created_at=now,
                updated_at=now,
            )
            session.add(reg)
            plan.registration = reg
        else:
            for name, value in plan.reg.items():
                setattr(reg, name, value)
        if plan.approve:
            reg.status, reg.decided_by, reg.decided_at = RegistrationStatus.APPROVED, None, now
            reg.decision_reason = plan.approve
        elif plan.to_pending:
            reg.status, reg.decided_by, reg.decided_at, reg.decision_reason = (
                RegistrationStatus.PENDING,
                None,
                None,
                None,
            )
        if plan.reg or plan.approve or plan.to_pending:
            reg.updated_at = now
        if person.telegram_id is None and reg.status in ACTIVE and reg.bind_token is None:
            reg.bind_token = secrets.token_urlsafe(16)
        elif person.telegram_id is not None and reg.bind_token is not None:
            reg.bind_token = None
    await session.flush()

    for plan, person in zip(plans, people, strict=True):
        r, reg = plan.row, plan.registration
        assert reg is not None and reg.id is not None
        common: dict[str, Any] = {
            "entity": "registration",
            "entity_id": reg.id,
            "at": now,
            "conference_id": conference.id,
            "actor": actor,
        }
        if plan.is_new:
            audit.record(
                session,
                action="registration.create",
                source=IMPORT_SOURCE,
                row=r.row,
                category=r.category.value,
                delegation=r.delegation.code if r.delegation else None,
                status=reg.status.value,
                **common,
            )
        elif plan.changed:
            audit.record(
                session,
                action="registration.edit",
                source=IMPORT_SOURCE,
                row=r.row,
                fields=plan.changed,
                matched_by=plan.matched_by,
                **common,
            )
        if plan.approve == "import":
            audit.record(session, action="registration.approve", reason="import", **common)
        if person.telegram_id is None and reg.status in ACTIVE:
            result.without_telegram += 1
        _count(result, plan, reg.id)

    await _recheck_quotas(session, [d for d in delegations if d.quota is not None])
    audit.record(
        session,
        action="participants.import",
        entity="conference",
        entity_id=conference.id,
        at=now,
        conference_id=conference.id,
        actor=actor,
        file=table.source,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
    )
    await session.commit()
    return result


def _count(result: ImportResult, plan: _Plan, registration_id: int | None) -> None:
    action = "created" if plan.is_new else ("updated" if plan.changed else "unchanged")
    setattr(result, action, getattr(result, action) + 1)
    reg = plan.registration
    result.rows.append(
        RowOutcome(
            row=plan.row.row,
            action=action,
            full_name=plan.row.person.full_name,
            delegation=plan.row.delegation.code if plan.row.delegation else None,
            registration_id=registration_id,
            matched_by=plan.matched_by,
            changed=plan.changed if action == "updated" else [],
            status=_final_status(plan, reg).value,
        )
    )


def _final_status(plan: _Plan, reg: Registration | None) -> RegistrationStatus:
    if plan.approve:
        return RegistrationStatus.APPROVED
    if plan.to_pending or reg is None:
        return RegistrationStatus.PENDING
    return reg.status


async def _recheck_quotas(session: AsyncSession, delegations: list[Delegation]) -> None:
    """Belt and braces after writing: the planned seats must hold in the database."""
    if not delegations:
        return
    counts = dict(
        (
            await session.execute(
                select(col(Registration.delegation_id), func.count())
                .where(
                    col(Registration.delegation_id).in_([d.id for d in delegations]),
                    col(Registration.status).in_(ACTIVE),
                )
                .group_by(col(Registration.delegation_id))
            )
        ).all()
    )
    for d in delegations:
        assert d.quota is not None
        if counts.get(d.id, 0) > d.quota:
            await session.rollback()
            raise QuotaExceeded(
                f"delegation {d.code} has no seats left ({d.quota} of {d.quota} taken)",
                code="quota_exceeded",
                quota=d.quota,
                delegation=d.code,
            )


async def import_file(
    session: AsyncSession,
    conference: Conference,
    path: Path,
    *,
    dry_run: bool = False,
    actor: str = "cli",
    clock: Clock = utc_now,
) -> ImportResult:
    return await import_table(session, conference, read_table(path), dry_run=dry_run, actor=actor, clock=clock)


# --------------------------------------------------------------------------- links


async def bind_links(
    session: AsyncSession,
    conference: Conference,
    username: str,
    *,
    clock: Clock = utc_now,
) -> list[BindLink]:
    """Personal links for every active registration whose person has no Telegram id yet,
    giving a token to those without one (and committing)."""
    now = clock()
    rows = (
        await session.execute(
            select(Registration, Participant, Delegation)
            .join(Participant, col(Participant.id) == col(Registration.participant_id))
            .outerjoin(Delegation, col(Delegation.id) == col(Registration.delegation_id))
            .where(
                col(Registration.conference_id) == conference.id,
                col(Registration.status).in_(ACTIVE),
                col(Participant.telegram_id).is_(None),
                col(Participant.forgotten_at).is_(None),
            )
            .order_by(col(Delegation.code).nulls_last(), col(Participant.full_name), col(Registration.id))
        )
    ).all()
    links: list[BindLink] = []
    for reg, person, delegation in rows:
        if reg.bind_token is None:
            reg.bind_token, reg.updated_at = secrets.token_urlsafe(16), now
        assert reg.id is not None
        links.append(
            BindLink(
                registration_id=reg.id,
                full_name=person.full_name,
                native_name=person.native_name,
                delegation=delegation.code if delegation else None,
                category=reg.category.value,
                status=reg.status.value,
                email=person.email,
                url=bind_link(username, reg.bind_token),
            )
        )
    await session.commit()
    return links


# --------------------------------------------------------------------------- listing


async def list_registrations(
    session: AsyncSession,
    conference: Conference,
    *,
    status: RegistrationStatus | None = None,
    delegation: str | None = None,
) -> list[RegistrationView]:
    """A conference's registrations by delegation and name (for `participants list`)."""
    query = (
        select(Registration, Participant, Delegation)
        .join(Participant, col(Participant.id) == col(Registration.participant_id))
        .outerjoin(Delegation, col(Delegation.id) == col(Registration.delegation_id))
        .where(col(Registration.conference_id) == conference.id)
        .order_by(col(Delegation.code).nulls_last(), col(Participant.full_name), col(Registration.id))
    )
    if status is not None:
        query = query.where(col(Registration.status) == status)
    if delegation:
        found = _Delegations(
            (await session.execute(select(Delegation).where(col(Delegation.conference_id) == conference.id))).scalars()
        ).find(delegation)
        if found is None:
            raise NotFound(f"no delegation '{delegation}' in {conference.slug}", code="delegation_not_found")
        query = query.where(col(Registration.delegation_id) == found.id)
    rows = (await session.execute(query)).all()
    await session.commit()
    return [RegistrationView(reg, person, d) for reg, person, d in rows]

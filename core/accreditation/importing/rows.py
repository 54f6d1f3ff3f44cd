"""A table's rows checked and read into `ImportRow`s, every problem listed with its row
number; and the key (`import_ref`) a person imported without Telegram id, email or username
is found by again.

Names: one name is a name; "Surname, Given" is stored in printed order
(`core.accreditation.validation`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from core.accreditation.delegations import DelegationIndex
from core.accreditation.importing import cells as cell_rules
from core.accreditation.importing.columns import Columns
from core.accreditation.importing.read import Table, quote
from core.accreditation.registration import PersonData
from core.accreditation.validation import native_name
from core.errors import InvalidInput
from core.models import Category, Delegation
from core.text import column_letter, fold_words

IMPORT_REF_PREFIX = "import:"


def import_ref(full_name: str, delegation_code: str | None) -> str:
    """The stable key of a person imported without Telegram id, email or username: the
    name folded (case, diacritics, punctuation) and the delegation's code, hashed."""
    key = f"{fold_words(full_name)}|{(delegation_code or '').upper()}"
    return IMPORT_REF_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:40]


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


class _RowReader:
    """One row's cells read field by field; what is wrong is collected in `errors`."""

    def __init__(self, table: Table, cells: list[str], delegations: DelegationIndex) -> None:
        self.table, self.cells, self.delegations = table, cells, delegations
        self.columns: Columns = table.columns
        self.errors: list[str] = []

    def text(self, column: str) -> str:
        return self.columns.value(self.cells, column)

    def checked(self, read: Callable[..., Any], *args: Any) -> Any:
        try:
            return read(*args)
        except InvalidInput as exc:
            self.errors.append(exc.message)
            return None

    def optional(self, column: str, read: Callable[..., Any], *args: Any) -> Any:
        """The column's value read, None when the cell is blank (or wrong)."""
        value = self.text(column)
        return self.checked(read, value, *args) if value else None

    def no_headerless_values(self) -> None:
        extra = [i for i in range(len(self.table.header), len(self.cells)) if self.cells[i].strip()]
        if extra:
            self.errors.append(f"a value in column {column_letter(extra[0])}, which has no header")

    def full_name(self) -> str | None:
        if not self.columns.has("name"):
            return None
        if not self.text("name"):
            self.errors.append("name: required")
            return None
        return self.checked(cell_rules.latin_name_cell, self.text("name"))  # type: ignore[no-any-return]

    def category(self) -> Category | None:
        if not self.columns.has("category"):
            return None
        text = self.text("category")
        if not text:
            self.errors.append("category: required")
            return None
        category = cell_rules.CATEGORY_OF_LABEL.get(fold_words(text))
        if category is None:
            expected = ", ".join(c.value for c in Category)
            self.errors.append(f"category: unknown {quote(text)} (expected one of: {expected})")
        return category

    def delegation(self) -> Delegation | None:
        text = self.text("delegation")
        if not text:
            return None
        delegation = self.delegations.find(text)
        if delegation is None:
            known = self.delegations
            hint = f"a code such as {known.examples()}" if known.all else "none are loaded"
            self.errors.append(f"delegation: unknown {quote(text)} ({hint})")
        return delegation

    def telegram(self) -> tuple[int | None, str | None]:
        """The Telegram id and username, from their own columns or the mixed `telegram` one."""
        telegram_id = self.optional("telegram_id", cell_rules.telegram_id)
        username = self.optional("telegram_username", cell_rules.telegram_username)
        if self.text("telegram"):
            account = self.checked(cell_rules.telegram_account, self.text("telegram"))
            if isinstance(account, int) and telegram_id is None and not self.text("telegram_id"):
                telegram_id = account
            elif isinstance(account, str) and username is None and not self.text("telegram_username"):
                username = account
            elif account is not None:
                self.errors.append("telegram: this row gives its Telegram account in two columns; keep one")
        return telegram_id, username

    def approve(self) -> bool:
        text = self.text("status")
        if not text:
            return False
        status = cell_rules.APPROVE_OF_STATUS.get(fold_words(text))
        if status is None:
            self.errors.append(f"status: unknown {quote(text)} (expected approved or pending)")
        return bool(status)

    def read(self, number: int) -> ImportRow | None:
        """The row, or None if anything in it is wrong (`errors` says what)."""
        self.no_headerless_values()
        full_name = self.full_name()
        native = self.optional("native_name", native_name)
        position = self.optional("position", cell_rules.long_text, "position")
        organisation = self.optional("organisation", cell_rules.long_text, "organisation")
        category = self.category()
        delegation = self.delegation()
        telegram_id, username = self.telegram()
        email = self.optional("email", cell_rules.email)
        approve = self.approve()
        if self.errors or full_name is None or category is None:
            return None
        person = PersonData(
            full_name=full_name, native_name=native, position=position, organisation=organisation, email=email
        )
        return ImportRow(number, person, category, delegation, telegram_id, username, approve)


def parse_rows(table: Table, delegations: Iterable[Delegation]) -> tuple[list[ImportRow], list[tuple[int, str]]]:
    """Validate every row; returns the good rows and (row number, problem) pairs (row 0:
    the header)."""
    problems: list[tuple[int, str]] = [(0, text) for text in table.columns.problems]
    index = DelegationIndex(delegations)
    rows: list[ImportRow] = []
    for number, cells in table.rows:
        reader = _RowReader(table, cells, index)
        row = reader.read(number)
        problems.extend((number, error) for error in reader.errors)
        if row is not None:
            rows.append(row)
    return rows, problems

"""Bulk accreditation from a protocol office's file.

High-level people are registered by their protocol offices, not by themselves: an
organiser imports a CSV or XLSX file (`read_table`, then `import_table`; `import_file`
does both), and every imported person without a Telegram id gets a personal deep link
(`core.accreditation.registration.bind_links`).

The file: columns (header row, any order): name, native_name, delegation (code or name),
category, position, organisation, telegram_id, telegram_username, email, status
(approved | pending). Only name and category are required. Headers are matched case-,
space- and punctuation-insensitively, in English or Russian, and a name may come as
surname / given name / patronymic columns. A column that is not a field is left out and
named in the result's warnings.

The steps, one module each:
- `read`: the file's bytes into a `Table` of text (CSV or XLSX, encoding, sheet, header
  row); `aliases` and `columns`: which header is which field.
- `cells` and `rows`: each row checked and read into an `ImportRow`.
- `matching`: who each row is (Telegram id, email, username, or name and delegation).
- `plan`: what would change, row by row, and the seats it takes (nothing written).
- `apply`: `import_table`, all or nothing: any problem (up to MAX_PROBLEMS are listed)
  raises `ImportFailed`; otherwise every change is written. Counts: created, updated,
  unchanged.
"""

from core.accreditation.importing.apply import import_file, import_table
from core.accreditation.importing.read import MAX_ROWS, Table, parse_bytes, read_table
from core.accreditation.importing.results import MAX_PROBLEMS, ImportFailed, ImportResult, RowOutcome
from core.accreditation.importing.rows import ImportRow, import_ref, parse_rows

__all__ = [
    "MAX_PROBLEMS",
    "MAX_ROWS",
    "ImportFailed",
    "ImportResult",
    "ImportRow",
    "RowOutcome",
    "Table",
    "import_file",
    "import_ref",
    "import_table",
    "parse_bytes",
    "parse_rows",
    "read_table",
]

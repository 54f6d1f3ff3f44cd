"""Which column of a protocol office's list is which: header aliases in English and Russian.

A header cell is compared after folding (case, accents, ё, punctuation and spacing are
ignored), so "E-mail", "e_mail" and "EMAIL " are one header, and "Эл. почта" is "эл почта".

Fields and some of the headers accepted for them (`FIELD_ALIASES` has them all):
  name          name, full name, ФИО, Ф.И.О., полное имя, participant, участник
  native_name   native name, name in native script, ФИО в оригинале, ФИО кириллицей
  delegation    delegation, country, state, делегация, страна, государство
  category      category, role, категория, роль
  position      position, job title, должность, звание ("Title" is a salutation: H.E., Mr.)
  organisation  organisation, organization, agency, организация, ведомство
  telegram_id   telegram id, tg id, ID в Telegram
  telegram_username  telegram username, username, ник в Telegram
  telegram      telegram, телеграм, tg: a numeric id or a @username/t.me link, per cell
  email         email, e-mail, mail, эл. почта, электронная почта
  status        status, статус, статус заявки

A name may also come in parts: surname / last name / family name / фамилия, given name /
first name / имя, middle name / patronymic / отчество. They are joined in printed order
(given, middle, surname), as the product stores names (see `core.accreditation.validation`).

Script qualifiers: a name header that says Latin ("ФИО латиницей", "Name (Latin)", "as in
passport") is the Latin `name`; one that says native ("ФИО на родном языке", "кириллицей",
"original") is `native_name`. When a file has a Latin-qualified name, its unqualified name
columns ("ФИО", "Фамилия", "Имя") are read as the native name.

Nothing is dropped silently: a column that is not a field (a passport number, a note, a
phone number, row numbers) is left out and named in a note; a header that looks like a
typo of a field ("emial") is a problem, so the import stops before losing that column.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

FIELDS = (
    "name",
    "native_name",
    "delegation",
    "category",
    "position",
    "organisation",
    "telegram_id",
    "telegram_username",
    "email",
    "status",
)
REQUIRED = ("name", "category")
NAME_TARGETS = ("name", "native_name")
PART_ORDER = ("given", "middle", "surname")  # printed order


def fold_label(text: str) -> str:
    """'E-mail' -> 'e mail', 'Эл. почта' -> 'эл почта', '№ п/п' -> 'no п п' (й, ё lose their marks)."""
    decomposed = unicodedata.normalize("NFKD", text).casefold()  # NFKD first: '№' is 'No'
    kept = "".join(ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(kept.split())


FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "delegation": (
        "delegation",
        "delegation code",
        "delegation country",
        "country",
        "country code",
        "country delegation",
        "country organisation",
        "country organization",
        "state",
        "делегация",
        "код делегации",
        "делегация страна",
        "страна",
        "код страны",
        "страна делегация",
        "страна организация",
        "государство",
        "государство организация",
    ),
    "category": (
        "category",
        "participant category",
        "role",
        "type",
        "категория",
        "категория участника",
        "роль",
        "тип участника",
    ),
    "position": (
        "position",
        "job title",
        "post",
        "rank",
        "position title",
        "должность",
        "занимаемая должность",
        "звание",
        "должность звание",
    ),
    "organisation": (
        "organisation",
        "organization",
        "org",
        "agency",
        "institution",
        "affiliation",
        "employer",
        "организация",
        "ведомство",
        "учреждение",
        "место работы",
        "организация ведомство",
    ),
    "telegram_id": (
        "telegram id",
        "telegram user id",
        "tg id",
        "id telegram",
        "id в telegram",
        "id в телеграм",
        "телеграм id",
    ),
    "telegram_username": (
        "telegram username",
        "telegram user name",
        "telegram login",
        "tg username",
        "username",
        "username telegram",
        "ник в telegram",
        "ник в телеграм",
        "ник telegram",
        "логин telegram",
        "имя пользователя telegram",
    ),
    "telegram": (
        "telegram",
        "telegram account",
        "tg",
        "телеграм",
        "телеграмм",
        "тг",
        "аккаунт telegram",
        "аккаунт в telegram",
        "аккаунт в телеграм",
    ),
    "email": (
        "email",
        "e mail",
        "mail",
        "email address",
        "e mail address",
        "эл почта",
        "электронная почта",
        "эл адрес",
        "электронный адрес",
        "адрес электронной почты",
        "почта",
        "e mail адрес",
        "email адрес",
    ),
    "status": (
        "status",
        "approval",
        "approval status",
        "accreditation status",
        "статус",
        "статус заявки",
        "статус регистрации",
        "статус аккредитации",
    ),
}

# Columns we recognise and do not store: said so by name in the import report.
NOT_STORED: dict[str, tuple[str, ...]] = {
    "phone numbers are not stored": (
        "phone",
        "phone number",
        "tel",
        "telephone",
        "mobile",
        "mobile phone",
        "contact phone",
        "whatsapp",
        "телефон",
        "тел",
        "номер телефона",
        "мобильный",
        "мобильный телефон",
        "контактный телефон",
    ),
    "titles such as H.E., Mr., Dr. are not stored": ("title", "salutation", "honorific", "обращение"),
    "row numbers": ("", "no", "n", "nr", "no п п", "n п п", "п п", "number", "номер", "номер п п"),
}

# Name headers: words that say which script, words that carry no meaning, and the concept.
_LATIN = frozenset(
    fold_label(w)
    for w in "latin lat roman english eng en passport паспорте паспорту паспорт латиницей латинице латиница "
    "латинскими латинский латинском лат англ английском транслитерация транслитерации translit "
    "transliteration transliterated".split()
)
_NATIVE = frozenset(
    fold_label(w)
    for w in "native original own local national cyrillic оригинал оригинале оригинальное родном родной "
    "кириллицей кириллице кириллица национальном".split()
)
_FILLER = frozenset(
    fold_label(w)
    for w in "in as the on of and per is a и в на по как буквами letters script языке язык language spelling "
    "написание написании участника s".split()
)
_NAME_CONCEPTS: dict[frozenset[str], str] = {}
for _concept, _labels in {
    "bare": ("name", "names"),  # the whole name, or the given name beside a surname column
    "full": (
        "full name",
        "fullname",
        "name surname",
        "first name last name",
        "participant",
        "participant name",
        "участник",
        "фио",
        "ф и о",
        "полное имя",
        "фамилия имя",
        "фамилия имя отчество",
        "имя фамилия",
    ),
    "surname": ("surname", "last name", "lastname", "family name", "фамилия"),
    "given": ("given name", "given names", "first name", "first names", "firstname", "forename", "forenames", "имя"),
    "middle": ("middle name", "middle names", "patronymic", "отчество"),
}.items():
    for _label in _labels:
        _NAME_CONCEPTS[frozenset(fold_label(_label).split())] = _concept

_BY_LABEL: dict[str, str] = {fold_label(a): f for f, aliases in FIELD_ALIASES.items() for a in aliases}
_BY_LABEL.update({fold_label(f): f for f in FIELD_ALIASES})
_NOT_STORED: dict[str, str] = {fold_label(a): why for why, aliases in NOT_STORED.items() for a in aliases}
_TYPO_TARGETS: dict[str, str] = {
    **_BY_LABEL,
    **{"name": "name", "native name": "native_name", "full name": "name", "фио": "name"},
}


def _name_header(key: str) -> tuple[str, str | None] | None:
    """(concept, script) of a name header: concept full|surname|given|middle, script
    latin|native|None; None if the header is not about a name."""
    words = key.split()
    latin = any(w in _LATIN for w in words)
    native = any(w in _NATIVE for w in words)
    rest = frozenset(w for w in words if w not in _LATIN and w not in _NATIVE and w not in _FILLER)
    if key in ("native name", "native_name"):
        return "full", "native"
    concept = _NAME_CONCEPTS.get(rest)
    if concept is None or (latin and native):
        return None
    return concept, "latin" if latin else "native" if native else None


def column_letter(index: int) -> str:
    """0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class Columns:
    """Where each field is in a row. `index`: plain fields (and `telegram`, the mixed
    column); `names[target][part]`: the name and native name, whole ('full') or in parts."""

    index: dict[str, int] = field(default_factory=dict)
    names: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # the import cannot go on
    notes: list[str] = field(default_factory=list)  # columns left out or read another way
    known: int = 0  # header cells recognised: how much this row looks like a header

    def has(self, name: str) -> bool:
        return name in self.index or bool(self.names.get(name))

    @property
    def missing(self) -> list[str]:
        return [f for f in REQUIRED if not self.has(f)]

    def value(self, cells: Sequence[str], name: str) -> str:
        """A field's text in a row ('' when blank); a name given in parts is joined."""
        if name in NAME_TARGETS:
            parts = self.names.get(name, {})
            if "full" in parts:
                return _at(cells, parts["full"])
            return " ".join(v for v in (_at(cells, parts[p]) for p in PART_ORDER if p in parts) if v)
        i = self.index.get(name)
        return _at(cells, i) if i is not None else ""


def _at(cells: Sequence[str], i: int) -> str:
    return cells[i].strip() if i < len(cells) else ""


def _quote(label: str) -> str:
    return "'" + " ".join(label.split()) + "'"


def _named(i: int, label: str) -> str:
    """ "C 'ФИО'": a column by its letter and header."""
    return f"{column_letter(i)} {_quote(label)}"


def map_columns(header: Sequence[str], rows: Sequence[tuple[int, Sequence[str]]]) -> Columns:
    """Read a header row: which column feeds which field, what is left out (with how many
    values), what is wrong."""
    cols = Columns()
    seen: dict[str, int] = {}
    named: list[tuple[int, str, str | None]] = []  # (column, concept, script)
    notes: list[tuple[int, str]] = []

    def filled(i: int) -> int:
        return sum(1 for _, cells in rows if i < len(cells) and cells[i].strip())

    def once(key: str, i: int, label: str) -> bool:
        if key in seen:
            cols.problems.append(
                f"column '{key}' appears twice (columns {column_letter(seen[key])} and {column_letter(i)}: "
                f"{_quote(header[seen[key]])} and {_quote(label)})"
            )
            return False
        seen[key] = i
        return True

    for i, raw in enumerate(header):
        label = " ".join(raw.split())
        if not label:
            if filled(i):
                cols.problems.append(f"column {column_letter(i)} has values but no header")
            continue
        key = fold_label(label)
        name = _name_header(key)
        if key in _BY_LABEL:
            cols.known += 1
            target = _BY_LABEL[key]
            if once(target, i, label):
                cols.index[target] = i
        elif name is not None:
            cols.known += 1
            named.append((i, *name))
        elif key in _NOT_STORED:
            cols.known += 1
            count = filled(i)
            if count:
                notes.append((i, f"column {_named(i, label)} not imported ({_NOT_STORED[key]}; {count} value(s))"))
        else:
            close = difflib.get_close_matches(key, list(_TYPO_TARGETS), n=1, cutoff=0.8)
            if close:
                cols.problems.append(
                    f"unknown column {_quote(label)} (did you mean '{_TYPO_TARGETS[close[0]]}'? "
                    f"expected one of: {', '.join(FIELDS)}; rename it, or remove it to leave it out)"
                )
            else:
                count = filled(i)
                what = f"{count} value(s) not imported" if count else "empty"
                notes.append((i, f"column {_named(i, label)} is not a confdesk column: {what}"))
    _resolve_names(cols, header, named, notes)
    cols.notes = [text for _, text in sorted(notes, key=lambda note: note[0])]
    for required in cols.missing:
        hint = " (or ФИО, or surname and given name columns)" if required == "name" else " (or категория)"
        cols.problems.append(f"missing column '{required}'{hint}")
    return cols


def _resolve_names(
    cols: Columns, header: Sequence[str], named: list[tuple[int, str, str | None]], notes: list[tuple[int, str]]
) -> None:
    """Unqualified name columns are the Latin name, unless a Latin-qualified one exists:
    then they are the native name. A bare "Name" beside a "Surname" is the given name."""
    latin_given = any(script == "latin" for _, _, script in named)
    targets: dict[str, list[tuple[int, str]]] = {}
    for i, concept, script in named:
        if script == "latin" or (script is None and not latin_given):
            target = "name"
        else:
            target = "native_name"
        if script is None and latin_given:
            why = "another column gives the name in Latin script"
            notes.append((i, f"column {_named(i, header[i])} read as native_name: {why}"))
        targets.setdefault(target, []).append((i, concept))
    for target, columns in targets.items():
        surname = next((i for i, concept in columns if concept == "surname"), None)
        for i, concept in columns:
            if concept == "bare" and surname is not None:
                concept = "given"
                beside = _named(surname, header[surname])
                notes.append((i, f"column {_named(i, header[i])} read as the given name, beside {beside}"))
            elif concept == "bare":
                concept = "full"
            _place(cols, header, target, i, concept)


def _place(cols: Columns, header: Sequence[str], target: str, i: int, concept: str) -> None:
    """Put column i as the target's whole name or one of its parts, unless that clashes."""
    parts = cols.names.setdefault(target, {})
    if concept in parts:
        first = parts[concept]
        what = target if concept == "full" else f"{target} ({concept})"
        cols.problems.append(
            f"columns {_named(first, header[first])} and {_named(i, header[i])} both give the {what}: keep one"
        )
    elif parts and ("full" in parts or concept == "full"):
        other = next(iter(parts.values()))
        cols.problems.append(
            f"columns {_named(other, header[other])} and {_named(i, header[i])} both give the {target}: "
            "use either one whole-name column or its parts"
        )
    else:
        parts[concept] = i


HEADER_SEARCH = 10  # a header is looked for in the first rows that are not blank


def find_header(records: Sequence[tuple[int, list[str]]]) -> int:
    """Index (in `records`, blank rows already removed) of the header row: the first of
    the first HEADER_SEARCH rows with at least two recognised headers (a title above the
    list is skipped), else the first row."""
    for position, (_, cells) in enumerate(records[:HEADER_SEARCH]):
        if map_columns(cells, []).known >= 2:
            return position
    return 0

"""Which header names which field of a protocol office's list, in English and Russian.

A header cell is compared by `core.text.fold_words` (case, accents, ё, punctuation and
spacing are ignored), so "E-mail", "e_mail" and "EMAIL " are one header, and "Эл. почта"
is "эл почта". `core.accreditation.importing.columns` reads a header row with these.

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
"original") is `native_name` (`name_header`).
"""

from __future__ import annotations

from core.text import fold_words

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
LATIN_WORDS = frozenset(
    fold_words(w)
    for w in "latin lat roman english eng en passport паспорте паспорту паспорт латиницей латинице латиница "
    "латинскими латинский латинском лат англ английском транслитерация транслитерации translit "
    "transliteration transliterated".split()
)
NATIVE_WORDS = frozenset(
    fold_words(w)
    for w in "native original own local national cyrillic оригинал оригинале оригинальное родном родной "
    "кириллицей кириллице кириллица национальном".split()
)
FILLER_WORDS = frozenset(
    fold_words(w)
    for w in "in as the on of and per is a и в на по как буквами letters script языке язык language spelling "
    "написание написании участника s".split()
)
NAME_CONCEPTS: dict[frozenset[str], str] = {}
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
        NAME_CONCEPTS[frozenset(fold_words(_label).split())] = _concept

FIELD_OF_LABEL: dict[str, str] = {fold_words(a): f for f, aliases in FIELD_ALIASES.items() for a in aliases}
FIELD_OF_LABEL.update({fold_words(f): f for f in FIELD_ALIASES})
WHY_NOT_STORED: dict[str, str] = {fold_words(a): why for why, aliases in NOT_STORED.items() for a in aliases}
TYPO_TARGETS: dict[str, str] = {
    **FIELD_OF_LABEL,
    **{"name": "name", "native name": "native_name", "full name": "name", "фио": "name"},
}


def name_header(key: str) -> tuple[str, str | None] | None:
    """(concept, script) of a name header: concept full|surname|given|middle, script
    latin|native|None; None if the header is not about a name."""
    words = key.split()
    latin = any(w in LATIN_WORDS for w in words)
    native = any(w in NATIVE_WORDS for w in words)
    rest = frozenset(w for w in words if w not in LATIN_WORDS and w not in NATIVE_WORDS and w not in FILLER_WORDS)
    if key in ("native name", "native_name"):
        return "full", "native"
    concept = NAME_CONCEPTS.get(rest)
    if concept is None or (latin and native):
        return None
    return concept, "latin" if latin else "native" if native else None

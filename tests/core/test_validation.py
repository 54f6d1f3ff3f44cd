import pytest

from core.accreditation import validation as v
from core.errors import InvalidInput


@pytest.mark.parametrize("name", ["Péter Szijjártó", "Sergey Lavrov", "Bassam al-Sabbagh", "Jean-Luc O'Neil"])
def test_latin_names_pass(name):
    assert v.latin_name(f"  {name} ") == name


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Лавров Сергей", "not_latin"),
        ("Lavrov, Sergey, Viktorovich", "name_commas"),
        (", ,", "too_short"),
        ("A", "too_short"),
        ("x" * 200 + " y", "too_long"),
        ("Anna\x00 Ivanova", "control_chars"),
        ("123 456", "not_latin"),
    ],
)
def test_bad_latin_names(text, code):
    with pytest.raises(InvalidInput) as err:
        v.latin_name(text)
    assert err.value.code == code


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("Sukarno", "Sukarno"),  # one name, as many Indonesians and Burmese have
        ("Aung San Suu Kyi", "Aung San Suu Kyi"),  # no surname: kept whole, never split
        ("Kuznetsov, Anatoly", "Anatoly Kuznetsov"),  # "Surname, Given" from a protocol list
        ("  al-Sabbagh ,  Bassam  ", "Bassam al-Sabbagh"),
        ("SZIJJÁRTÓ, Péter", "Péter SZIJJÁRTÓ"),  # case is kept as written
        ("King, Martin Luther, Jr.", "Martin Luther King Jr."),
        ("Martin Luther King, Jr.", "Martin Luther King Jr."),
        ("Sukarno,", "Sukarno"),
    ],
)
def test_one_name_and_surname_first_with_a_comma(text, stored):
    assert v.latin_name(text) == stored


@pytest.mark.parametrize(
    ("text", "stored"),
    [("Кузнецов, Анатолий", "Анатолий Кузнецов"), ("Сукарно", "Сукарно"), ("Szijjártó Péter", "Szijjártó Péter")],
)
def test_native_names_follow_the_same_comma_rule(text, stored):
    assert v.native_name(text) == stored


@pytest.mark.parametrize("name", ["Лавров", "Szijjártó Péter", "李辉", "بسام الصباغ"])
def test_native_names_in_any_script(name):
    assert v.native_name(name) == name


def test_native_name_rejects_digits_and_emoji():
    for text in ("Anna 2", "Анна 😀"):
        with pytest.raises(InvalidInput):
            v.native_name(text)


def test_free_text_needs_letters():
    assert v.free_text("Minister of Foreign Affairs", "position") == "Minister of Foreign Affairs"
    with pytest.raises(InvalidInput):
        v.free_text("!!!", "position")

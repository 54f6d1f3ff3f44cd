"""The one escaping path (bot.i18n) and the input rule behind it (validation.visible)."""

from __future__ import annotations

import pytest

from bot.emulator.entities import parse_html
from bot.i18n import Html, escape, fit, join, plain, translator
from core.accreditation.validation import native_name
from core.programme.file import parse_programme
from core.text import one_line, visible

NASTY = 'Serbia & Montenegro <SCG> "x"'


def test_arguments_are_escaped_once_and_cleaned() -> None:
    t = translator("en")
    text = t("find-none", query=NASTY + "\u202e\u200b")
    assert isinstance(text, Html)
    assert text == 'Nobody matches “Serbia &amp; Montenegro &lt;SCG&gt; "x"”.'
    assert parse_html(text)[0] == f"Nobody matches “{NASTY}”."
    label = t("bc-label-delegation", name=NASTY)
    assert parse_html(t("bc-nobody", audience=label))[0].startswith(f"Nobody in delegation {NASTY} can")
    assert t.plain("gate-set", gate=NASTY, direction=t("gate-in")) == f"Now scanning at: {NASTY}, entry"


def test_join_escapes_plain_pieces_only() -> None:
    joined = join([Html("<b>x</b>"), "a < b", escape("c & d")], " · ")
    assert joined == "<b>x</b> · a &lt; b · c &amp; d"
    assert plain(joined) == "x · a < b · c & d"


@pytest.mark.parametrize("limit", range(8, 60))
def test_fit_never_breaks_markup(limit: int) -> None:
    t = translator("en")
    source = join([t("agenda-card-title", kind=t("agenda-kind-plenary"), title=NASTY), escape("Tom & Jerry <Live>")])
    cut = fit(source, limit)
    assert len(cut) <= limit
    text, _ = parse_html(cut)  # raises if a tag or an entity was cut
    assert text.endswith("…")


def test_fit_keeps_short_text() -> None:
    assert fit(Html("<b>a &amp; b</b>"), 16) == "<b>a &amp; b</b>"


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("plain", "plain"),
        ("a\u202eb\u202ac\u2066d\u2069e\u200ef\u200fg\u061ch", "abcdefgh"),  # bidi controls
        ("a\u200bb\ufeffc\u2060d\u00ade", "abcde"),  # zero-width and soft hyphen
        ("a\x00b\x07c\x1bd\x7fe\x85f\x9fg", "abcdefg"),  # C0 and C1
        ("line\r\nnext\u2028third", "line next third"),
        ("tab\there", "tab here"),
        ("\u0639\u0644\u06cc\u200c\u0631\u0636\u0627", "\u0639\u0644\u06cc\u200c\u0631\u0636\u0627"),  # ZWNJ kept
        ("👨\u200d👩\u200d👧 \U0001fae8", "👨\u200d👩\u200d👧 \U0001fae8"),  # ZWJ emoji; an emoji newer than Python
        ("שלום עולם", "שלום עולם"),
        ("a\u00a0b", "a\u00a0b"),
    ],
)
def test_visible(typed: str, shown: str) -> None:
    assert visible(typed) == shown


def test_visible_keeps_newlines_when_asked() -> None:
    assert visible("one\r\ntwo\u202e\nthree", newlines=True) == "one\ntwo\nthree"
    assert one_line("  a \n\u202e b  ", 10) == "a b"


@pytest.mark.parametrize("name", ["علی\u200cرضا محمدی", "בסאם אל-צבאע", "بسام الصباغ"])
def test_right_to_left_names_pass(name: str) -> None:
    assert native_name(name) == name


def test_programme_texts_lose_invisible_characters() -> None:
    doc = parse_programme(
        """\
conference: {slug: x, edition: 1, name: "Conf\\u202e & <Co>", timezone: Europe/Minsk,
             first_day: 2024-10-31, last_day: 2024-10-31}
agenda:
  - {code: a, kind: plenary, day: 2024-10-31, start: "10:00", end: "11:00", title: "Q&A\\u200b <x>"}
""",
        "x.yaml",
    )
    assert doc.conference.name == {"en": "Conf & <Co>"}
    assert doc.items[0].spec.title == {"en": "Q&A <x>"}

"""The emulator reads parse_mode HTML as Telegram does, and holds the bot to the documented
escaping rules: anything else is 400 "can't parse entities" with Telegram's wording."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, InlineQueryResultArticle, InputTextMessageContent

from bot.emulator import BotAPIEmulator
from bot.emulator.entities import EntityParseError, parse_html
from tests.emulator.bots import png


@pytest.mark.parametrize(
    ("source", "text", "entities"),
    [
        ("Tom &amp; Jerry &lt;x&gt; &quot;q&quot; &#65;&#x42;", 'Tom & Jerry <x> "q" AB', []),
        ('He said "hi"', 'He said "hi"', []),
        ("<b>bold</b> <strong>s</strong>", "bold s", [("bold", 0, 4), ("bold", 5, 1)]),
        (
            "<i>i</i><em>e</em><u>u</u><ins>n</ins>",
            "ieun",
            [("italic", 0, 1), ("italic", 1, 1), ("underline", 2, 1), ("underline", 3, 1)],
        ),
        ("<s>a</s><strike>b</strike><del>c</del>", "abc", [("strikethrough", i, 1) for i in range(3)]),
        ('<tg-spoiler>a</tg-spoiler><span class="tg-spoiler">b</span>', "ab", [("spoiler", 0, 1), ("spoiler", 1, 1)]),
        ("<B>up</B> <b>x</>", "up x", [("bold", 0, 2), ("bold", 3, 1)]),  # case-insensitive; </> closes
        ("<b class=x id='y'>ok</b>", "ok", [("bold", 0, 2)]),  # other attributes are ignored
        ("<b><i>bi</i></b>", "bi", [("bold", 0, 2), ("italic", 0, 2)]),
        (
            "<blockquote expandable>q</blockquote><blockquote>r</blockquote>",
            "qr",
            [("expandable_blockquote", 0, 1), ("blockquote", 1, 1)],
        ),
        ("<b>😀x</b>", "😀x", [("bold", 0, 3)]),  # UTF-16 offsets
        ("<b></b>empty", "empty", []),  # an empty entity is dropped
    ],
)
def test_telegram_html_is_parsed(source: str, text: str, entities: list[tuple[str, int, int]]) -> None:
    got_text, got = parse_html(source)
    assert got_text == text
    assert sorted((e["type"], e["offset"], e["length"]) for e in got) == sorted(entities)


def test_links_code_and_custom_emoji() -> None:
    text, entities = parse_html(
        '<a href="https://x.org/?a=1&b=2">q</a> <a href="tg://user?id=42">u</a> '
        '<pre><code class="language-python">x=1</code></pre> <code class="language-py">c</code> '
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    assert text == "q u x=1 c 👍"
    assert entities[0] == {"type": "text_link", "url": "https://x.org/?a=1&b=2", "offset": 0, "length": 1}
    assert entities[1]["type"] == "text_mention" and entities[1]["user"]["id"] == 42
    assert entities[2] == {"type": "pre", "language": "python", "offset": 4, "length": 3}
    assert entities[3] == {"type": "code", "offset": 8, "length": 1}  # a language only inside <pre>
    assert entities[4] == {"type": "custom_emoji", "custom_emoji_id": "5368324170671202286", "offset": 10, "length": 2}


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("Serbia & Montenegro <SCG>", 'Unescaped "&" at byte offset 7'),
        ("Serbia &amp; Montenegro <SCG>", 'Unsupported start tag "scg" at byte offset 24'),
        ("Hi <Anna>", 'Unsupported start tag "anna" at byte offset 3'),
        ("Борис <b>", 'Can\'t find end tag corresponding to start tag "b"'),  # byte offsets count UTF-8
        ("Ёж <Ёж>", 'Unsupported start tag "ёж" at byte offset 5'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("a > b", 'Unescaped ">" at byte offset 2'),
        ("AT&T", 'Unescaped "&" at byte offset 2'),
        ("&amp no semicolon", 'Unescaped "&" at byte offset 0'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;" at byte offset 0'),
        ("&#0;", 'Unescaped "&" at byte offset 0'),
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("<b/>", 'Unsupported start tag "b/" at byte offset 0'),
        ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<span>s</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<b ="x">y</b>', 'Empty attribute name in the tag "b" at byte offset 0'),
        ("<b class>y</b>", 'Expected equal sign in declaration of an attribute of the tag "b" at byte offset 0'),
        ("<a href=https://x.org>y</a>", "Unexpected end of name token at byte offset 8"),
        ('<tg-emoji emoji-id="x">👍</tg-emoji>', "Invalid custom emoji identifier specified"),
    ],
)
def test_what_telegram_refuses(source: str, error: str) -> None:
    with pytest.raises(EntityParseError) as refused:
        parse_html(source)
    assert str(refused.value).startswith(error)


async def test_every_parsed_method_answers_400(emulator: BotAPIEmulator, emulator_bot: Bot) -> None:
    user = emulator.user(3101, "Vera")
    bad = "Serbia & Montenegro <SCG>"
    good = "Serbia &amp; Montenegro &lt;SCG&gt;"
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Unescaped"):
        await emulator_bot.send_message(user.id, bad, parse_mode="HTML")
    sent = await emulator_bot.send_message(user.id, f"<b>{good}</b>", parse_mode="HTML")
    assert user.last is not None and user.last.text == "Serbia & Montenegro <SCG>"
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await emulator_bot.edit_message_text(bad, chat_id=user.id, message_id=sent.message_id, parse_mode="HTML")
    await emulator_bot.send_message(user.id, bad)  # no parse mode: taken as it is
    photo = BufferedInputFile(png(), filename="p.png")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await emulator_bot.send_photo(user.id, photo, caption=bad, parse_mode="HTML")
    with_caption = await emulator_bot.send_photo(user.id, photo, caption=good, parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await emulator_bot.edit_message_caption(
            chat_id=user.id, message_id=with_caption.message_id, caption=bad, parse_mode="HTML"
        )
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await emulator_bot.send_document(
            user.id, BufferedInputFile(b"x", filename="x.txt"), caption=bad, parse_mode="HTML"
        )
    query_id = await user.inline_query("serbia")
    article = InlineQueryResultArticle(
        id="1", title=bad, input_message_content=InputTextMessageContent(message_text=bad, parse_mode="HTML")
    )  # the title is plain text; the message text is parsed
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await emulator_bot.answer_inline_query(query_id, [article])
    article.input_message_content = InputTextMessageContent(message_text=good, parse_mode="HTML")
    await emulator_bot.answer_inline_query(query_id, [article])
    emulator.assert_no_violations()

"""The vendored schema and the validators built on it, without a server."""

from __future__ import annotations

import json

from bot.emulator.api import METHODS
from bot.emulator.entities import parse_html, utf16_len
from bot.emulator.schema import SCHEMA_PATH, FilePart, Schema


def test_vendored_schema_is_small_and_versioned() -> None:
    raw = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert SCHEMA_PATH.stat().st_size < 1_000_000
    assert raw["api"]["version"] == Schema.load().version
    assert "aiogram-3.31.0" in raw["source"]


def test_every_emulated_method_is_a_bot_api_method() -> None:
    schema = Schema.load()
    for name, spec in METHODS.items():
        assert schema.canonical_method(name) == name
        if spec.returns:
            assert spec.returns.removeprefix("Array of ") in schema.types


def test_form_values_are_coerced_and_files_resolved() -> None:
    schema = Schema.load()
    part = FilePart("a.png", "image/png", b"data")
    params, errors = schema.check_params(
        "sendPhoto",
        {
            "chat_id": "-100123",
            "photo": "attach://up1",
            "disable_notification": "true",
            "reply_markup": '{"keyboard": [[{"text": "Share", "request_contact": true}]]}',
        },
        {"up1": part},
    )
    assert errors == []
    assert params["chat_id"] == -100123 and params["disable_notification"] is True
    assert params["photo"] is part
    assert params["reply_markup"]["keyboard"][0][0]["request_contact"] is True


def test_unions_pick_their_member_by_constant_field() -> None:
    schema = Schema.load()
    _, errors = schema.check_params(
        "setMyCommands",
        {"commands": [], "scope": {"type": "chat", "chat_id": 5}},
    )
    assert errors == []
    _, errors = schema.check_params("setMyCommands", {"commands": [], "scope": {"type": "room"}})
    assert len(errors) == 1 and "BotCommandScope" in errors[0]
    _, errors = schema.check_params("setMyCommands", {"commands": [], "scope": {"type": "chat"}})
    assert errors == ["\"scope\" lacks field 'chat_id' required by BotCommandScopeChat"]


def test_unreferenced_upload_is_a_violation() -> None:
    _, errors = Schema.load().check_params(
        "sendMessage", {"chat_id": 1, "text": "x"}, {"stray": FilePart("f", "x/y", b"")}
    )
    assert errors == ['uploaded file "stray" is not referenced by any parameter']


def test_html_entities_use_utf16_offsets() -> None:
    text, entities = parse_html('😀 <a href="https://x.org">link</a> <i>it</i>')
    assert text == "😀 link it"
    assert utf16_len("😀") == 2
    assert entities == [
        {"type": "text_link", "url": "https://x.org", "offset": 3, "length": 4},
        {"type": "italic", "offset": 8, "length": 2},
    ]

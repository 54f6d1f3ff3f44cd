"""The Mini App's API: initData checked as Telegram specifies, roles, board links, and a scan
through the API judged exactly as the kiosk judges it."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

import pytest
from sqlalchemy import delete, select

from bot.webapp import auth
from core.models import Presence, Scan
from tests.webapp.conftest import (
    ADMIN,
    BOT,
    DOOR,
    NOBODY,
    OFFICER,
    OTHER_TOKEN,
    SECRET,
    TOKEN,
    Served,
    init_data,
    link,
)


def test_init_data_checked_as_telegram_specifies() -> None:
    good = init_data(DOOR)
    assert auth.validate_init_data(good, TOKEN).id == DOOR
    cases = {
        "": "missing",
        good.replace("Staff", "Stuff"): "bad_signature",  # a field changed after signing
        good[:-4] + ("0000" if not good.endswith("0000") else "1111"): "bad_signature",  # forged hash
        init_data(DOOR, token=OTHER_TOKEN): "bad_signature",  # signed for another bot
        init_data(DOOR, age=auth.MAX_AGE + 5): "expired",
        init_data(DOOR, age=-(auth.CLOCK_SKEW + 60)): "expired",  # from the future
        good + "&hash=abc": "malformed",  # a field given twice
        "user=%7B%7D&auth_date=1&hash=&&": "malformed",
    }
    for data, reason in cases.items():
        with pytest.raises(auth.AuthError) as caught:
            auth.validate_init_data(data, TOKEN)
        assert caught.value.reason == reason, data
    # a user without an id is refused even when signed
    no_user = auth.sign_init_data({"auth_date": str(int(time.time())), "user": "{}"}, TOKEN)
    with pytest.raises(auth.AuthError):
        auth.validate_init_data(no_user, TOKEN)


async def test_every_call_needs_valid_init_data(served: Served) -> None:
    forged = init_data(DOOR)[:-6] + "abcdef"
    stale = init_data(DOOR, age=3601)
    other_bot = init_data(DOOR, token=OTHER_TOKEN)
    for path, method in (("api/me", "POST"), ("api/scan", "POST")):
        body = {"json": {"code": link(served.world.regs["anna"])}}
        assert (await served.call(method, path, **body))[0] == 401  # missing
        for data, reason in ((forged, "bad_signature"), (stale, "expired"), (other_bot, "bad_signature")):
            status, answer = await served.call(method, path, data=data, **body)
            assert (status, answer) == (401, {"error": "unauthorized", "reason": reason})
    async with served.http.post(served.url + "api/me", headers={"Authorization": "Bearer x"}) as response:
        assert response.status == 401
    async with served.session_factory() as s:  # nothing was scanned by any of them
        assert (await s.execute(select(Scan))).first() is None


async def test_roles_choose_views_and_refuse_the_rest(served: Served) -> None:
    status, door = await served.call("POST", "api/me", DOOR)
    assert status == 200 and door["views"] == ["scanner"] and "board_token" not in door
    assert [p["id"] for p in door["places"]] == [None, *served.world.items.values()]
    assert door["strings"]["scan"] == "Scan badges"
    status, officer = await served.call("POST", "api/me", OFFICER)
    assert status == 200 and officer["views"] == ["board"] and "places" not in officer
    status, admin = await served.call("POST", "api/me", ADMIN, data=init_data(ADMIN, language="ru"))
    assert status == 200 and admin["views"] == ["scanner", "board"] and admin["language"] == "ru"
    assert admin["strings"]["scan"] == "Сканировать бейджи"
    # a valid Telegram user without a staff role: 403 everywhere, nothing personal
    for path in ("api/me", "api/scan"):
        status, answer = await served.call("POST", path, NOBODY, json={"code": link(served.world.regs["anna"])})
        assert (status, answer) == (403, {"error": "forbidden"})
    # organisers see the board, not the door
    status, answer = await served.call("POST", "api/scan", OFFICER, json={"code": link(served.world.regs["anna"])})
    assert status == 403
    async with served.session_factory() as s:
        assert (await s.execute(select(Scan))).first() is None


async def test_board_links_are_signed_and_expire(served: Served) -> None:
    _, officer = await served.call("POST", "api/me", OFFICER)
    status, board = await served.call("GET", "api/board", params={"k": officer["board_token"]})
    assert status == 200 and board["conference"] == "minsk-2024"
    text = json.dumps(board, ensure_ascii=False)
    assert "Lavrov" not in text and "Лавров" not in text  # counts only, nobody's name
    cid = served.world.conference_id
    future = int(time.time()) + 600
    bad = {
        "": "missing",
        "garbage": "malformed",
        auth.sign_board(cid, future, OTHER_TOKEN): "bad_signature",
        auth.sign_board(cid, future, TOKEN)[:-2] + "xx": "bad_signature",
        f"{cid}.{future + 999}." + auth.sign_board(cid, future, TOKEN).split(".")[2]: "bad_signature",
        auth.sign_board(cid, int(time.time()) - 1, TOKEN): "expired",
    }
    for token, reason in bad.items():
        for path in ("api/board", "api/board/stream"):
            status, answer = await served.call("GET", path, params={"k": token})
            assert (status, answer) == (401, {"error": "unauthorized", "reason": reason}), (token, path)


async def test_board_stream_pushes_a_change(served: Served) -> None:
    token = auth.sign_board(served.world.conference_id, int(time.time()) + 600, TOKEN)
    async with served.http.get(served.url + "api/board/stream", params={"k": token}) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        first = await _next_event(response)
        assert first["inside"] == 0
        await served.scan(DOOR, link(served.world.regs["anna"]))
        while (event := await _next_event(response))["inside"] != 1:
            pass
        assert event["checked_in"] == 1


async def _next_event(response) -> dict:
    async for line in response.content:
        if line.startswith(b"data: "):
            return json.loads(line[6:])
    raise AssertionError("the stream ended")


async def test_verdicts_in_words_and_idempotent_nonce(served: Served) -> None:
    regs = served.world.regs
    ok = await served.scan(DOOR, link(regs["lavrov"]), nonce="n1")
    assert (ok["colour"], ok["headline"], ok["name"], ok["native_name"]) == (
        "green",
        "Welcome",
        "Sergey Lavrov",
        "Сергей Лавров",
    )
    assert ok["delegation"] == "Belarus" and ok["category"] == "Head of delegation" and ok["haptic"] == "success"
    again = await served.scan(DOOR, link(regs["lavrov"]), nonce="n1")  # a retried request
    assert again["verdict"]["scan_id"] == ok["verdict"]["scan_id"] and again["result"] == "ok"
    dup = await served.scan(DOOR, link(regs["lavrov"]), nonce="n2")
    assert dup["colour"] == "amber" and dup["reason"].startswith("Inside since") and "entrance" in dup["reason"]
    forged = await served.scan(DOOR, "https://t.me/x?start=b_AAAA", nonce="n3")
    assert forged["colour"] == "red" and forged["name"] is None and forged["reason"]
    pending = await served.scan(DOOR, link(regs["pending"]))
    assert pending["headline"] == "Not accredited" and "waiting for approval" in pending["reason"]
    hall = await served.scan(DOOR, link(regs["anna"]), place=served.world.items["press-only"])
    assert hall["result"] == "not_allowed" and hall["colour"] == "red"
    ru = await served.call("POST", "api/scan", DOOR, data=init_data(DOOR, language="ru"), json={"code": "junk"})
    assert ru[0] == 200 and ru[1]["reason"] == "Код не читается: отсканируйте ещё раз."
    bad = [
        {"code": 5},
        {"code": "x", "place": "1"},
        {"code": "x", "direction": "sideways"},
        {"code": "x", "nonce": "has space"},
        {"code": "x", "place": 999999},
    ]
    for body in bad:
        status, answer = await served.call("POST", "api/scan", DOOR, json=body)
        assert status == 400 and answer["error"] in ("bad_request", "unknown_place"), body


async def _kiosk(database_url: str, codes: list[str], *args: str) -> list[dict]:
    env = {**os.environ, "DATABASE_URL": database_url, "BADGE_SECRET": SECRET, "BOT_USERNAME": BOT}
    env.pop("CONFERENCE", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from bot.cli import main; main()",
        "scan",
        "--json",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await proc.communicate("\n".join(codes).encode() + b"\n")
    assert proc.returncode == 0, err.decode()
    return [json.loads(line) for line in out.decode().splitlines()]


async def _scans(served: Served) -> list[tuple]:
    async with served.session_factory() as s:
        rows = (await s.execute(select(Scan).order_by(Scan.id))).scalars().all()
        return [
            (r.registration_id, r.agenda_item_id, r.direction, r.result, r.gate, r.raw, r.badge_version) for r in rows
        ]


@pytest.mark.parametrize("place", [None, "press-only"])
async def test_a_scan_through_the_api_equals_a_scan_at_the_kiosk(served: Served, database_url: str, place) -> None:
    """The same codes, from the same state: through the API as door staff 7001, then (state
    reset) at `confdesk scan --json --staff 7001`: the same verdicts and the same stored scans."""
    regs = served.world.regs
    item = served.world.items[place] if place else None
    codes = [
        link(regs["lavrov"]),
        link(regs["lavrov"]),  # duplicate at the venue; at the hall: not allowed either way
        link(regs["marta"]),
        link(regs["pending"]),
        link(regs["anna"], version=2),  # a version never issued
        "https://t.me/confdesk_test_bot?start=b_forged-token",
        "hello",
        link(regs["free"]).split("start=")[1],  # the bare b_… payload a USB scanner may type
    ]
    via_api = [(await served.scan(DOOR, code, place=item))["verdict"] for code in codes]
    api_rows = await _scans(served)
    async with served.session_factory() as s:
        await s.execute(delete(Presence))
        await s.execute(delete(Scan))
        await s.commit()
    gate = "entrance" if item is None else "Hall A"
    args = ["--gate", gate, "--staff", str(DOOR)] + (["--session", str(item)] if item else [])
    via_kiosk = await _kiosk(database_url, codes, *args)
    kiosk_rows = await _scans(served)

    def comparable(v: dict) -> dict:
        return {k: x for k, x in v.items() if k not in ("at", "already_at", "scan_id", "replayed")}

    assert [comparable(v) for v in via_api] == [comparable(v) for v in via_kiosk]
    assert api_rows == kiosk_rows
    assert [v["result"] for v in via_api][:1] == (["ok"] if item is None else ["not_allowed"])

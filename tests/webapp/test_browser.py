"""The Mini App in a real browser: Debian's Chromium (headless, driven by Playwright's
client, no browser downloaded) loads the scanner and the board from our server, with a local
stand-in for Telegram's telegram-web-app.js that feeds scanned codes. What the pages show is
compared with `confdesk report attendance --json`. Screenshots of both views are kept in
$CONFDESK_ARTIFACTS (default: the test's tmp_path)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.webapp import auth
from core.badges import badge_link, make_token
from tests.webapp.conftest import ADMIN, DOOR, OFFICER, SECRET, TOKEN, Served, init_data, link

CHROMIUM = os.environ.get("CONFDESK_CHROMIUM", "/usr/bin/chromium")
STUB = (Path(__file__).parent / "telegram_stub.js").read_text(encoding="utf-8")
TELEGRAM_JS = "https://telegram.org/js/telegram-web-app.js"


def _missing() -> str | None:
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run installs it)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the playwright client is not installed (pip install -e '.[test]')"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("CONFDESK_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            await chromium.close()


async def _page(browser: Any, user: int | None, *, width: int, height: int) -> Any:
    """A page whose telegram-web-app.js is the stand-in (signed initData for `user`); any
    other request off loopback fails the test: the app must need nothing else from outside."""
    context = await browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    page = await context.new_page()
    outside: list[str] = []
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    async def route(r: Any) -> None:
        url = r.request.url
        if url == TELEGRAM_JS:
            body = f"window.__INIT_DATA__ = {json.dumps(init_data(user) if user else '')};\n{STUB}"
            await r.fulfill(status=200, content_type="text/javascript", body=body)
        elif url.startswith("http://127.0.0.1"):
            await r.continue_()
        else:
            outside.append(url)
            await r.abort()

    await page.route("**/*", route)
    page.outside, page.errors = outside, errors  # checked at the end of each test
    return page


async def _report(served: Served, database_url: str, *args: str) -> dict[str, Any]:
    """`confdesk report attendance --json …`, the real command in its own process."""
    env = {**os.environ, "DATABASE_URL": database_url, "BADGE_SECRET": SECRET}
    env.pop("CONFERENCE", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from bot.cli import main; main()",
        "report",
        "attendance",
        "--json",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return json.loads(out)


async def _verdict(page: Any, count: int) -> dict[str, str]:
    """Wait for the `count`-th verdict on screen; its colour and words as shown."""
    await page.wait_for_function(
        "n => ['c-ok', 'c-duplicate', 'c-refused']"
        ".reduce((s, id) => s + Number(document.getElementById(id).textContent), 0) >= n",
        arg=count,
    )
    return await page.evaluate(
        """() => {
            const box = document.getElementById('verdict');
            const text = id => document.getElementById(id).textContent;
            return {result: box.dataset.result, colour: box.className.replace('verdict ', ''),
                    headline: text('v-headline'), name: text('v-name'), who: text('v-who'), reason: text('v-reason')};
        }"""
    )


async def test_the_scanner_in_a_browser(served: Served, browser: Any, database_url: str, artifacts: Path) -> None:
    regs = served.world.regs
    page = await _page(browser, DOOR, width=420, height=860)
    await page.goto(served.url)
    await page.wait_for_selector("#scanner:not([hidden]) #scan")
    assert await page.text_content("#scan") == "Scan badges"
    assert await page.locator("#tabs").is_hidden()  # door staff: the scanner only
    await page.click("#scan")
    assert await page.evaluate("window.__tg.popupOpen")

    await page.evaluate("c => window.__feed(c)", link(regs["lavrov"]))
    first = await _verdict(page, 1)
    assert first == {
        "result": "ok",
        "colour": "green",
        "headline": "Welcome",
        "name": "Sergey Lavrov",
        "who": "Belarus · Head of delegation",
        "reason": "",
    }
    await page.evaluate("c => { window.__feed(c); window.__feed(c); }", link(regs["anna"]))  # seen twice by the camera
    assert (await _verdict(page, 2))["name"] == "Anna Petrova"
    assert await page.evaluate("window.__tg.popupOpen")  # green: the popup stays open
    forged_code = badge_link("confdesk_test_bot", make_token(b"not our secret" * 4, regs["ivan"], 1))
    await page.evaluate("c => window.__feed(c)", forged_code)
    forged = await _verdict(page, 3)
    assert forged["colour"] == "red" and forged["headline"] == "Invalid code" and "not issued by us" in forged["reason"]
    assert not await page.evaluate("window.__tg.popupOpen")  # red: closed so the door reads why
    await page.click("#scan")
    await page.evaluate("c => window.__feed(c)", link(regs["lavrov"]))
    dup = await _verdict(page, 4)
    assert dup["colour"] == "amber" and dup["headline"] == "Already inside" and "Inside since" in dup["reason"]
    await page.click("#scan")
    await page.evaluate("c => window.__feed(c)", link(regs["marta"]))
    last = await _verdict(page, 5)
    assert (last["colour"], last["name"], last["who"]) == ("green", "Marta Kovacs", "Hungary · Expert")
    counts = {k: await page.text_content(f"#c-{k}") for k in ("ok", "duplicate", "refused")}
    assert counts == {"ok": "3", "duplicate": "1", "refused": "1"}
    haptics = await page.evaluate("window.__tg.haptics")
    assert haptics == ["success", "success", "error", "warning", "success"]
    await page.screenshot(path=str(artifacts / "scanner.png"))

    report = await _report(served, database_url)
    assert report["summary"]["checked_in"] == counts_ok(counts) == 3
    present = {line["code"]: line["present"] for line in report["delegations"]["lines"]}
    assert present["BY"] == 2 and present["HU"] == 1  # Lavrov and Anna; Marta
    assert page.outside == [] and page.errors == []


def counts_ok(counts: dict[str, str]) -> int:
    return int(counts["ok"])


async def _board_numbers(page: Any) -> dict[str, Any]:
    return await page.evaluate(
        """() => {
            const num = s => Number(document.querySelector(s).textContent.replace(/[^0-9]/g, ''));
            const rows = (attr, cls, of) => Object.fromEntries([...document.querySelectorAll(`tr[data-${attr}]`)].map(
                r => [r.dataset[attr], [Number(r.querySelector('.' + cls).textContent),
                                        Number(r.querySelector('.of').textContent.replace(/[^0-9]/g, ''))]]));
            const places = Object.fromEntries([...document.querySelectorAll('tr[data-place]')].map(
                r => [r.dataset.place, Number(r.querySelector('.n').textContent)]));
            const bars = [...document.querySelectorAll('svg.chart rect')].map(r => Number(r.dataset.n));
            return {inside: num('#b-inside'), checked_in: num('#b-checked-in'), approved: num('#b-approved'),
                    delegations: rows('delegation', 'present'), categories: rows('category', 'checked'),
                    sessions: rows('session', 'scanned'), places, chart: bars.reduce((a, b) => a + b, 0),
                    bars: bars.length, heading: document.querySelector('.kpi .label').textContent};
        }"""
    )


async def test_the_board_in_a_browser(served: Served, browser: Any, database_url: str, artifacts: Path) -> None:
    regs, items = served.world.regs, served.world.items
    for key in ("lavrov", "szijjarto", "anna", "ivan", "marta", "free"):
        await served.scan(DOOR, link(regs[key]))
    await served.scan(DOOR, link(regs["pending"]))  # refused: counts nowhere
    for key in ("lavrov", "anna", "marta"):
        await served.scan(DOOR, link(regs[key]), place=items["plenary"])
    await served.scan(DOOR, link(regs["ivan"]), direction="out")

    token = auth.sign_board(served.world.conference_id, int(time.time()) + 600, TOKEN)
    page = await _page(browser, None, width=1600, height=900)
    await page.goto(f"{served.url}board?k={token}&lang=en")
    await page.wait_for_selector("#b-inside")
    shown = await _board_numbers(page)

    report = await _report(served, database_url)
    sessions = await _report(served, database_url, "--by", "session")
    days = await _report(served, database_url, "--by", "day")
    summary = report["summary"]
    assert (
        (shown["inside"], shown["checked_in"], shown["approved"])
        == (
            summary["inside"],
            summary["checked_in"],
            summary["approved"],
        )
        == (5, 6, 6)
    )
    expected_delegations = {
        (line["code"] if line["delegation_id"] is not None else "—"): [line["present"], line["accredited"]]
        for line in report["delegations"]["lines"]
        if line["accredited"] or line["present"]
    }
    assert shown["delegations"] == expected_delegations == {"BY": [3, 3], "HU": [2, 2], "—": [1, 1]}
    expected_categories = {
        c["category"]: [c["checked_in"], c["approved"]] for c in summary["by_category"] if c["approved"]
    }
    assert shown["categories"] == expected_categories
    assert shown["sessions"] == {s["code"]: [s["scanned"], s["signed_up"]] for s in sessions["sessions"]}
    assert shown["sessions"]["plenary"] == [3, 3]
    assert shown["places"] == {"venue": 2, "plenary": 3}  # Szijjártó and the expert; three in the hall
    today = next(d for d in days["days"] if d["day"] == report["day"])
    assert shown["chart"] == today["entries"] == 7 - 1  # venue entries: the pending badge was refused
    assert shown["heading"] == "Inside now"

    # it updates by itself: one more arrival reaches the screen without a reload
    await served.scan(DOOR, link(regs["ivan"]))
    await page.wait_for_function("() => document.querySelector('#b-inside').textContent === '6'")
    await page.screenshot(path=str(artifacts / "board.png"), full_page=True)

    await page.click("button[data-lang=ru]")
    await page.wait_for_function("() => document.querySelector('.kpi .label').textContent === 'Сейчас внутри'")
    assert "Беларусь" in await page.text_content("tr[data-delegation=BY]")
    await page.screenshot(path=str(artifacts / "board-ru.png"), full_page=True)
    assert page.outside == [] and page.errors == []


async def test_the_mini_app_picks_views_by_role(served: Served, browser: Any, artifacts: Path) -> None:
    officer = await _page(browser, OFFICER, width=420, height=900)
    await officer.goto(served.url)
    await officer.wait_for_selector("#board:not([hidden]) #b-inside")
    await officer.screenshot(path=str(artifacts / "miniapp-board.png"), full_page=True)
    assert await officer.locator("#scanner").is_hidden() and await officer.locator("#tabs").is_hidden()
    admin = await _page(browser, ADMIN, width=800, height=900)
    await admin.goto(served.url + "?view=board")
    await admin.wait_for_selector("#board:not([hidden]) #b-inside")
    await admin.click("#tabs button[data-view=scanner]")
    await admin.wait_for_selector("#scanner:not([hidden]) #scan")
    stranger = await _page(browser, 4242, width=420, height=600)
    await stranger.goto(served.url)
    await stranger.wait_for_selector("#message:not([hidden])")
    assert await stranger.text_content("#message") == "This page is for conference staff."
    assert await stranger.locator("#scanner").is_hidden() and await stranger.locator("#board").is_hidden()
    for page in (officer, admin, stranger):
        assert page.outside == [] and page.errors == []

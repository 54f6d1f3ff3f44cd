import asyncio
import json
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import typer
import zxingcpp
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.badges import app as badges_app
from bot.cli.scan import scan_command
from core.badges import badge_link, make_token
from core.config import get_settings
from core.db import make_engine, make_session_factory
from core.models import Category, Registration, RegistrationStatus
from tests.factories import make_conference, make_delegation, make_participant, make_registration

SECRET = "cli-secret-" + "x" * 40
BOT = "confdesk_test_bot"

cli = typer.Typer()
cli.add_typer(badges_app, name="badges")
cli.command("scan")(scan_command)
runner = CliRunner()


@pytest.fixture
def cli_env(template_db, tmp_path, monkeypatch):
    url = asyncio.run(template_db.checkout(tmp_path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("BADGE_SECRET", SECRET)
    monkeypatch.setenv("BOT_USERNAME", BOT)
    monkeypatch.delenv("CONFERENCE", raising=False)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


async def _db(url, fn):
    engine = make_engine(url)
    try:
        async with make_session_factory(engine)() as s:
            result = await fn(s)
            await s.commit()
            return result
    finally:
        await engine.dispose()


def seed(url, n=10):
    async def fn(s):
        conf = await make_conference(s)
        hu = await make_delegation(s, conf, "HU", name={"en": "Hungary"})
        ru = await make_delegation(s, conf, "RU", name={"en": "Russian Federation"})
        ids = []
        names = [("Péter Szijjártó", "Сийярто Петер", hu), ("Sergey Lavrov", "Сергей Лавров", ru)]
        for i in range(n):
            name, native, d = names[i % 2]
            p = await make_participant(s, full_name=f"{name} {i}", native_name=native)
            r = await make_registration(s, conf, p, delegation=d, category=list(Category)[i % 7])
            ids.append(r.id)
        p = await make_participant(s, full_name="Pending Person")
        await make_registration(s, conf, p, status=RegistrationStatus.PENDING)
        return ids

    return asyncio.run(_db(url, fn))


def decode_pdf(path: Path) -> list[str]:
    doc = pdfium.PdfDocument(str(path))
    try:
        found = []
        for page in doc:
            found += [b.text for b in zxingcpp.read_barcodes(page.render(scale=300 / 72).to_pil())]
        return found
    finally:
        doc.close()


def test_print_decode_and_check_in(cli_env, tmp_path):
    ids = seed(cli_env, 10)
    out = tmp_path / "badges.pdf"
    res = runner.invoke(cli, ["badges", "print", str(out), "--layout", "a4x4"])
    assert res.exit_code == 0, res.output
    assert "10 badge(s)" in res.output
    links = decode_pdf(out)
    expected = {badge_link(BOT, make_token(SECRET.encode(), i, 1)) for i in ids}
    assert set(links) == expected and len(links) == 10

    async def counts(s):
        rows = (await s.execute(select(Registration).order_by(Registration.id))).scalars().all()
        return {r.id: (r.badge_print_count, r.badge_printed_at is not None) for r in rows}

    c = asyncio.run(_db(cli_env, counts))
    assert all(c[i] == (1, True) for i in ids)
    assert sum(1 for v in c.values() if v == (0, False)) == 1  # the pending one

    # the decoded link checks in at the kiosk
    res = runner.invoke(cli, ["scan", "--gate", "Main", "--json"], input=links[0] + "\n" + links[0] + "\n")
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    assert [x["result"] for x in lines] == ["ok", "duplicate"]


def test_only_new_and_filters(cli_env, tmp_path):
    ids = seed(cli_env, 8)
    first = tmp_path / "hu.pdf"
    res = runner.invoke(cli, ["badges", "print", str(first), "--delegation", "HU", "--layout", "a6"])
    assert res.exit_code == 0, res.output
    assert len(decode_pdf(first)) == 4
    rest = tmp_path / "rest.pdf"
    res = runner.invoke(cli, ["badges", "print", str(rest), "--only-new", "--layout", "cr80"])
    assert res.exit_code == 0, res.output
    got = set(decode_pdf(rest))
    assert got == {badge_link(BOT, make_token(SECRET.encode(), i, 1)) for i in ids[1::2]}
    res = runner.invoke(cli, ["badges", "print", str(tmp_path / "none.pdf"), "--only-new"])
    assert res.exit_code == 1 and "nothing to print" in res.output
    assert not (tmp_path / "none.pdf").exists()
    res = runner.invoke(cli, ["badges", "print", str(tmp_path / "p.pdf"), "--category", "press"])
    assert res.exit_code == 0 and "1 badge(s)" in res.output


def test_reprint_mark_and_reissue(cli_env, tmp_path):
    ids = seed(cli_env, 2)
    for name in ("one.pdf", "two.pdf"):
        assert runner.invoke(cli, ["badges", "print", str(tmp_path / name), "--layout", "a6"]).exit_code == 0
    doc = pdfium.PdfDocument(str(tmp_path / "two.pdf"))
    text = doc[0].get_textpage().get_text_range()
    doc.close()
    assert "reprint 2" in text
    old = badge_link(BOT, make_token(SECRET.encode(), ids[0], 1))
    res = runner.invoke(cli, ["badges", "reissue", str(ids[0])])
    assert res.exit_code == 0 and "version 2" in res.output
    res = runner.invoke(cli, ["badges", "link", str(ids[0])])
    assert res.exit_code == 0
    assert res.stdout.strip() == badge_link(BOT, make_token(SECRET.encode(), ids[0], 2))
    res = runner.invoke(cli, ["scan", "--gate", "Main", "--json"], input=old + "\n")
    assert json.loads(res.stdout)["result"] == "revoked"
    res = runner.invoke(cli, ["badges", "print", str(tmp_path / "new.pdf"), "--only-new"])
    assert res.exit_code == 0 and "1 badge(s)" in res.output
    res = runner.invoke(cli, ["badges", "reissue", "999999"])
    assert res.exit_code == 1 and "not found" in res.output


def test_no_bot_username_refused(cli_env, tmp_path, monkeypatch):
    ids = seed(cli_env, 1)
    monkeypatch.delenv("BOT_USERNAME")
    get_settings.cache_clear()
    res = runner.invoke(cli, ["badges", "print", str(tmp_path / "x.pdf")])
    assert res.exit_code == 1
    assert "username is not known" in res.output and "BOT_USERNAME" in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "x.pdf").exists()
    res = runner.invoke(cli, ["badges", "link", str(ids[0])])
    assert res.exit_code == 1 and "BOT_USERNAME" in res.output


def _print_counts(url):
    async def counts(s):
        rows = (await s.execute(select(Registration).order_by(Registration.id))).scalars().all()
        return {r.id: r.badge_print_count for r in rows}

    return asyncio.run(_db(url, counts))


def test_delegation_is_named_one_way_and_unknown_is_an_error(cli_env, tmp_path):
    seed(cli_env, 4)
    res = runner.invoke(cli, ["badges", "print", str(tmp_path / "hu.pdf"), "--delegation", "hu", "--preview"])
    assert res.exit_code == 0 and "2 badge(s)" in res.output, res.output
    res = runner.invoke(cli, ["badges", "print", str(tmp_path / "x.pdf"), "--delegation", "Hungary", "--preview"])
    assert res.exit_code == 0 and "2 badge(s)" in res.output, res.output
    res = runner.invoke(cli, ["badges", "print", str(tmp_path / "x.pdf"), "--delegation", "XX"])
    assert res.exit_code == 1
    assert "no delegation 'XX'" in res.output and "HU" in res.output and "RU" in res.output
    assert "nothing to print" not in res.output


def test_a_preview_does_not_count_and_a_lost_badge_prints_alone(cli_env, tmp_path):
    ids = seed(cli_env, 4)
    for layout in ("a6", "a4x4", "cr80"):  # trying layouts
        res = runner.invoke(cli, ["badges", "print", str(tmp_path / f"{layout}.pdf"), "-l", layout, "--preview"])
        assert res.exit_code == 0 and "preview" in res.output, res.output
    assert set(_print_counts(cli_env).values()) == {0}

    res = runner.invoke(cli, ["badges", "reissue", str(ids[1])])
    assert res.exit_code == 0, res.output
    hint = res.output.split("with: ", 1)[1].split()
    assert hint[:3] == ["confdesk", "badges", "print"]
    res = runner.invoke(cli, [*hint[1:3], str(tmp_path / hint[3]), *hint[4:]])  # the suggested command works
    assert res.exit_code == 0 and "1 badge(s)" in res.output, res.output
    assert decode_pdf(tmp_path / hint[3]) == [badge_link(BOT, make_token(SECRET.encode(), ids[1], 2))]
    res = runner.invoke(cli, ["badges", "print", str(tmp_path / "n.pdf"), "--only", "Lavrov 3", "--only", str(ids[0])])
    assert res.exit_code == 0 and "2 badge(s)" in res.output, res.output
    assert _print_counts(cli_env)[ids[3]] == 1
    res = runner.invoke(cli, ["badges", "print", str(tmp_path / "n.pdf"), "--only", "Lavrov"])
    assert res.exit_code == 1 and "matches 2 registrations" in res.output and "give the id" in res.output


def test_a_rejected_registration_is_not_reissued(cli_env):
    seed(cli_env, 1)

    async def pending_id(s):
        return (
            await s.execute(select(Registration.id).where(Registration.status == RegistrationStatus.PENDING))
        ).scalar_one()

    res = runner.invoke(cli, ["badges", "reissue", str(asyncio.run(_db(cli_env, pending_id)))])
    assert res.exit_code == 1 and "pending" in res.output and "no badge" in res.output, res.output


def test_unwritable_output_names_the_users_file(cli_env, tmp_path):
    seed(cli_env, 1)
    out = tmp_path / "missing" / "b.pdf"
    res = runner.invoke(cli, ["badges", "print", str(out)])
    assert res.exit_code == 1 and str(out) in res.output and ".part" not in res.output, res.output
    assert "Traceback" not in res.output


def test_print_warns_naming_whose_badge_has_characters_no_font_has(cli_env, tmp_path):
    async def fn(s):
        conf = await make_conference(s)
        for name, native in (("Edappadi Palaniswami", "எடப்பாடி பழனிசாமி"), ("Wang Yi", "王毅"), ("Bassam", "بسام")):
            await make_registration(s, conf, await make_participant(s, full_name=name, native_name=native))

    asyncio.run(_db(cli_env, fn))
    out = tmp_path / "scripts.pdf"
    res = runner.invoke(cli, ["badges", "print", str(out), "--layout", "a6"])
    assert res.exit_code == 0, res.output
    assert "3 badge(s)" in res.output
    warnings = [line for line in res.output.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "Edappadi Palaniswami" in warnings[0] and "U+0BAA" in warnings[0]
    assert len(decode_pdf(out)) == 3

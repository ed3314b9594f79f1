"""The printed package as a career centre uses it: a region's booklet in Kazakh or Russian,
A4 or A5 folded, dated, with sources and a QR code to the bot; downloaded from the console or
sent in the chat; drawn again only when a page or a figure changes."""

from __future__ import annotations

import dataclasses
import io
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader

from bot.i18n import Translator
from bot.runtime import Runtime
from content import booklet
from content.package import get_package
from tests.conftest import LiveServer, eventually
from tests.console_helpers import Console, add_staff
from tests.test_conversation import Chat
from tests.test_webchat_api import bot_messages

LIB = get_package().lib
LINK = "https://t.me/qonys_test_bot?start=booklet_pavlodar"


def text_of(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def a4_kk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("booklets")
    return booklet.build(LIB, "pavlodar", "kk", "A4", folder, LINK, date(2026, 12, 7))


def test_the_booklet_carries_the_region_the_programme_safety_and_sources(a4_kk: Path) -> None:
    text = flat(text_of(a4_kk))
    for topic in LIB.topics["region"]:
        entry = LIB.entry(f"pavlodar/{topic}", "kk")
        assert entry is not None
        assert flat(entry.title)[:40] in text, f"the {topic} page is in the booklet"
    for topic in ("eligibility", "subsidies", "obligations", "kandas", "heating"):
        entry = LIB.entry(f"programme/{topic}", "kk")
        assert entry is not None and flat(entry.title)[:40] in text, topic
    assert "жаппаңыз" in text and "112" in text, "the carbon-monoxide rule, as on the page"
    assert "07.12.2026" in text, "dated"
    assert "[1] " in text and "https://" in text, "each page's sources, with their address"
    assert LINK in text, "the address under the QR code"


def test_a_region_without_kandases_gets_no_kandas_section(tmp_path: Path) -> None:
    assert "kandases" not in LIB.regions["karaganda"].receives
    path = booklet.build(LIB, "karaganda", "ru", "A4", tmp_path, None, date(2026, 12, 7))
    kandas = LIB.entry("programme/kandas", "ru")
    assert kandas is not None
    assert flat(kandas.title)[:30] not in flat(text_of(path))


def test_a5_is_two_pages_to_a_landscape_a4_sheet_in_folding_order(tmp_path: Path) -> None:
    a5 = booklet.render(LIB, "pavlodar", "ru", "A5", LINK, date(2026, 12, 7))
    pages = len(PdfReader(io.BytesIO(a5)).pages)
    sheets = PdfReader(io.BytesIO(booklet.impose(a5))).pages
    padded = pages + (-pages) % 4
    assert len(sheets) == padded // 2, "two sides per sheet, a quarter of the pages each"
    first = sheets[0]
    width, height = float(first.mediabox.width), float(first.mediabox.height)
    assert width > height and round(width) == 842 and round(height) == 595, "landscape A4"
    outer = first.extract_text()
    assert "Qonys" in outer and "· 1" in outer, "the cover on the outer side of the first sheet"
    inner = sheets[1].extract_text()
    assert "· 2" in inner, "page 2 behind the cover"


def test_an_edit_makes_a_new_booklet_and_an_unchanged_one_is_not_redrawn(tmp_path: Path) -> None:
    first = booklet.build(LIB, "pavlodar", "ru", "A4", tmp_path, None, date(2026, 12, 7))
    drawn_at = first.stat().st_mtime_ns
    again = booklet.build(LIB, "pavlodar", "ru", "A4", tmp_path, None, date(2026, 12, 8))
    assert again == first and again.stat().st_mtime_ns == drawn_at
    key = "pavlodar.quota.kandases"
    fact = dataclasses.replace(LIB.facts[key], value=1234)
    edited = dataclasses.replace(LIB, facts={**LIB.facts, key: fact})
    changed = booklet.build(edited, "pavlodar", "ru", "A4", tmp_path, None, date(2026, 12, 8))
    assert changed != first and "1 234" in text_of(changed)
    assert first.exists(), "the earlier version stays for the chats it was sent to"


def test_no_booklet_for_a_region_language_or_size_there_is_none_of(tmp_path: Path) -> None:
    for region, lang, size in (("nowhere", "kk", "A4"), ("pavlodar", "de", "A4"),
                               ("pavlodar", "kk", "A3"), ("../etc", "kk", "A4")):  # fmt: skip
        with pytest.raises(ValueError):
            booklet.build(LIB, region, lang, size, tmp_path, None)
    assert not list(tmp_path.iterdir())


async def test_the_booklet_is_sent_in_the_chat(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang="ru")
    overview = await chat.incoming(kind="action", action="r:pavlodar")
    assert Translator("ru").gettext("Printable booklet") in overview
    printed = await chat.incoming(kind="action", action="bk:pavlodar")
    assert "[document: " in printed
    found = re.search(r"\[document: [^\]]* (\S+\.pdf)\]", printed)
    assert found, printed
    path = Path(found.group(1))
    assert path.read_bytes().startswith(b"%PDF") and "Павлодар" in text_of(path)
    forged = await chat.incoming(kind="action", action="bk:../../etc")
    assert "[document: " not in forged


async def test_the_web_chat_downloads_it_and_the_console_lists_every_region(
    server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as visitor:
        await visitor.post("/api/chat/messages", json={"text": "/start"})
        await visitor.post("/api/chat/messages", json={"action": "lang:kk"})
        await visitor.post("/api/chat/messages", json={"action": "bk:pavlodar"})
        files = await eventually(lambda: _files(visitor))
        pdf = await visitor.get(files[-1]["url"])
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert "qonys-pavlodar-kk-a4" in pdf.headers["content-disposition"]
    runtime = server.app.state.runtime
    assert (await httpx.AsyncClient(base_url=server.url).get(
        "/console/booklets/pavlodar/ru/A5.pdf", follow_redirects=False
    )).status_code in (303, 401), "staff only"  # fmt: skip
    await add_staff(runtime, "asel", regions=("kostanay",))
    worker = Console(server.url)
    try:
        await worker.login("asel")
        page = await worker.get("/console/booklets")
        for region in LIB.regions.values():
            assert f"/console/booklets/{region.id}/kk/A5.pdf" in page.text
        a5 = await worker.get("/console/booklets/pavlodar/ru/A5.pdf")
        assert a5.status_code == 200 and a5.content.startswith(b"%PDF")
        sheet = PdfReader(io.BytesIO(a5.content)).pages[0]
        assert float(sheet.mediabox.width) > float(sheet.mediabox.height)
        assert (await worker.get("/console/booklets/pavlodar/ru/A3.pdf")).status_code == 404
    finally:
        await worker.aclose()


async def _files(client: httpx.AsyncClient) -> list[dict]:
    return [m["file"] for m in await bot_messages(client) if m.get("file")]


def test_the_cli_writes_booklets_for_printing(tmp_path: Path) -> None:
    qonys = Path(sys.executable).with_name("qonys")
    out = subprocess.run(
        [str(qonys), "content", "booklets", "--out", str(tmp_path / "print"),
         "--region", "kostanay", "--lang", "ru", "--size", "A4"],
        capture_output=True, text=True, check=False, timeout=120,
        env={**os.environ, "DATA_DIR": str(tmp_path)},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    (written,) = (tmp_path / "print").glob("qonys-kostanay-ru-a4-*.pdf")
    assert str(written) in out.stdout and "Костанай" in text_of(written)

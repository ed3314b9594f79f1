"""The content studio as staff use it, through the real app: an editor changes a page, sees
the problems and the previews, sends it for review; a second person publishes it and the web
chat answers with the new text at once; translations show as stale; a rollback restores the
old text; a fact change reaches every page that shows it; two editors on one page lose
nothing; editors see no one's cases; a publish under load never gives an error or a mixed
answer. Runs on SQLite and, when configured, PostgreSQL."""

from __future__ import annotations

import asyncio
import filecmp
import re
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import func, select

from bot.i18n import Translator
from bot.runtime import Runtime
from content import frontmatter
from content.loader import ROOT
from content.package import get_package, install
from storage import revisions
from storage.cases import Staff
from storage.models import (
    AuditEntry,
    Contact,
    ContentRevision,
    Message,
    StaffUser,
    UnansweredQuestion,
    utcnow,
)
from storage.revisions import Doc
from tests.conftest import LiveServer
from tests.console_helpers import Console, add_staff

PAGE = "regions/pavlodar/housing.kk.md"
FIRST_LINE = "Қоныс аударушыға: жаңа баспана туралы менің сынақ сөйлемім."


pytestmark = pytest.mark.usefixtures("package_kept")


def edited(text: str, sentence: str = FIRST_LINE) -> str:
    head, body = text[4:].split("\n---\n", 1)
    return f"---\n{head}\n---\n{sentence}\n\n{body.lstrip()}"


async def signed_in(server: LiveServer, login: str, role: str = "editor", **kw) -> Console:  # type: ignore[no-untyped-def]
    await add_staff(server.app.state.runtime, login, role, **kw)
    console = Console(server.url)
    assert (await console.login(login)).status_code == 303
    return console


async def opened(console: Console, doc: str = PAGE) -> tuple[str, str]:
    """The document's text as the edit form holds it (a page: composed from its fields)."""
    import html

    page = await console.get("/console/content/edit", params={"doc": doc})
    assert page.status_code == 200
    parent = re.search(r'name="parent" value="([^"]*)"', page.text)
    assert parent
    areas = dict(re.findall(r'<textarea id="(\w+)"[^>]*>(.*?)</textarea>', page.text, re.S))
    if "text" in areas:
        return html.unescape(areas["text"]), parent.group(1)
    inputs = dict(re.findall(r'<input id="(\w+)" name="\w+" value="([^"]*)"', page.text))
    form = {k: html.unescape(v) for k, v in {**inputs, **areas}.items()}
    return frontmatter.compose(frontmatter.from_form(form)), parent.group(1)


async def waiting_change(console: Console) -> str:
    """The id of the first change on the review page, as its approve form holds it."""
    review = await console.get("/console/content/review")
    found = re.search(r'name="id" value="(\d+)"', review.text)
    assert found, "a change waits for review"
    return found.group(1)


async def approve_waiting(console: Console) -> None:
    """A second editor publishes the change waiting for review."""
    rev_id = await waiting_change(console)
    assert (
        await console.post("/console/content/decide", {"id": rev_id, "approve": "1"})
    ).status_code == 303


async def ask(server: LiveServer, question: str) -> str:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as person:
        await person.post("/api/chat/messages", json={"text": "/start"})
        await person.post("/api/chat/messages", json={"action": "lang:kk"})
        await person.post("/api/chat/messages", json={"action": "t:pavlodar:housing"})
        got = (await person.get("/api/chat/messages")).json()["messages"]
        return "\n".join(m["text"] for m in got if m["from"] != "user")


async def test_edit_check_review_publish_stale_and_rollback(server: LiveServer) -> None:
    aigerim = await signed_in(server, "aigerim")
    text, parent = await opened(aigerim)
    assert (
        parent == "" and "Telegram" in (await aigerim.get(f"/console/content/edit?doc={PAGE}")).text
    )

    # A figure typed into the prose, without a fact and a source: refused with its line.
    bad = edited(text, "Бір бөлмелі пәтер 150 000 теңге тұрады.")
    checked = await aigerim.post("/console/content/check", {"doc": PAGE, "text": bad})
    line = next(n for n, x in enumerate(bad.splitlines(), 1) if "150 000" in x)
    assert "150 000" in checked.text
    assert Translator("ru").gettext("Line {line}", line=line) in checked.text
    refused = await aigerim.post(
        "/console/content/save", {"doc": PAGE, "text": bad, "parent": parent, "submit": "1"}
    )
    assert refused.status_code == 422
    async with server.app.state.runtime.db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(ContentRevision)) == 0

    good = edited(text)
    checked = await aigerim.post("/console/content/check", {"doc": PAGE, "text": good})
    assert "WhatsApp" in checked.text and FIRST_LINE in checked.text  # previews per channel
    form = {"doc": PAGE, "text": good, "parent": parent, "reason": "test", "submit": "1"}
    sent = await aigerim.post("/console/content/save", form)
    assert sent.status_code == 303
    assert FIRST_LINE not in await ask(server, "")  # not published yet

    # The author may not approve their own change; a second editor does.
    rev = re.search(r'name="id" value="(\d+)"', (await aigerim.get("/console/content/review")).text)
    assert rev is None  # no approve form for the author
    bolat = await signed_in(server, "bolat")
    review = await bolat.get("/console/content/review")
    rev_id = re.search(r'name="id" value="(\d+)"', review.text).group(1)  # type: ignore[union-attr]
    assert "+ " + FIRST_LINE in review.text.replace("&#34;", '"')
    forbidden = await aigerim.post("/console/content/decide", {"id": rev_id, "approve": "1"})
    assert forbidden.status_code == 403
    assert (
        await bolat.post("/console/content/decide", {"id": rev_id, "approve": "1"})
    ).status_code == 303
    assert FIRST_LINE in await ask(server, "")  # live at once, no restart

    translate = await bolat.get("/console/content/translate", params={"page": PAGE[:-6]})
    assert translate.text.count('class="state review"') == 2  # ru and en are stale
    stale_mark = f'<span class="state review">{Translator("ru").gettext("stale")}</span>'
    assert (await bolat.get("/console/content")).text.count(stale_mark) == 2  # in the tree too
    confirmed = await bolat.post("/console/content/confirm", {"doc": PAGE.replace(".kk.", ".ru.")})
    assert confirmed.status_code == 303
    translate = await bolat.get("/console/content/translate", params={"page": PAGE[:-6]})
    assert translate.text.count('class="state review"') == 1  # en still stale

    # Rollback to the shipped text: a change like any other, published after review.
    history = await bolat.get("/console/content/history", params={"doc": PAGE})
    assert "aigerim" in history.text
    assert (
        await aigerim.post("/console/content/rollback", {"doc": PAGE, "id": "0"})
    ).status_code == 303
    await approve_waiting(bolat)
    assert FIRST_LINE not in await ask(server, "")
    async with server.app.state.runtime.db.sessions() as s:
        actions = set(await s.scalars(select(AuditEntry.action)))
    assert {"content_submit", "content_published", "content_confirm", "content_rollback"} <= actions


async def test_two_editors_on_one_page_lose_nothing(server: LiveServer) -> None:
    aigerim, bolat = await signed_in(server, "aigerim"), await signed_in(server, "bolat")
    text, parent = await opened(aigerim)
    _, parent_b = await opened(bolat)
    mine = await aigerim.post(
        "/console/content/save", {"doc": PAGE, "text": edited(text), "parent": parent}
    )
    assert mine.status_code == 303
    theirs = await bolat.post(
        "/console/content/save",
        {"doc": PAGE, "text": edited(text, "Басқа сөйлем."), "parent": parent_b},
    )
    assert theirs.status_code == 409 and FIRST_LINE in theirs.text.replace("&#34;", '"')
    async with server.app.state.runtime.db.sessions() as s:
        bodies = list(await s.scalars(select(ContentRevision.body)))
    assert len(bodies) == 1 and FIRST_LINE in bodies[0]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # logic, not SQL
async def test_template_code_and_unknown_pages_are_refused(server: LiveServer) -> None:
    aigerim = await signed_in(server, "aigerim")
    text, parent = await opened(aigerim)
    evil = edited(text, "{{ lib.__class__.__mro__ }} {% for x in y %}{% endfor %}")
    r = await aigerim.post("/console/content/save", {"doc": PAGE, "text": evil, "parent": parent})
    assert r.status_code == 422 and "template code is not allowed" in r.text
    for doc in ("../bot/settings.py", "regions/pavlodar/nosuch.kk.md", "facts/kz.yaml"):
        assert (await aigerim.get("/console/content/edit", params={"doc": doc})).status_code == 404


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # logic, not SQL
async def test_a_fact_change_reaches_every_page_that_shows_it(server: LiveServer) -> None:
    key = "pavlodar.rent.flat_1room"
    aigerim, bolat = await signed_in(server, "aigerim"), await signed_in(server, "bolat")
    page = await aigerim.get("/console/content/edit", params={"doc": f"fact:{key}"})
    assert page.status_code == 200 and "regions/pavlodar/housing.kk.md" in page.text
    assert "estimate" in page.text
    spec = get_package().lib.facts[key]
    text, parent = await opened(aigerim, f"fact:{key}")
    new = re.sub(r"value: .*", "value: 123456", text, count=1)
    assert (
        await aigerim.post(
            "/console/content/save",
            {"doc": f"fact:{key}", "text": new, "parent": parent, "submit": "1"},
        )
    ).status_code == 303
    await approve_waiting(bolat)
    assert get_package().lib.facts[key].value == 123456 != spec.value
    assert "123" in await ask(server, "")  # the housing page shows the new rent


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # logic, not SQL
async def test_editors_keep_to_their_region_and_see_no_cases(server: LiveServer) -> None:
    kostanay = await signed_in(server, "kostanay_editor", regions=("kostanay",))
    assert (await kostanay.get("/console/content/edit", params={"doc": PAGE})).status_code == 403
    ok = await kostanay.get(
        "/console/content/edit", params={"doc": "regions/kostanay/housing.kk.md"}
    )
    assert ok.status_code == 200
    queue = await kostanay.get("/console")
    assert queue.status_code == 303 and queue.headers["location"] == "/console/content"
    caseworker = await signed_in(server, "case_worker", role="caseworker", regions=("pavlodar",))
    assert (await caseworker.get("/console/content")).status_code == 403


async def test_a_publish_under_load_gives_no_error_and_no_mixed_answer(server: LiveServer) -> None:
    aigerim, bolat = await signed_in(server, "aigerim"), await signed_in(server, "bolat")
    text, parent = await opened(aigerim)
    await aigerim.post(
        "/console/content/save",
        {"doc": PAGE, "text": edited(text), "parent": parent, "submit": "1"},
    )
    rev_id = await waiting_change(bolat)
    title = get_package().lib.entries[("pavlodar/housing", "kk")].title

    async def person() -> str:
        return await ask(server, "")

    publish = bolat.post("/console/content/decide", {"id": rev_id, "approve": "1"})
    answers = await asyncio.gather(*[person() for _ in range(20)], publish)
    for answer in answers[:20]:
        assert title in answer  # the page, old or new: never an error
        assert answer.count(FIRST_LINE) <= 1
    assert FIRST_LINE in await ask(server, "")


def test_one_update_is_answered_from_one_version() -> None:
    """A publish during an update's handling does not change the package it answers from."""
    from content.package import package_pinned

    with package_pinned():
        first = get_package()
        install(ROOT)  # a publish, meanwhile
        assert get_package() is first
    assert get_package() is not first


async def test_export_then_import_reproduces_the_package(
    runtime: Runtime, tmp_path: Path, database_url: str
) -> None:
    """What is published comes out as files in content/'s layout (pages byte for byte, the
    rest untouched), and going back in through `import` changes nothing."""
    await add_staff(runtime, "aigerim", "editor")
    await add_staff(runtime, "bolat", "editor")
    page_text, fact_doc = (ROOT / PAGE).read_text(encoding="utf-8"), "fact:pavlodar.rent.flat_1room"
    fact_text = revisions.shipped(Doc(fact_doc)).replace("value:", "value: 99999 #", 1)
    async with runtime.db.transaction() as s:
        users = {u.login: Staff.of(u) for u in await s.scalars(select(StaffUser))}
        for doc, body in ((PAGE, edited(page_text)), (fact_doc, fact_text)):
            row = await revisions.save(s, Doc(doc), body, users["aigerim"], None)
            await revisions.submit(s, row.id, users["aigerim"])
            await revisions.approve(s, row.id, users["bolat"], self_approval=False)
    out = tmp_path / "export"
    result = await cli(database_url, "content", "export", str(out))
    assert result.exit_code == 0, result.output
    assert (out / PAGE).read_text(encoding="utf-8") == edited(page_text)
    assert (
        yaml.safe_load((out / "facts" / "pavlodar.yaml").read_text())["rent.flat_1room"]["value"]
        == 99999
    )
    same = filecmp.cmpfiles(
        ROOT,
        out,
        ["regions/kostanay/housing.kk.md", "facts/kostanay.yaml", "topics.yaml"],
        shallow=False,
    )
    assert len(same[0]) == 3, "what was not edited is the shipped file, byte for byte"
    result = await cli(database_url, "content", "import", str(out), "--as", "aigerim")
    assert result.exit_code == 0 and "0 documents" in result.output, result.output
    (out / "regions/kostanay/housing.ru.md").write_text(
        (ROOT / "regions/kostanay/housing.ru.md").read_text() + "\nНовая строка.\n"
    )
    result = await cli(database_url, "content", "import", str(out), "--as", "aigerim")
    assert (
        "regions/kostanay/housing.ru.md" in result.output
        and "1 documents sent for review" in result.output
    )
    async with runtime.db.sessions() as s:
        assert [r.doc for r in await revisions.in_review(s)] == ["regions/kostanay/housing.ru.md"]


async def cli(database_url: str, *args: str):  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from bot.cli import main

    return await asyncio.to_thread(CliRunner().invoke, main, [*args, "--db", database_url])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # logic, not SQL
async def test_facts_and_what_is_due_for_review(server: LiveServer) -> None:
    """The registry by region with edit links, and a fact past its review-by date listed
    under its region on the dashboard."""
    key = "pavlodar.wages.offered_median"
    aigerim = await signed_in(server, "aigerim")
    listing = await aigerim.get("/console/content/facts", params={"prefix": "pavlodar"})
    assert listing.status_code == 200 and "fact%3Apavlodar.wages.offered_median" in listing.text
    assert key not in (await aigerim.get("/console/content/stale")).text
    runtime = server.app.state.runtime
    body = re.sub(
        r"review_by: .*", "review_by: '2020-01-01'", revisions.shipped(Doc(f"fact:{key}"))
    )
    async with runtime.db.transaction() as s:
        staff = Staff.of(await s.scalar(select(StaffUser).where(StaffUser.login == "aigerim")))
        row = await revisions.save(s, Doc(f"fact:{key}"), body, staff, None)
        await revisions.submit(s, row.id, staff)
        await revisions.approve(s, row.id, staff, self_approval=True)
    await runtime.content.load()
    due = await aigerim.get("/console/content/stale")
    assert key in due.text and "2020-01-01" in due.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # logic, not SQL
async def test_translators_work_from_a_csv(server: LiveServer) -> None:
    """Kazakh beside Russian, paragraph by paragraph; the file back becomes changes for
    review; a broken file or a page failing the checks changes nothing."""
    import csv
    import io

    aigerim = await signed_in(server, "aigerim")
    got = await aigerim.get(
        "/console/content/translations.csv", params={"lang": "ru", "region": "pavlodar"}
    )
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.text)))
    pages = {r["page"] for r in rows}
    assert "regions/pavlodar/housing" in pages and all(
        p.startswith("regions/pavlodar/") for p in pages
    )
    target = next(r for r in rows if r["page"] == "regions/pavlodar/housing" and r["translation"])
    target["translation"] = "Новый первый абзац для проверки перевода."

    def upload(table: list[dict[str, str]]) -> dict:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
        return {"file": ("ru.csv", out.getvalue().encode(), "text/csv")}

    async def send(files: dict) -> httpx.Response:
        form = {"csrf": aigerim.csrf, "lang": "ru"}
        return await aigerim.http.post("/console/content/translations", data=form, files=files)

    assert (await send({"file": ("x.csv", b"\xff\xfe junk", "text/csv")})).status_code == 422
    figure = [dict(r) for r in rows]
    same = (target["page"], target["paragraph"])
    for row in figure:
        if (row["page"], row["paragraph"]) == same:
            row["translation"] = "Квартира стоит 150 000 тенге."
    refused = await send(upload(figure))
    assert refused.status_code == 422 and "150 000" in refused.text
    async with server.app.state.runtime.db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(ContentRevision)) == 0
    assert (await send(upload(rows))).status_code == 303
    async with server.app.state.runtime.db.sessions() as s:
        waiting = await revisions.in_review(s)
    assert [r.doc for r in waiting] == ["regions/pavlodar/housing.ru.md"]
    assert "Новый первый абзац для проверки перевода." in waiting[0].body


async def test_an_unanswered_question_becomes_content_and_its_asker_is_told_once(
    server: LiveServer,
) -> None:
    """Questions the package missed, grouped; linked to a page (the phrasing joins the page's
    examples through review); once published, exactly the asker who asked to be told gets
    one message, in their language, with the page's button."""
    from bot.scheduler import Scheduler
    from handlers.search import TELL_ME

    runtime = server.app.state.runtime
    asked = "Павлодарда иттерді пәтерге кіргізе ме, иесі рұқсат бере ме?"

    async def person(user: str, tell: bool) -> None:
        from bot.types import Incoming

        for fields in (
            {"text": "/start"},
            {"kind": "action", "action": "lang:kk"},
            {"text": asked},
        ):
            await runtime.core.handle(Incoming(channel="terminal", user_id=user, **fields))
        if tell:
            async with runtime.db.sessions() as s:
                qid = await s.scalar(select(func.max(UnansweredQuestion.id)))
            await runtime.core.handle(Incoming(channel="terminal", user_id=user, kind="action",
                                               action=f"un:{qid}"))  # fmt: skip

    await person("dana", tell=True)
    await person("erlan", tell=False)
    async with runtime.db.sessions() as s:
        questions = list(await s.scalars(select(UnansweredQuestion)))
    assert len(questions) == 2 and [q.notify for q in questions] == [True, False]
    assert Translator("kk").gettext(TELL_ME)  # the button is in the catalog

    aigerim, bolat = await signed_in(server, "aigerim"), await signed_in(server, "bolat")
    page = await aigerim.get("/console/content/unanswered")
    assert asked in page.text and page.text.count('name="ids"') == 1 and "kk 2" in page.text
    ids = re.search(r'name="ids" value="([\d,]+)"', page.text).group(1)  # type: ignore[union-attr]
    linked = await aigerim.post(
        "/console/content/unanswered/link", {"ids": ids, "page": "regions/pavlodar/housing"}
    )
    assert linked.status_code == 303
    scheduler = Scheduler(runtime.db, runtime.settings)
    noon = utcnow().replace(hour=6)  # 12:00 in Kazakhstan: outside quiet hours
    assert await scheduler.answer_notices(noon) == 0, "not before the page is published"
    await approve_waiting(bolat)
    assert asked in get_package().lib.entries[("pavlodar/housing", "kk")].questions
    assert await scheduler.answer_notices(noon) == 1
    assert await scheduler.answer_notices(noon) == 0, "once"
    async with runtime.db.sessions() as s:
        told = list(
            await s.scalars(
                select(Message).where(Message.direction == "out", Message.text.contains(asked[:30]))
            )
        )
        contact = await s.get(Contact, told[0].contact_id)
    assert len(told) == 1 and contact.external_id == "dana"
    assert told[0].payload["buttons"][0]["action"] == "t:pavlodar:housing"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # logic, not SQL
async def test_a_new_source_is_added_reviewed_and_then_citable(server: LiveServer) -> None:
    """A source is a document like a page: filled in, checked, reviewed; once published a
    fact may name it."""
    aigerim, bolat = await signed_in(server, "aigerim"), await signed_in(server, "bolat")
    doc = "source:krisha-pavlodar-2026"
    text, parent = await opened(aigerim, doc)
    blank = await aigerim.post(
        "/console/content/save", {"doc": doc, "text": text, "parent": parent}
    )
    assert blank.status_code == 422  # the form as it comes is not a source yet
    filled = (
        'publisher: {kk: "Krisha.kz", ru: "Krisha.kz", en: "Krisha.kz"}\n'
        'title: "Аренда квартир в Павлодаре"\nurl: https://krisha.kz\ndate: "2026-11-30"\n'
    )
    form = {"doc": doc, "text": filled, "parent": parent, "submit": "1"}
    assert (await aigerim.post("/console/content/save", form)).status_code == 303
    await approve_waiting(bolat)
    assert get_package().lib.source("krisha-pavlodar-2026") is not None
    fact, parent = await opened(aigerim, "fact:pavlodar.rent.flat_1room")
    cited = re.sub(r"source: .*", "source: krisha-pavlodar-2026", fact, count=1)
    checked = await aigerim.post(
        "/console/content/check", {"doc": "fact:pavlodar.rent.flat_1room", "text": cited}
    )
    assert "is not defined" not in checked.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # logic, not SQL
async def test_the_weekly_digest_goes_once_on_monday_morning(runtime: Runtime) -> None:
    from datetime import UTC, datetime

    from bot.clock import FakeClock
    from bot.content_digest import ContentDigest

    sent: list[str] = []

    async def send(text: str) -> None:
        sent.append(text)

    clock = FakeClock(datetime(2026, 12, 7, 1, 0, tzinfo=UTC))  # Monday 06:00 in Kazakhstan (UTC+5)
    digest = ContentDigest(runtime.db, runtime.settings, send, clock)
    assert not await digest.run_once() and not sent, "not before the working morning"
    clock.current = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)  # Monday 10:00
    assert await digest.run_once() and len(sent) == 1
    assert "facts" in sent[0] or "дерек" in sent[0] or "факт" in sent[0]
    assert not await ContentDigest(runtime.db, runtime.settings, send, clock).run_once()
    clock.current = datetime(2026, 12, 8, 5, 0, tzinfo=UTC)  # Tuesday
    assert not await digest.run_once() and len(sent) == 1, "once a week, whatever restarts"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # logic, not SQL
async def test_a_checklist_is_edited_whole_and_checked_as_a_checklist(server: LiveServer) -> None:
    """A YAML file of the package (here a checklist) is edited whole: checked in a copy of
    the package with it in place (a button over 20 characters, broken YAML: refused), and
    once published the bot's checklists follow without a restart."""
    from content.procedures import get_procedures

    doc = "checklists/arrival.yaml"
    aigerim, bolat = await signed_in(server, "aigerim"), await signed_in(server, "bolat")
    assert doc in (await aigerim.get("/console/content")).text
    text, parent = await opened(aigerim, doc)
    old = get_procedures().checklists["arrival"].button.ru
    too_long = text.replace(f'ru: "{old}"', 'ru: "Очень длинная надпись на кнопке"', 1)
    assert too_long != text
    refused = await aigerim.post(
        "/console/content/save", {"doc": doc, "text": too_long, "parent": parent}
    )
    assert refused.status_code == 422 and "over 20 characters" in refused.text
    broken = await aigerim.post(
        "/console/content/save", {"doc": doc, "text": text + "\n  : [", "parent": parent}
    )
    assert broken.status_code == 422
    renamed = text.replace(f'ru: "{old}"', 'ru: "По приезде"', 1)
    form = {"doc": doc, "text": renamed, "parent": parent, "submit": "1"}
    assert (await aigerim.post("/console/content/save", form)).status_code == 303
    await approve_waiting(bolat)
    assert get_procedures().checklists["arrival"].button.ru == "По приезде"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # logic, not SQL
async def test_next_years_mci_is_added_in_the_console_and_every_amount_follows(
    server: LiveServer,
) -> None:
    """The 2027 MCI, a new fact, reviewed and published: amounts kept in MCI are shown in
    tenge of 2027 from then on."""
    aigerim, bolat = await signed_in(server, "aigerim"), await signed_in(server, "bolat")
    doc = "fact:kz.mci.2027"
    text, parent = await opened(aigerim, doc)
    assert (
        await aigerim.post("/console/content/save", {"doc": doc, "text": text, "parent": parent})
    ).status_code == 422
    spec = (  # the source would be the 2027 budget law, added first; the 2026 one here
        "value: 4500\nunit: KZT\nperiod: '2027'\nsource: budget-2026\n"
        "label: {kk: 'АЕК, 2027', ru: 'МРП, 2027', en: 'MCI, 2027'}\n"
    )
    form = {"doc": doc, "text": spec, "parent": parent, "submit": "1"}
    assert (await aigerim.post("/console/content/save", form)).status_code == 303
    await approve_waiting(bolat)
    lib = get_package().lib
    assert lib.latest_mci_year() == 2027 and lib.mci[2027][0] == 4500
    renderer = get_package().renderer
    assert renderer.year == 2027


def test_what_the_studio_may_name() -> None:
    """Pages of the package (and new ones for a topic of topics.yaml), its facts (and new ones
    in an existing file), sources, its YAML files; never a path outside content/."""
    ok = ["regions/pavlodar/housing.kk.md", "programme/steps.ru.md", "fact:kz.mci.2027",
          "fact:pavlodar.rent.flat_1room", "source:budget-2027", "checklists/arrival.yaml",
          "statuses.yaml", "questionnaire/consent.yaml"]  # fmt: skip
    refused = [
        "../bot/settings.py", "regions/pavlodar/../../bot/app.kk.md",
        "regions/nowhere/housing.kk.md", "programme/housing.kk.md",
        "regions/pavlodar/housing.de.md", "fact:nosuchfile.x", "fact:kz.../x", "source:../x",
        "facts/kz.yaml", "README.md", "questionnaire/../x.yaml",
    ]  # fmt: skip
    assert [d for d in ok if not Doc(d).valid()] == []
    assert [d for d in refused if Doc(d).valid()] == []

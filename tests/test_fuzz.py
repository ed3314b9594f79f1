"""Fuzzing every door a stranger can knock on: the Telegram and WhatsApp webhooks (with the right
secret or signature, so bodies are really parsed), the web chat API, the console's forms (signed
in, with a valid CSRF token) and the integration API. Whatever arrives, the answer is never a
5xx, and the database holds nothing half-written."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.api import new_token
from bot.app import create_app
from bot.channels.webchat import MAX_BODY, MAX_TEXT
from bot.i18n import Translator
from handlers.status import known
from storage import appointments as appts
from storage.models import (
    ApiToken,
    Application,
    Campaign,
    Contact,
    Message,
    ProcessedUpdate,
    Segment,
)
from tests.conftest import LiveServer, free_port, make_settings
from tests.console_helpers import Console, add_staff
from tests.fakes.telegram_api import FakeBotAPI
from tests.fakes.whatsapp_api import FakeGraphAPI
from tests.test_console_security import waiting_case

WA_SECRET = "app-secret-for-fuzzing"
EN = Translator("en")


async def fuzz(
    check: Callable[..., Awaitable[None]], max_examples: int, **strategies: st.SearchStrategy[Any]
) -> None:
    """Run `check` on `max_examples` drawn examples against the app already serving in this
    loop: Hypothesis drives from a worker thread, so the server keeps answering meanwhile, and
    one app serves every example (a few thousand bodies fit in well under a minute)."""
    loop = asyncio.get_running_loop()

    @settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(**strategies)
    def run(**example: Any) -> None:
        asyncio.run_coroutine_threadsafe(check(**example), loop).result(timeout=60)

    await asyncio.to_thread(run)


# ---- hostile values ----------------------------------------------------------------------

LONG = "щ" * 10_000
junk_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            LONG,
            "x" * 4097,
            "<script>alert(1)</script>",
            "{{7*7}}",
            "'; DROP TABLE contacts; --",
            "/start " + "s" * 500,
            "/start\x00",
            "/" + "a" * 300,
            "\u202e\u200b\ufeff",
            "😀" * 3000,
        ]
    ),
)
huge_int = st.one_of(
    st.integers(min_value=2**63, max_value=2**64),
    st.integers(max_value=-(2**63) - 1, min_value=-(2**64)),
    st.just(10**200),
    st.just(-(10**200)),
)
junk_value = st.one_of(
    st.none(),
    st.booleans(),
    huge_int,
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    junk_text,
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | junk_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
# Bytes that are not valid UTF-8, NUL, or a lone surrogate escape, spliced raw into an otherwise
# valid JSON body.
raw_junk = st.sampled_from(
    [b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\x00", b"\x80abc", b"\\ud800 lone surrogate"]
)
JUNK_MARK = "__raw_junk__"


def splice(body: dict[str, Any], junk: bytes | None) -> bytes:
    raw = json.dumps(body).encode()
    return raw.replace(JUNK_MARK.encode(), junk) if junk is not None else raw


def mutate(draw: st.DrawFn, body: dict[str, Any], paths: list[tuple[Any, ...]]) -> None:
    """Break a few fields of a plausible body: leave them out or give them a hostile value.
    A path is keys of dicts and indices of lists; one that an earlier break cut is skipped."""
    for path in draw(st.lists(st.sampled_from(paths), max_size=3, unique=True)):
        parent: Any = body
        for key in path[:-1]:
            try:
                parent = parent[key]
            except (KeyError, IndexError, TypeError):
                parent = None
                break
        key = path[-1]
        if isinstance(parent, list) and isinstance(key, int) and parent:
            key = min(key, len(parent) - 1)
        elif not isinstance(parent, dict) or not isinstance(key, str):
            continue
        if draw(st.booleans()) and isinstance(parent, dict):
            parent.pop(key, None)
        else:
            parent[key] = draw(junk_value)


def text_with_junk() -> st.SearchStrategy[str]:
    return st.one_of(junk_text, st.just(JUNK_MARK))


async def no_half_records(app: Any, channel: str) -> None:
    """Every contact has its identity and a first message; every stored text fits the limit
    and holds no NUL; an update id is recorded only with the message it brought."""
    runtime = app.state.runtime
    limit = runtime.settings.max_message_chars
    async with runtime.db.sessions() as s:
        contacts = list(await s.scalars(select(Contact).where(Contact.channel == channel)))
        for c in contacts:
            assert c.external_id and len(c.external_id) <= 160, c.external_id
            assert "\x00" not in (c.display_name or "")
            inbound = await s.scalar(
                select(func.count()).where(Message.contact_id == c.id, Message.direction == "in")
            )
            assert inbound, f"contact {c.id} was stored without the message that made it"
        texts = await s.scalars(
            select(Message.text).where(Message.channel == channel, Message.direction == "in")
        )
        for text in texts:
            assert text is None or (len(text) <= limit and "\x00" not in text)
        if channel == "web":
            return  # the web chat has no platform update ids
        updates = await s.scalar(
            select(func.count())
            .select_from(ProcessedUpdate)
            .where(ProcessedUpdate.channel == channel)
        )
        inbound_all = await s.scalar(
            select(func.count()).where(Message.channel == channel, Message.direction == "in")
        )
        assert updates == inbound_all, "an update was recorded without its message, or twice"


@contextlib.asynccontextmanager
async def client(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """One keep-alive client per app, at `live.http`: a connection per request would cost more
    than the request."""
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        live.http = http  # type: ignore[attr-defined]
        yield http


# ---- Telegram -----------------------------------------------------------------------------


@pytest.fixture
async def telegram(tmp_path: Path, database_url: str) -> AsyncIterator[tuple[LiveServer, str]]:
    async with FakeBotAPI() as fake:
        port = free_port()
        app = create_app(
            make_settings(
                tmp_path,
                database_url,
                telegram_bot_token=fake.token,
                telegram_api_base=fake.base_url,
                public_url=f"http://127.0.0.1:{port}",
                telegram_rate_per_chat=1000.0,
                send_timeout=2.0,
            )
        )
        async with LiveServer(app, port=port) as live, client(live):
            await fake.wait_for_calls("setWebhook")
            yield live, fake.webhook_secret_token


@st.composite
def telegram_updates(draw: st.DrawFn) -> tuple[dict[str, Any], bytes | None]:
    """A message or a button press that looks like Telegram's, with hostile values inside."""
    uid = draw(st.integers(min_value=1, max_value=2**40))
    person = {
        "id": uid,
        "is_bot": False,
        "first_name": draw(text_with_junk()),
        "language_code": draw(st.sampled_from(["ru", "kk", "en", "xx-YY", ""])),
    }
    if draw(st.booleans()):
        message = {
            "message_id": draw(st.integers(min_value=1, max_value=2**31)),
            "date": 1_760_000_000,
            "chat": {"id": uid, "type": "private"},
            "from": person,
            "text": draw(text_with_junk()),
        }
        event, kind = {"message": message}, "message"
        keys = ["message_id", "date", "chat", "from", "text"]
    else:
        press = {
            "id": draw(st.text(max_size=20)),
            "from": person,
            "chat_instance": "1",
            "data": draw(text_with_junk() | st.sampled_from(["lang:ru", "menu", "nw:1", "sb:x"])),
        }
        event, kind = {"callback_query": press}, "callback_query"
        keys = ["id", "from", "chat_instance", "data"]
    update = {"update_id": draw(st.integers(min_value=1, max_value=2**31)), **event}
    paths = [("update_id",), *[(kind, k) for k in keys]]
    paths += [(kind, "from", k) for k in person] + [(kind, "chat", k) for k in ("id", "type")]
    mutate(draw, update, paths)
    return update, draw(st.none() | raw_junk)


async def post_telegram(live: LiveServer, secret: str, body: bytes) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret, "content-type": "application/json"}
    r = await live.http.post("/webhooks/telegram", content=body, headers=headers)
    assert r.status_code < 500, (r.status_code, body[:300])
    return r.status_code


async def test_telegram_webhook_survives_random_json(telegram) -> None:  # type: ignore[no-untyped-def]
    live, secret = telegram

    async def check(body: Any) -> None:
        await post_telegram(live, secret, json.dumps(body).encode())

    await fuzz(check, 250, body=json_values)
    await no_half_records(live.app, "telegram")


async def test_telegram_webhook_survives_hostile_updates(telegram) -> None:  # type: ignore[no-untyped-def]
    live, secret = telegram
    accepted = 0

    async def check(update: tuple[dict[str, Any], bytes | None]) -> None:
        nonlocal accepted
        accepted += await post_telegram(live, secret, splice(*update)) == 200

    await fuzz(check, 300, update=telegram_updates())
    assert accepted > 20, "the fuzzer should also reach the conversation, not only the parser"
    await no_half_records(live.app, "telegram")


# ---- WhatsApp -----------------------------------------------------------------------------


@pytest.fixture
async def whatsapp(tmp_path: Path, database_url: str) -> AsyncIterator[LiveServer]:
    async with FakeGraphAPI(token="fuzz-token") as fake:
        app = create_app(
            make_settings(
                tmp_path,
                database_url,
                whatsapp_phone_number_id=fake.phone_id,
                whatsapp_access_token=fake.token,
                whatsapp_app_secret=WA_SECRET,
                whatsapp_verify_token="verify",
                whatsapp_api_base=fake.base_url,
                whatsapp_rate_per_recipient=1000.0,
            )
        )
        async with LiveServer(app) as live, client(live):
            yield live


WA_CONTENT: dict[str, st.SearchStrategy[Any]] = {
    "text": st.fixed_dictionaries({"body": text_with_junk()}),
    "interactive": st.fixed_dictionaries(
        {
            "type": st.just("button_reply"),
            "button_reply": st.fixed_dictionaries(
                {"id": text_with_junk() | st.just("lang:ru"), "title": junk_text}
            ),
        }
    ),
    "button": st.fixed_dictionaries({"text": text_with_junk()}),
    "audio": st.fixed_dictionaries({"id": junk_text, "voice": st.booleans()}),
    "image": st.fixed_dictionaries(
        {"id": junk_text, "mime_type": junk_text, "caption": text_with_junk()}
    ),
    "document": st.fixed_dictionaries(
        {"id": junk_text, "filename": junk_text, "mime_type": st.just("application/pdf")}
    ),
    "location": st.fixed_dictionaries(
        {"latitude": st.floats(allow_nan=False), "longitude": st.floats(allow_nan=False)}
    ),
    "contacts": st.just([{"phones": [{"wa_id": "77011234567"}]}]),
    "reaction": st.just({"message_id": "wamid.x", "emoji": "👍"}),
    "unknown": junk_value,
}


@st.composite
def whatsapp_payloads(draw: st.DrawFn) -> tuple[dict[str, Any], bytes | None]:
    """A messages webhook as Meta sends it, with hostile values and shapes inside."""
    wa_id = draw(st.sampled_from(["77011234567", "77019876543"]) | junk_text)
    kind = draw(st.sampled_from(sorted(WA_CONTENT)))
    message = {
        "from": wa_id,
        "id": draw(st.text(min_size=1, max_size=30) | junk_text),
        "timestamp": "1760000000",
        "type": kind,
        kind: draw(WA_CONTENT[kind]),
    }
    person = {"profile": {"name": draw(text_with_junk())}, "wa_id": wa_id}
    value = {"messaging_product": "whatsapp", "contacts": [person], "messages": [message]}
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }
    change = ("entry", 0, "changes", 0)
    paths: list[tuple[Any, ...]] = [("entry",), ("entry", 0), (*change[:3],), change]
    paths += [(*change, "value"), (*change, "value", "contacts"), (*change, "value", "messages")]
    paths += [(*change, "value", "contacts", 0, k) for k in ("profile", "wa_id")]
    paths += [(*change, "value", "contacts", 0, "profile", "name")]
    paths += [(*change, "value", "messages", 0, k) for k in (*message, "context")]
    mutate(draw, payload, paths)
    return payload, draw(st.none() | raw_junk)


async def post_whatsapp(live: LiveServer, body: bytes) -> int:
    headers = {"X-Hub-Signature-256": FakeGraphAPI.sign(body, WA_SECRET)}
    r = await live.http.post("/webhooks/whatsapp", content=body, headers=headers)
    assert r.status_code < 500, (r.status_code, body[:300])
    return r.status_code


async def test_whatsapp_webhook_survives_random_json(whatsapp: LiveServer) -> None:
    async def check(body: Any) -> None:
        await post_whatsapp(whatsapp, json.dumps(body).encode())

    await fuzz(check, 200, body=json_values)
    await no_half_records(whatsapp.app, "whatsapp")


async def test_whatsapp_webhook_survives_hostile_messages(whatsapp: LiveServer) -> None:
    accepted = 0

    async def check(payload: tuple[dict[str, Any], bytes | None]) -> None:
        nonlocal accepted
        accepted += await post_whatsapp(whatsapp, splice(*payload)) == 200

    await fuzz(check, 300, payload=whatsapp_payloads())
    assert accepted > 20, "the fuzzer should also reach the conversation, not only the parser"
    await no_half_records(whatsapp.app, "whatsapp")


# ---- web chat ------------------------------------------------------------------------------

JSON = {"content-type": "application/json"}


@pytest.fixture
async def web(tmp_path: Path, database_url: str) -> AsyncIterator[LiveServer]:
    # Hundreds of cookie-less strangers a minute: the limits have their own tests.
    settings = make_settings(
        tmp_path,
        database_url,
        webchat_new_visitors_per_minute=100_000,
        webchat_messages_per_minute=100_000,
        webchat_address_messages_per_minute=100_000,
    )
    async with LiveServer(create_app(settings)) as live, client(live):
        yield live


query_values = st.one_of(
    st.integers().map(str),
    huge_int.map(str),
    st.just("9" * 400),
    st.text(max_size=20),
    st.sampled_from(["-1", "1e9", "0x10", "１２", "²", " 5", "NaN"]),
)
web_bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {"text": text_with_junk() | junk_value, "action": junk_value | st.just("menu")}
    ).map(lambda d: json.dumps(d).encode()),
    st.binary(max_size=200),
    st.builds(lambda junk: b'{"text": "' + junk + b'"}', raw_junk),
    st.just(b'{"text": "' + b"a" * 40_000 + b'"}'),
)


@st.composite
def web_requests(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    """A request to one of the web chat's endpoints with junk where a stranger could put it."""
    kind = draw(st.sampled_from(["post", "post", "history", "file"]))
    headers = {"accept-language": draw(st.sampled_from(["en", "ru-RU,ru;q=0.9", "xx", "", ";;;"]))}
    if draw(st.booleans()):
        headers["content-type"] = draw(
            st.sampled_from(["application/json", "text/plain", "multipart/form-data"])
        )
    if kind == "post":
        return "POST", "/api/chat/messages", {"content": draw(web_bodies), "headers": headers}
    if kind == "history":
        return "GET", "/api/chat/messages", {"params": {"after": draw(query_values)}}
    return "GET", f"/api/chat/files/{quote(draw(query_values), safe='')}", {"headers": headers}


async def test_web_chat_api_survives_random_requests(web: LiveServer) -> None:
    async def check(request: tuple[str, str, dict[str, Any]]) -> None:
        method, path, kw = request
        r = await web.http.request(method, path, **kw)
        assert r.status_code < 500, (r.status_code, method, path, kw)
        if method == "POST" and r.status_code >= 400:
            assert r.json()["error"], "a refusal says why"

    await fuzz(check, 400, request=web_requests())
    await no_half_records(web.app, "web")


async def test_long_and_binary_messages_get_a_clear_answer(web: LiveServer) -> None:
    limit = web.app.state.runtime.settings.max_message_chars
    too_long = EN.gettext(
        "Your message is too long for me. Please write it in under {limit} characters."
    ).format(limit=limit)

    async def check(size: int, fill: str, junk: bytes) -> None:
        async with httpx.AsyncClient(base_url=web.url, headers={"accept-language": "en"}) as c:
            await c.post("/api/chat/messages", json={"action": "lang:en"})
            before = (await c.get("/api/chat/messages")).json()["messages"]
            body = json.dumps({"text": fill * size}, ensure_ascii=False).encode()
            r = await c.post("/api/chat/messages", content=body, headers=JSON)
            said = (await c.get("/api/chat/messages")).json()["messages"]
            if len(body) > MAX_BODY or len(fill) * size > MAX_TEXT:  # refused whole, saying why
                assert r.status_code == 413 and r.json()["error"] and said == before
            else:
                assert r.status_code == 202
                assert len(said[-2]["text"]) == limit, "what is kept of a long message is bounded"
                assert said[-1]["text"] == too_long
            r = await c.post(
                "/api/chat/messages", content=b'{"text": "' + junk + b'"}', headers=JSON
            )
            assert r.status_code == 400 and r.json()["error"]
            assert len((await c.get("/api/chat/messages")).json()["messages"]) == len(said)

    await fuzz(
        check,
        15,
        size=st.integers(min_value=limit + 1, max_value=10_000),
        fill=st.sampled_from(["ә", "a", "😀", "<b>", "a\x00"]),
        junk=raw_junk,
    )


# ---- console forms -------------------------------------------------------------------------

REGION = "kostanay"
form_text = st.one_of(junk_text, query_values, st.sampled_from(["", "ok name", "\x00", "a\x00b"]))


def form_of(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Some of these fields (each a plausible value or junk), plus one nobody expects."""
    return st.fixed_dictionaries(
        {}, optional={k: v | form_text for k, v in fields.items()} | {"junk": form_text}
    )


CONSOLE_FORMS: dict[str, tuple[str, st.SearchStrategy[dict[str, Any]]]] = {
    "segment": (
        "/console/segments",
        form_of(
            name=st.just("Women of the north"),
            id=query_values,
            gender=st.lists(st.sampled_from(["female", "male"]) | junk_text, max_size=3),
            language=st.lists(st.sampled_from(["kk", "ru"]) | junk_text, max_size=3),
            active_days=query_values,
        ),
    ),
    "segment_size": ("/console/segments/size", form_of(active_days=query_values)),
    "campaign": (
        "/console/campaigns",
        form_of(
            name=st.just("Spring news"),
            topic=st.sampled_from(["women", "youth", "programme"]),
            text_ru=junk_text,
            text_kk=st.just("Сәлем"),
            wa_template=junk_text,
            segment_id=query_values | st.just("1"),
            id=query_values,
            buttons=st.lists(junk_text | st.just("menu"), max_size=3),
        ),
    ),
    "schedule": (
        "/console/campaigns/1/schedule",
        form_of(at=st.sampled_from(["9999-12-31T23:59", "0001-01-01T00:00", "2026-13-01"])),
    ),
    "move": ("/console/campaigns/1/pause", form_of()),
    "canned": (
        "/console/canned",
        form_of(
            locale=st.sampled_from(["ru", "kk"]), title=junk_text, text=junk_text, id=query_values
        ),
    ),
    "link": ("/console/links", form_of(code=junk_text, label=junk_text)),
    "reply": ("/console/cases/1/reply", form_of(text=junk_text)),
    "note": ("/console/cases/1/note", form_of(text=junk_text)),
    "assign": ("/console/cases/1/assign", form_of(to=query_values)),
    "close": ("/console/cases/1/close", form_of(outcome=st.sampled_from(["answered", "other"]))),
    "status": (
        "/console/applications/KS-1/status",
        form_of(status=junk_text | st.just("review"), status_date=query_values),
    ),
    "slots": (
        "/console/slots",
        form_of(
            office=st.just("ks-centre"),
            date_from=st.dates().map(str) | st.sampled_from(["9999-12-01", "0001-01-01"]),
            date_to=st.dates().map(str) | st.sampled_from(["9999-12-31", "0001-01-31"]),
            first=st.times().map(str),
            last=st.times().map(str),
            every_minutes=query_values,
            minutes=query_values,
            service=junk_text | st.just("x" * 40),
        ),
    ),
    "locale": (
        "/console/locale",
        form_of(locale=st.sampled_from(["ru", "kk", "en"]), next=junk_text),
    ),
}


@pytest.fixture
async def console(tmp_path: Path, database_url: str) -> AsyncIterator[tuple[LiveServer, Console]]:
    async with LiveServer(create_app(make_settings(tmp_path, database_url))) as live:
        runtime = live.app.state.runtime
        await add_staff(runtime, "boss", role="admin")
        case_id = await waiting_case(runtime, REGION)
        assert case_id == 1
        async with runtime.db.transaction() as s:
            await appts.save_office(
                s,
                appts.OfficeIn(
                    id="ks-centre", region=REGION, name={"ru": "Центр"}, address={"ru": "ул."},
                    services=["any"],
                ),
            )  # fmt: skip
            s.add(
                Application(
                    number="KS-1", programme="resettler", region=REGION, status="received",
                    status_date=date(2026, 11, 2),
                )
            )  # fmt: skip
        staff = Console(live.url)
        assert (await staff.login("boss")).status_code == 303
        yield live, staff
        await staff.aclose()


# Pages whose address carries something typed: (path with {} for a junk value, query name).
CONSOLE_PAGES = [
    ("/console/applications", "number"),
    ("/console/links/{}/web.png", None),
    ("/console/cases/{}", None),
    ("/console/segments/{}", None),
    ("/console/campaigns/new", "segment"),
    ("/console", "view"),
]
console_posts = st.sampled_from(sorted(CONSOLE_FORMS)).flatmap(
    lambda form: st.tuples(st.just(form), CONSOLE_FORMS[form][1], st.booleans())
)


async def test_console_forms_survive_random_fields(console) -> None:  # type: ignore[no-untyped-def]
    live, staff = console

    async def check(post: tuple[str, dict[str, Any], bool]) -> None:
        form, fields, as_file = post
        path = CONSOLE_FORMS[form][0]
        files = None
        if as_file and fields:  # one field sent as an uploaded file (multipart)
            name = sorted(fields)[0]
            files = {name: ("x.csv", str(fields.pop(name)).encode(), "text/csv")}
        r = await staff.post(path, fields, files=files)
        assert r.status_code < 500, (r.status_code, path, fields, r.text[:300])
        assert r.status_code != 403, "the CSRF token stays valid"

    async def look(page: tuple[str, str | None], value: str) -> None:
        path, param = page
        if param is None:
            r = await staff.get(path.format(quote(value, safe="")))
        else:
            r = await staff.get(path, params={param: value})
        assert r.status_code < 500, (r.status_code, path, value)

    await fuzz(check, 400, post=console_posts)
    await fuzz(look, 150, page=st.sampled_from(CONSOLE_PAGES), value=form_text)
    # Whatever was saved, every page that shows it still opens.
    runtime = live.app.state.runtime
    async with runtime.db.sessions() as s:
        segment_ids = list(await s.scalars(select(Segment.id)))
        campaign_ids = list(await s.scalars(select(Campaign.id)))
    pages = ["/console", "/console/campaigns", "/console/canned", "/console/links"]
    pages += ["/console/slots", "/console/staff", "/console/cases/1", "/console/audit"]
    pages += ["/console/applications?number=KS-1"]
    pages += [f"/console/segments/{i}" for i in segment_ids]
    pages += [f"/console/campaigns/{i}" for i in campaign_ids]
    for page in pages:
        r = await staff.get(page)
        assert r.status_code == 200, (page, r.status_code)


# ---- integration API -----------------------------------------------------------------------

RULES = known()
row_fields = {
    "application_no": st.from_regex(r"\A[A-Z]{2}-[0-9]{1,6}\Z") | junk_text,
    "programme": st.sampled_from(sorted(RULES.statuses)),
    "region": st.sampled_from(sorted(RULES.regions)),
    "status": st.sampled_from(sorted(RULES.statuses["resettler"])),
    "status_date": st.dates().map(str),
    "birth_date": st.dates().map(str),
    "phone": st.sampled_from(["+7 701 111 22 33", "+7" + "0" * 30]),
    "iin": st.sampled_from(["900425300001", "1" * 12]),
}
api_rows = st.fixed_dictionaries({}, optional={k: v | junk_value for k, v in row_fields.items()})
office_bodies = st.fixed_dictionaries(
    {
        "id": st.just("fz-office"),
        "region": st.sampled_from(sorted(RULES.regions)) | junk_text,
        "name": st.dictionaries(st.sampled_from(["ru", "kk"]), junk_text, max_size=2),
        "address": st.dictionaries(st.sampled_from(["ru", "kk"]), junk_text, max_size=2),
        "services": st.lists(junk_text, max_size=3),
    },
    optional={
        "kind": junk_value,
        "latitude": st.floats() | junk_value,
        "avg_wait_days": st.floats() | junk_value,
        "avg_wait_as_of": st.dates().map(str),
        "hours": junk_value,
    },
)
slot_plans = st.fixed_dictionaries(
    {
        "date_from": st.dates().map(str) | st.sampled_from(["9999-12-01", "0001-01-01"]),
        "date_to": st.dates().map(str) | st.sampled_from(["9999-12-31", "0001-01-31"]),
    },
    optional={
        "first": st.times().map(str) | st.just("00:00"),
        "last": st.times().map(str),
        "every_minutes": junk_value | st.integers(5, 240),
        "minutes": junk_value,
        "service": junk_text | st.just("x" * 40),
    },
)


@st.composite
def api_calls(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    """A call an integration could make, with hostile payloads and parameters."""
    call = draw(st.sampled_from(["rows", "rows", "junk", "get", "office", "slots", "day"]))
    if call == "rows":
        return (
            "POST",
            "/api/v1/applications",
            {"json": {"rows": draw(st.lists(api_rows, max_size=4))}},
        )
    if call == "junk":
        return "POST", "/api/v1/applications", {"content": draw(web_bodies)}
    if call == "get":
        return "GET", f"/api/v1/applications/{quote(draw(junk_text), safe='')}", {}
    if call == "office":
        return "PUT", "/api/v1/offices/fz-office", {"content": json.dumps(draw(office_bodies))}
    if call == "slots":
        return "POST", "/api/v1/offices/fz-office/slots", {"json": draw(slot_plans)}
    day = draw(st.dates().map(str) | query_values)
    return "GET", "/api/v1/offices/fz-office/slots", {"params": {"day": day}}


async def test_integration_api_survives_random_payloads(web: LiveServer) -> None:
    token, digest = new_token()
    async with web.app.state.runtime.db.transaction() as s:
        s.add(ApiToken(name="fuzz", token_hash=digest, regions=["*"]))
    auth = {"Authorization": f"Bearer {token}"}
    await web.http.put(
        "/api/v1/offices/fz-office",
        headers=auth,
        json={"id": "fz-office", "region": "kostanay", "name": {}, "address": {}, "services": []},
    )

    async def check(call: tuple[str, str, dict[str, Any]]) -> None:
        method, path, kw = call
        r = await web.http.request(method, path, headers=auth, **kw)
        assert r.status_code < 500, (r.status_code, method, path, kw, r.text[:300])

    await fuzz(check, 400, call=api_calls())
    async with web.app.state.runtime.db.sessions() as s:
        for app in await s.scalars(select(Application)):  # only whole, valid rows were kept
            assert app.programme in RULES.statuses and app.region in RULES.regions
            assert app.status in RULES.statuses[app.programme]

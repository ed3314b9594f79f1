"""FakeGraphAPI must look like the WhatsApp Cloud API to a real ``pywa_async.WhatsApp``."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from aiohttp import web
from pywa import errors
from pywa_async import WhatsApp, types
from pywa_async.types.templates import TemplateLanguage

from tests.fakes.whatsapp_api import FakeGraphAPI, rewrite_transport

USER = "77011234567"
APP_SECRET = "qonys-app-secret"
VERIFY_TOKEN = "qonys-verify-token"
PNG = b"\x89PNG\r\n\x1a\nfake-png-data"


MakeClient = Callable[..., WhatsApp]


@pytest.fixture
async def fake() -> AsyncIterator[FakeGraphAPI]:
    async with FakeGraphAPI() as api:
        yield api


@pytest.fixture
async def make_client(fake: FakeGraphAPI) -> AsyncIterator[MakeClient]:
    """Build ``pywa_async.WhatsApp`` clients whose requests go to the fake."""
    sessions: list[httpx.AsyncClient] = []

    def build(*, timeout: float = 5.0, **options: Any) -> WhatsApp:
        session = httpx.AsyncClient(transport=rewrite_transport(fake.base_url), timeout=timeout)
        sessions.append(session)
        return WhatsApp(
            **{"phone_id": fake.phone_id, "token": fake.token, **options}, session=session
        )

    yield build
    for session in sessions:
        await session.aclose()


@pytest.fixture
def wa(make_client: MakeClient) -> WhatsApp:
    return make_client()


class Receiver:
    """A webhook endpoint written the way our channel does it: pywa in manual mode."""

    def __init__(self, make_client: MakeClient) -> None:
        self.wa = make_client(verify_token=VERIFY_TOKEN, app_secret=APP_SECRET)
        self.updates: list[Any] = []
        for register in (
            self.wa.on_message,
            self.wa.on_callback_button,
            self.wa.on_callback_selection,
            self.wa.on_message_status,
        ):
            register()(self._collect)
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _collect(self, _: WhatsApp, update: Any) -> None:
        self.updates.append(update)

    async def _get(self, request: web.Request) -> web.Response:
        text, status = await self.wa.webhook_challenge_handler(
            vt=request.query.get("hub.verify_token"), ch=request.query.get("hub.challenge")
        )
        return web.Response(text=text, status=status)

    async def _post(self, request: web.Request) -> web.Response:
        raw = await request.read()
        signature = request.headers.get("X-Hub-Signature-256")
        rejected = await self.wa.webhook_update_validator(update=raw, hmac_header=signature)
        if rejected:
            return web.Response(text=rejected[0], status=rejected[1])
        text, status = await self.wa.webhook_update_handler(update=raw)
        return web.Response(text=text, status=status)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/wa", self._get)
        app.router.add_post("/wa", self._post)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}/wa"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def receiver(make_client: MakeClient) -> AsyncIterator[Receiver]:
    rx = Receiver(make_client)
    await rx.start()
    yield rx
    await rx.stop()


async def deliver(fake: FakeGraphAPI, rx: Receiver, payload: dict[str, Any]) -> Any:
    status, body = await fake.post_webhook(rx.url, payload, app_secret=APP_SECRET)
    assert (status, body) == (200, "ok")
    assert rx.updates, "pywa did not turn the payload into a typed update"
    return rx.updates.pop()


# --------------------------------------------------------------------------- sending


async def test_send_text(fake: FakeGraphAPI, wa: WhatsApp) -> None:
    fake.open_window(USER)
    sent = await wa.send_message(USER, "Сәлем! Қалайсыз?")
    [payload] = fake.sent(USER)
    assert payload["text"]["body"] == "Сәлем! Қалайсыз?"
    assert sent.id == payload["wamid"] and sent.id.startswith("wamid.")
    assert sent.chat.id == USER
    path, body = fake.requests[-1]
    assert re.fullmatch(rf"/v\d+\.\d+/{fake.phone_id}/messages", path)
    assert body["messaging_product"] == "whatsapp" and body["to"] == USER


async def test_any_version_prefix_is_served(fake: FakeGraphAPI, make_client: MakeClient) -> None:
    client = make_client(api_version="21.0")
    fake.open_window(USER)
    await client.send_message(USER, "hi")
    assert fake.requests[-1][0] == f"/v21.0/{fake.phone_id}/messages"


async def test_send_three_reply_buttons(fake: FakeGraphAPI, wa: WhatsApp) -> None:
    fake.open_window(USER)
    buttons = [types.Button(title=f"Нұсқа {i}", callback_data=f"opt:{i}") for i in range(3)]
    await wa.send_message(USER, "Таңдаңыз", header="Qonys", footer="Сұрақ", buttons=buttons)
    interactive = fake.sent(USER)[0]["interactive"]
    assert interactive["type"] == "button"
    assert [b["reply"]["id"] for b in interactive["action"]["buttons"]] == [
        "opt:0",
        "opt:1",
        "opt:2",
    ]


async def test_send_list_with_ten_rows(fake: FakeGraphAPI, wa: WhatsApp) -> None:
    fake.open_window(USER)
    sections = [
        types.Section(
            title=f"Бөлім {s}",
            rows=[
                types.SectionRow(title=f"Жол {s}{r}", callback_data=f"row:{s}{r}", description="d")
                for r in range(5)
            ],
        )
        for s in range(2)
    ]
    await wa.send_message(USER, "Тізім", buttons=types.SectionList("Ашу", sections=sections))
    action = fake.sent(USER)[0]["interactive"]["action"]
    assert sum(len(section["rows"]) for section in action["sections"]) == 10


async def test_upload_and_send_image(fake: FakeGraphAPI, wa: WhatsApp) -> None:
    fake.open_window(USER)
    await wa.send_image(USER, PNG, caption="Карта", mime_type="image/png")
    media_id = fake.sent(USER)[0]["image"]["id"]
    assert fake.media[media_id].data == PNG and fake.media[media_id].mime_type == "image/png"
    form = next(body for path, body in fake.requests if path.endswith("/media"))
    assert form["messaging_product"] == "whatsapp" and form["type"] == "image/png"
    url = await wa.get_media_url(media_id)
    assert await wa.get_media_bytes(url.url) == PNG


async def test_send_document_by_link_and_mark_read(fake: FakeGraphAPI, wa: WhatsApp) -> None:
    fake.open_window(USER)
    await wa.send_document(USER, "https://example.org/guide.pdf", filename="guide.pdf")
    assert fake.sent(USER)[0]["document"]["link"] == "https://example.org/guide.pdf"
    assert await wa.mark_message_as_read("wamid.incoming")
    assert fake.read_receipts == ["wamid.incoming"]


async def test_template_is_allowed_outside_the_window(fake: FakeGraphAPI, wa: WhatsApp) -> None:
    params = [{"type": "body", "parameters": [{"type": "text", "text": "Айгүл"}]}]
    sent = await wa.send_template(USER, "reminder", TemplateLanguage("kk"), params=params)
    assert sent.status == types.SentTemplateStatus.ACCEPTED
    assert fake.sent(USER)[0]["template"]["language"] == {"code": "kk"}


# --------------------------------------------------------------------------- validation


async def test_four_buttons_are_rejected(fake: FakeGraphAPI, wa: WhatsApp) -> None:
    fake.open_window(USER)
    buttons = [types.Button(title=f"B{i}", callback_data=f"b{i}") for i in range(4)]
    with pytest.raises(errors.InvalidParameter) as caught:
        await wa.send_message(USER, "Too many", buttons=buttons)
    assert caught.value.code == 131009 and caught.value.status_code == 400
    assert "Max allowed buttons: 3" in (caught.value.details or "")
    assert fake.sent() == []


@pytest.mark.parametrize(
    ("buttons", "details"),
    [
        ([types.Button(title="Бұл батырма атауы тым ұзын", callback_data="x")], "Max length: 20"),
        (
            types.SectionList(
                "Ашу",
                [types.Section("S", [types.SectionRow(f"r{i}", f"r{i}") for i in range(11)])],
            ),
            "Total row count exceed max allowed count: 10",
        ),
        (
            types.SectionList("Ашу", [types.Section("S", [types.SectionRow("x" * 25, "r")])]),
            "Row title is too long. Max length is 24",
        ),
    ],
    ids=["button-title", "eleven-rows", "row-title"],
)
async def test_interactive_limits(
    fake: FakeGraphAPI, wa: WhatsApp, buttons: Any, details: str
) -> None:
    fake.open_window(USER)
    with pytest.raises(errors.InvalidParameter, match=re.escape(details)):
        await wa.send_message(USER, "Body", buttons=buttons)


async def test_structural_errors_are_code_100(fake: FakeGraphAPI, wa: WhatsApp) -> None:
    fake.open_window(USER)
    with pytest.raises(errors.WhatsAppError) as caught:
        await wa.send_message(USER, "x" * 4097)
    assert type(caught.value) is errors.WhatsAppError and caught.value.code == 100
    assert "at most 4096 characters" in (caught.value.details or "")
    with pytest.raises(errors.WhatsAppError, match="not a valid whatsapp business account media"):
        await wa.send_image(USER, "1234567890")
    async with httpx.AsyncClient(base_url=fake.base_url) as http:
        headers = {"Authorization": f"Bearer {fake.token}"}
        url = f"/v26.0/{fake.phone_id}/messages"
        answer = await http.post(url, json={"to": USER, "text": {"body": "hi"}}, headers=headers)
    assert answer.status_code == 400
    assert (
        answer.json()["error"]["message"] == "(#100) The parameter messaging_product is required."
    )


async def test_unknown_phone_id(fake: FakeGraphAPI, make_client: MakeClient) -> None:
    client = make_client(phone_id="999999999999999")
    fake.open_window(USER)
    with pytest.raises(errors.WhatsAppError) as caught:
        await client.send_message(USER, "hi")
    assert caught.value.code == 100 and caught.value.type == "GraphMethodException"


# --------------------------------------------------------------------------- 24-hour window


async def test_closed_window_raises_re_engagement(fake: FakeGraphAPI, wa: WhatsApp) -> None:
    with pytest.raises(errors.ReEngagementMessage) as caught:
        await wa.send_message(USER, "Сәлем")
    assert caught.value.code == 131047 and caught.value.status_code == 400
    assert "More than 24 hours have passed" in caught.value.message
    fake.make_text(USER, "Сәлем")
    await wa.send_message(USER, "Сәлем")
    fake.open_window(USER, at=time.time() - 25 * 3600)
    with pytest.raises(errors.ReEngagementMessage):
        await wa.send_message(USER, "late")
    fake.open_window(USER, at=time.time() - 23 * 3600)
    await wa.send_message(USER, "still in time")
    fake.close_window(USER)
    assert not fake.window_open(USER)
    assert len(fake.sent(USER)) == 2


async def test_send_to_bsuid(fake: FakeGraphAPI, wa: WhatsApp) -> None:
    payload = fake.make_text(USER, "Сәлем", bsuid="KZ.1502576394655843")
    assert payload["entry"][0]["changes"][0]["value"]["contacts"][0]["user_id"].startswith("KZ.")
    sent = await wa.send_message("KZ.1502576394655843", "Жауап")
    assert sent.chat.id == "KZ.1502576394655843"
    [message] = fake.sent(USER)
    assert message["recipient"] == "KZ.1502576394655843" and "to" not in message


async def test_window_failure_as_status_webhook(
    fake: FakeGraphAPI, wa: WhatsApp, receiver: Receiver
) -> None:
    fake.window_failure = "status"
    sent = await wa.send_message(USER, "late")
    [status_payload] = fake.pending_statuses
    update = await deliver(fake, receiver, status_payload)
    assert isinstance(update, types.MessageStatus) and update.id == sent.id
    assert update.status == types.MessageStatusType.FAILED
    assert isinstance(update.error, errors.ReEngagementMessage)


# --------------------------------------------------------------------------- failure injection


@pytest.mark.parametrize(
    ("code", "error_class", "http_status"),
    [
        (130429, errors.RateLimitHit, 400),
        (131048, errors.SpamRateLimitHit, 400),
        (131056, errors.TooManyMessages, 400),
        (131026, errors.MessageUndeliverable, 400),
        (500, errors.UnknownError, 500),
        (503, errors.ServiceUnavailable, 503),
    ],
)
async def test_injected_errors(
    fake: FakeGraphAPI,
    wa: WhatsApp,
    code: int,
    error_class: type[errors.WhatsAppError],
    http_status: int,
) -> None:
    fake.open_window(USER)
    fake.fail_next(code, times=2)
    for _ in range(2):
        with pytest.raises(error_class) as caught:
            await wa.send_message(USER, "hi")
        assert caught.value.status_code == http_status and caught.value.fbtrace_id
    assert fake.sent() == []
    await wa.send_message(USER, "hi")
    assert len(fake.sent()) == 1


async def test_pair_rate_limit_message(fake: FakeGraphAPI, wa: WhatsApp) -> None:
    fake.open_window(USER)
    fake.fail_next(131056)
    with pytest.raises(errors.TooManyMessages, match=re.escape("pair rate limit hit")) as caught:
        await wa.send_message(USER, "hi")
    assert (
        caught.value.message == "(#131056) (Business Account, Consumer Account) pair rate limit hit"
    )


async def test_html_server_error(fake: FakeGraphAPI, wa: WhatsApp) -> None:
    fake.open_window(USER)
    fake.fail_next(503, html=True)
    with pytest.raises(errors.WhatsAppError) as caught:
        await wa.send_message(USER, "hi")
    assert type(caught.value) is errors.WhatsAppError
    assert caught.value.code == 503 and caught.value.status_code == 503
    assert "<html>" in caught.value.message


async def test_failure_on_media_endpoint(fake: FakeGraphAPI, wa: WhatsApp) -> None:
    fake.open_window(USER)
    fake.fail_next(500, endpoint="media")
    with pytest.raises(errors.UnknownError):
        await wa.send_image(USER, PNG, mime_type="image/png")
    await wa.send_image(USER, PNG, mime_type="image/png")
    assert len(fake.sent(USER)) == 1


async def test_delay_times_out_but_message_was_sent(
    fake: FakeGraphAPI, make_client: MakeClient
) -> None:
    client = make_client(timeout=0.2)
    fake.open_window(USER)
    fake.delay_next(5)
    with pytest.raises(httpx.ReadTimeout):
        await client.send_message(USER, "maybe")
    assert len(fake.sent(USER)) == 1


async def test_wait_for_sent(fake: FakeGraphAPI, wa: WhatsApp) -> None:
    fake.open_window(USER)
    task = asyncio.create_task(wa.send_message(USER, "later"))
    [message] = await fake.wait_for_sent(USER, max_wait=2.0)
    assert message["wamid"] == (await task).id
    with pytest.raises(TimeoutError):
        await fake.wait_for_sent(USER, count=2, max_wait=0.1)


async def test_wrong_or_missing_token(fake: FakeGraphAPI, make_client: MakeClient) -> None:
    client = make_client(token="EAAwrong")
    fake.open_window(USER)
    with pytest.raises(errors.ExpiredAccessToken) as caught:
        await client.send_message(USER, "hi")
    assert caught.value.code == 190 and caught.value.status_code == 401
    assert isinstance(caught.value, errors.AuthorizationError)
    async with httpx.AsyncClient(base_url=fake.base_url) as http:
        answer = await http.post(f"/v26.0/{fake.phone_id}/messages", json={})
    assert answer.status_code == 401
    assert answer.json()["error"]["type"] == "OAuthException"
    assert answer.json()["error"]["code"] == 190
    assert fake.sent() == []


# --------------------------------------------------------------------------- webhooks


def _check(update: Any, expected: type, predicate: Callable[[Any], bool]) -> None:
    assert isinstance(update, expected), update
    assert predicate(update), update


WEBHOOK_CASES: list[tuple[str, Callable[[FakeGraphAPI], Any], type, Callable[[Any], bool]]] = [
    (
        "text",
        lambda f: f.make_text(USER, "Сәлем"),
        types.Message,
        lambda u: u.text == "Сәлем" and u.from_user.name == "Айгүл" and u.from_user.wa_id == USER,
    ),
    (
        "button",
        lambda f: f.make_button_reply(USER, "lang:kk", "Қазақша"),
        types.CallbackButton,
        lambda u: u.data == "lang:kk" and u.title == "Қазақша",
    ),
    (
        "list",
        lambda f: f.make_list_reply(USER, "row:1", "Құжаттар", "Тізім"),
        types.CallbackSelection,
        lambda u: u.data == "row:1" and u.description == "Тізім",
    ),
    (
        "location",
        lambda f: f.make_location(USER, 51.1605, 71.4704),
        types.Message,
        lambda u: u.location.latitude == 51.1605 and u.location.longitude == 71.4704,
    ),
    (
        "image",
        lambda f: f.make_image(USER, caption="Паспорт"),
        types.Message,
        lambda u: u.image.caption == "Паспорт" and u.image.mime_type == "image/jpeg",
    ),
    (
        "document",
        lambda f: f.make_document(USER),
        types.Message,
        lambda u: u.document.filename == "document.pdf",
    ),
    ("audio", lambda f: f.make_audio(USER), types.Message, lambda u: u.audio.voice is True),
    (
        "contacts",
        lambda f: f.make_contacts(USER, "+7 701 765 43 21"),
        types.Message,
        lambda u: u.contacts[0].phones[0].wa_id == "77017654321",
    ),
    (
        "reaction",
        lambda f: f.make_reaction(USER, "wamid.ABC", "👍"),
        types.Message,
        lambda u: u.reaction.emoji == "👍" and u.reaction.message_id == "wamid.ABC",
    ),
    (
        "sticker",
        lambda f: f.make_sticker(USER),
        types.Message,
        lambda u: u.sticker.animated is False,
    ),
    (
        "unsupported",
        lambda f: f.make_unsupported(USER),
        types.Message,
        lambda u: (
            u.type == types.MessageType.UNSUPPORTED
            and isinstance(u.error, errors.UnsupportedMessageType)
        ),
    ),
    *[
        (
            f"status-{s}",
            lambda f, s=s: f.make_status("wamid.OUT", s, USER),
            types.MessageStatus,
            lambda u, s=s: u.status == s and u.id == "wamid.OUT" and u.from_user.wa_id == USER,
        )
        for s in ("sent", "delivered", "read")
    ],
    (
        "status-failed",
        lambda f: f.make_status("wamid.OUT", "failed", USER, error_code=131026),
        types.MessageStatus,
        lambda u: (
            u.status == types.MessageStatusType.FAILED
            and isinstance(u.error, errors.MessageUndeliverable)
        ),
    ),
]


@pytest.mark.parametrize(
    ("build", "expected", "predicate"),
    [case[1:] for case in WEBHOOK_CASES],
    ids=[case[0] for case in WEBHOOK_CASES],
)
async def test_webhook_builders_parse_with_pywa(
    fake: FakeGraphAPI,
    receiver: Receiver,
    build: Callable[[FakeGraphAPI], Any],
    expected: type,
    predicate: Callable[[Any], bool],
) -> None:
    payload = build(fake)
    value = payload["entry"][0]["changes"][0]["value"]
    assert value["metadata"]["phone_number_id"] == fake.phone_id
    assert value["contacts"][0]["user_id"].startswith("KZ.")
    _check(await deliver(fake, receiver, payload), expected, predicate)
    assert fake.window_open(USER) == ("messages" in value)


async def test_replies_point_at_the_last_sent_message(
    fake: FakeGraphAPI, wa: WhatsApp, receiver: Receiver
) -> None:
    fake.open_window(USER)
    buttons = [types.Button(title="Иә", callback_data="yes")]
    sent = await wa.send_message(USER, "Жалғастырамыз ба?", buttons=buttons)
    update = await deliver(fake, receiver, fake.make_button_reply(USER, "yes", "Иә"))
    assert update.reply_to_message.id == sent.id


async def test_inbound_media_can_be_downloaded(fake: FakeGraphAPI, receiver: Receiver) -> None:
    message = await deliver(fake, receiver, fake.make_image(USER, data=b"jpeg-bytes"))
    assert await message.image.get_bytes() == b"jpeg-bytes"


async def test_webhook_signature_and_verification(fake: FakeGraphAPI, receiver: Receiver) -> None:
    payload = fake.make_text(USER, "Сәлем")
    forged = await fake.post_webhook(
        receiver.url, payload, app_secret=APP_SECRET, signature="sha256=00"
    )
    assert forged[0] == 403
    unsigned = await fake.post_webhook(receiver.url, payload, app_secret=APP_SECRET, signature="")
    assert unsigned[0] == 401
    wrong_secret = await fake.post_webhook(receiver.url, payload, app_secret="other")
    assert wrong_secret[0] == 403
    assert receiver.updates == []
    assert await fake.verify_webhook(receiver.url, VERIFY_TOKEN) == (200, "1158201444")
    assert (await fake.verify_webhook(receiver.url, "wrong"))[0] == 403

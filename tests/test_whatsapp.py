"""WhatsApp end to end: the real app under uvicorn, webhooks signed (or forged) as Meta sends
them, replies through pywa to a fake Graph API server on loopback that enforces the real
limits and the 24-hour window."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from bot.channels.whatsapp import BUTTON_MAX, ROW_MAX, WhatsAppChannel, menu_shape, shorten
from bot.i18n import Translator
from content.package import get_package
from handlers import handoff
from handlers.menu import menu_buttons
from storage.models import Case, Contact, Message, utcnow
from tests.conftest import LiveServer, eventually, free_port, make_settings
from tests.fakes.whatsapp_api import FakeGraphAPI

SECRET, VERIFY = "app-secret-for-tests", "verify-token-for-tests"
WA_ID = "77011234567"
RU = Translator("ru")


@pytest.fixture
async def fake() -> AsyncIterator[FakeGraphAPI]:
    async with FakeGraphAPI(token="test-token") as api:
        yield api


@pytest.fixture
async def wa(tmp_path: Path, database_url: str, fake: FakeGraphAPI):  # type: ignore[no-untyped-def]
    settings = make_settings(
        tmp_path,
        database_url,
        whatsapp_phone_number_id=fake.phone_id,
        whatsapp_access_token=fake.token,
        whatsapp_app_secret=SECRET,
        whatsapp_verify_token=VERIFY,
        whatsapp_api_base=fake.base_url,
        whatsapp_rate_per_recipient=50.0,
    )
    from bot.app import create_app

    app = create_app(settings)
    app.state.whatsapp.throttle_pause = app.state.whatsapp.pair_pause = 0.3
    async with LiveServer(app, port=free_port()) as server:
        server.app, server.hook = app, f"{server.url}/webhooks/whatsapp"
        yield server


async def say(wa, fake: FakeGraphAPI, payload: dict, expect: int = 1) -> list[dict]:  # type: ignore[no-untyped-def]
    before = len(fake.sent(WA_ID))
    status, _ = await fake.post_webhook(wa.hook, payload, app_secret=SECRET)
    assert status == 200
    if not expect:
        return []
    sent = await fake.wait_for_sent(WA_ID, count=before + expect, max_wait=10)
    return sent[before:]


def body(message: dict) -> str:
    if message["type"] == "text":
        return message["text"]["body"]
    if message["type"] == "interactive":
        return message["interactive"]["body"]["text"]
    return ""


def choices(message: dict) -> list[str]:
    if message["type"] != "interactive":
        return []
    action = message["interactive"]["action"]
    if "buttons" in action:
        return [b["reply"]["id"] for b in action["buttons"]]
    return [row["id"] for section in action["sections"] for row in section["rows"]]


async def start_in_russian(wa, fake: FakeGraphAPI) -> None:  # type: ignore[no-untyped-def]
    [greeting] = await say(wa, fake, fake.make_text(WA_ID, "сәлем"))
    # five choices (Kazakh also in Latin and Arabic letters): a list, one tap to open
    assert greeting["interactive"]["type"] == "list"
    assert choices(greeting) == ["lang:kk", "lang:ru", "lang:en", "lang:kk-latn", "lang:kk-arab"]
    await say(wa, fake, fake.make_button_reply(WA_ID, "lang:ru", "Русский"))


async def test_webhook_verification(wa, fake: FakeGraphAPI) -> None:  # type: ignore[no-untyped-def]
    assert await fake.verify_webhook(wa.hook, VERIFY, challenge="1158201444") == (200, "1158201444")
    assert (await fake.verify_webhook(wa.hook, "wrong"))[0] == 403


@pytest.mark.parametrize("signature", ["", "sha256=" + "0" * 64, "sha1=abc"])
async def test_forged_or_unsigned_webhooks_are_refused(wa, fake, signature) -> None:  # type: ignore[no-untyped-def]
    status, _ = await fake.post_webhook(
        wa.hook, fake.make_text(WA_ID, "hi"), app_secret=SECRET, signature=signature
    )
    assert status == 401
    async with wa.app.state.runtime.db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Message)) == 0


async def test_signed_junk_is_a_bad_request(wa, fake: FakeGraphAPI) -> None:  # type: ignore[no-untyped-def]
    raw = b"{not json"
    headers = {"X-Hub-Signature-256": fake.sign(raw, SECRET)}
    async with httpx.AsyncClient() as c:
        r = await c.post(wa.hook, content=raw, headers=headers)
    assert r.status_code == 400


async def test_a_whole_conversation(wa, fake: FakeGraphAPI) -> None:  # type: ignore[no-untyped-def]
    lib = get_package().lib
    await start_in_russian(wa, fake)
    [menu] = fake.sent(WA_ID)[-1:]
    assert menu["interactive"]["type"] == "list" and "regions" in choices(menu)
    [regions] = await say(wa, fake, fake.make_list_reply(WA_ID, "regions", "Области"))
    assert regions["type"] == "text", "11 choices: a numbered text menu"
    assert f"5. {sorted(r.name['ru'] for r in lib.regions.values())[4]}" in body(regions)
    [overview] = await say(wa, fake, fake.make_text(WA_ID, lib.regions["pavlodar"].name["ru"]))
    assert lib.entry("pavlodar/overview", "ru").title in body(overview)
    chart, climate = await say(wa, fake, fake.make_text(WA_ID, "какая зима в Павлодаре"), expect=2)
    assert chart["type"] == "image" and "Казгидромет" in chart["image"]["caption"]
    assert lib.entry("pavlodar/climate", "ru").title in body(climate)
    assert "**" not in body(climate) and "<b>" not in body(climate), "plain text on WhatsApp"
    [answer] = await say(wa, fake, fake.make_text(WA_ID, "кто мой куратор"))
    assert lib.entry("programme/caseworker", "ru").title in body(answer)
    [notice] = await say(wa, fake, fake.make_text(WA_ID, "оператор"))
    assert RU.gettext(handoff.NOTICE) in body(notice), "asking for a human starts the handoff"
    async with wa.app.state.runtime.db.sessions() as s:
        contact = await s.scalar(select(Contact))
    assert (contact.external_id.startswith("KZ."), contact.phone) == (True, WA_ID)


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda f: f.make_image(WA_ID, caption="дом"), "photo"),
        (lambda f: f.make_document(WA_ID), "document"),
        (lambda f: f.make_audio(WA_ID, voice=True), "voice"),
        (lambda f: f.make_contacts(WA_ID, "77019876543"), "contact"),
        (lambda f: f.make_sticker(WA_ID), "sticker"),
        (lambda f: f.make_unsupported(WA_ID), "unsupported"),
    ],
)
async def test_each_kind_of_incoming_message(wa, fake, make, kind) -> None:  # type: ignore[no-untyped-def]
    from handlers.fallback import _BY_KIND

    await start_in_russian(wa, fake)
    [reply] = await say(wa, fake, make(fake))
    assert body(reply) == RU.gettext(_BY_KIND[kind])


async def test_a_location_pin_names_the_nearest_town(wa, fake: FakeGraphAPI) -> None:  # type: ignore[no-untyped-def]
    await start_in_russian(wa, fake)
    [reply] = await say(wa, fake, fake.make_location(WA_ID, 51.73, 75.32))  # in Ekibastuz
    near = RU.gettext(
        "You are near {place}, {region}. Is that where you live or where you are going?"
    )
    assert body(reply) == near.format(place="Экибастуз", region="Павлодарская область")
    ids = [b["reply"]["id"] for b in reply["interactive"]["action"]["buttons"]]
    assert ids == ["loc:live:ekibastuz", "loc:go:ekibastuz", "menu"]


async def test_a_reaction_needs_no_answer(wa, fake: FakeGraphAPI) -> None:  # type: ignore[no-untyped-def]
    await start_in_russian(wa, fake)
    last = fake.sent(WA_ID)[-1]
    before = len(fake.sent(WA_ID))
    await say(wa, fake, fake.make_reaction(WA_ID, last["wamid"], "👍"), expect=0)
    [reply] = await say(wa, fake, fake.make_text(WA_ID, "/menu"))
    assert len(fake.sent(WA_ID)) == before + 1 and reply["type"] == "interactive"


async def test_a_redelivered_message_is_handled_once(wa, fake: FakeGraphAPI) -> None:  # type: ignore[no-untyped-def]
    payload = fake.make_text(WA_ID, "сәлем")
    await say(wa, fake, payload)
    status, _ = await fake.post_webhook(wa.hook, payload, app_secret=SECRET)
    assert status == 200
    await eventually(lambda: True)
    async with wa.app.state.runtime.db.sessions() as s:
        inbound = await s.scalar(
            select(func.count()).select_from(Message).where(Message.direction == "in")
        )
    assert inbound == 1 and len(fake.sent(WA_ID)) == 1


async def test_closed_window_sends_a_template_then_the_message(wa, fake: FakeGraphAPI) -> None:  # type: ignore[no-untyped-def]
    await start_in_russian(wa, fake)
    db = wa.app.state.runtime.db
    async with db.transaction() as s:
        await s.execute(update(Contact).values(last_seen_at=utcnow() - timedelta(hours=25)))
    fake.close_window(WA_ID)
    await enqueue_for(wa, "Ответ специалиста")
    sent = await fake.wait_for_sent(WA_ID, count=len(fake.sent(WA_ID)) + 1, max_wait=10)
    template = sent[-1]
    assert template["type"] == "template" and template["template"]["language"]["code"] == "ru"

    async def waiting() -> bool:
        async with db.sessions() as s:
            return (
                await s.scalar(select(Message.status).where(Message.text == "Ответ специалиста"))
            ) == "waiting"

    await eventually(waiting)
    sent = await say(wa, fake, fake.make_text(WA_ID, "да"), expect=2)
    assert body(sent[0]) == "Ответ специалиста", "the waiting message goes first"


async def test_window_closed_reported_later_by_a_status(wa, fake: FakeGraphAPI) -> None:  # type: ignore[no-untyped-def]
    await start_in_russian(wa, fake)
    fake.close_window(WA_ID)
    fake.window_failure = "status"
    await enqueue_for(wa, "Поздний ответ")
    db = wa.app.state.runtime.db

    async def recorded_as_sent() -> bool:  # Meta's status comes after our send is recorded
        async with db.sessions() as s:
            return (
                await s.scalar(select(Message.status).where(Message.text == "Поздний ответ"))
                == "sent"
            )

    await eventually(recorded_as_sent)
    for status in fake.pending_statuses:
        assert (await fake.post_webhook(wa.hook, status, app_secret=SECRET))[0] == 200
    sent = fake.sent(WA_ID)  # the invitation goes out while the status is handled
    assert sent[-1]["type"] == "template"


@pytest.mark.parametrize("code", [130429, 131048, 131056, 503])
async def test_throttling_and_outages_are_retried_once_delivered(wa, fake, code) -> None:  # type: ignore[no-untyped-def]
    await start_in_russian(wa, fake)
    fake.fail_next(code)
    await enqueue_for(wa, "После паузы")
    await fake.wait_for_sent(WA_ID, count=len(fake.sent(WA_ID)) + 1, max_wait=15)
    texts = [body(m) for m in fake.sent(WA_ID)]
    assert texts.count("После паузы") == 1


async def test_delivery_statuses_only_move_forward(wa, fake: FakeGraphAPI) -> None:  # type: ignore[no-untyped-def]
    await start_in_russian(wa, fake)
    last = fake.sent(WA_ID)[-1]["wamid"]
    for status in ("read", "delivered"):  # read may arrive first
        await fake.post_webhook(wa.hook, fake.make_status(last, status, WA_ID), app_secret=SECRET)
    async with wa.app.state.runtime.db.sessions() as s:
        assert await s.scalar(select(Message.status).where(Message.external_id == last)) == "read"


async def enqueue_for(wa, text: str) -> None:  # type: ignore[no-untyped-def]
    """A message the bot sends on its own (a caseworker's reply, a reminder)."""
    from bot import outbox
    from bot.types import Reply

    rt = wa.app.state.runtime
    async with rt.db.transaction() as s:
        contact = await s.scalar(select(Contact))
        s.add_all(outbox.new_rows(contact, Reply(text), 4096, outbox.PRIORITY_REPLY))
    rt.senders["whatsapp"].notify()


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_every_menu_fits_whatsapp(lang: str) -> None:
    """The menus the bot shows, rendered for WhatsApp, within the platform's limits."""
    from types import SimpleNamespace

    from handlers import routers

    routers()
    lib = get_package().lib
    tr = Translator(lang)
    ctx = SimpleNamespace(_=tr.gettext, locale=lang, contact=SimpleNamespace(recommended=[]))
    menus = [[b.to_dict() for b in menu_buttons(ctx)]]  # type: ignore[arg-type]
    menus.append(
        [{"label": t.label[lang], "action": t.id} for t in lib.topics["programme"].values()]
    )
    menus.append([{"label": t.label[lang], "action": t.id} for t in lib.topics["region"].values()])
    for menu in menus:
        for size in range(1, len(menu) + 1):
            shape = menu_shape("text", menu[:size])
            if shape["kind"] == "buttons":
                assert all(len(t) <= BUTTON_MAX for t, _ in shape["buttons"])
            elif shape["kind"] == "list":
                assert len(shape["rows"]) <= 10 and all(
                    len(t) <= ROW_MAX for t, _, _ in shape["rows"]
                )


def test_labels_are_shortened_between_words() -> None:
    assert shorten("Басқа өңірмен салыстыру", 20) == "Басқа өңірмен…"
    assert shorten("Қазақша", 20) == "Қазақша"
    assert (
        shorten("Ааааааааааааааааааааааааааааааа", 20) is None
    )  # no word boundary: a list or text
    assert WhatsAppChannel.throttle_pause > 0


async def test_documents_and_map_pins(wa, fake: FakeGraphAPI, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from bot import outbox
    from bot.types import Media, Reply

    await start_in_russian(wa, fake)
    pdf = tmp_path / "checklist.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%test\n")
    rt = wa.app.state.runtime
    async with rt.db.transaction() as s:
        contact = await s.scalar(select(Contact))
        pin = Media(kind="location", latitude=52.287, longitude=76.967, caption="Орталық")
        for media in (Media(kind="document", path=str(pdf), caption="Тізім"), pin):
            s.add_all(outbox.new_rows(contact, Reply("", media=media), 4096, 0))
    rt.senders["whatsapp"].notify()
    sent = await fake.wait_for_sent(WA_ID, count=len(fake.sent(WA_ID)) + 2)
    assert [m["type"] for m in sent[-2:]] == ["document", "location"]
    assert sent[-2]["document"]["filename"] == "checklist.pdf"
    assert sent[-1]["location"]["latitude"] == 52.287


async def test_a_voice_note_in_a_handoff_plays_in_the_console(wa, fake: FakeGraphAPI) -> None:  # type: ignore[no-untyped-def]
    from tests.console_helpers import Console, add_staff

    runtime = wa.app.state.runtime
    await add_staff(runtime, "dana", regions=("pavlodar",))
    await start_in_russian(wa, fake)
    await say(wa, fake, fake.make_text(WA_ID, "оператор"))
    await say(wa, fake, fake.make_button_reply(WA_ID, "hfok", "Согласен"))
    await say(wa, fake, fake.make_list_reply(WA_ID, "hft:housing", "Жильё"))
    await say(wa, fake, fake.make_text(WA_ID, "Павлодарская область"))  # a label of the list
    await say(wa, fake, fake.make_audio(WA_ID, data=b"OggS\x00the-voice"), expect=0)
    await say(wa, fake, fake.make_document(WA_ID, data=b"%PDF-1.4 mine"), expect=0)

    async def stored() -> list[Message]:
        async with runtime.db.sessions() as s:
            found = await s.scalars(select(Message).where(Message.kind.in_(["voice", "document"])))
            rows = list(found)
            return rows if len(rows) == 2 else []

    voice, document = sorted(await eventually(stored), key=lambda m: m.kind != "voice")
    async with runtime.db.sessions() as s:
        case = await s.scalar(select(Case))
    assert case.region == "pavlodar" and case.topic == "housing"
    worker = Console(wa.url)
    await worker.login("dana")
    played = await worker.get(f"/console/cases/{case.id}/media/{voice.id}")
    assert played.content == b"OggS\x00the-voice" and played.headers["content-type"] == "audio/ogg"
    opened = await worker.get(f"/console/cases/{case.id}/media/{document.id}")
    assert opened.content == b"%PDF-1.4 mine"
    await worker.aclose()

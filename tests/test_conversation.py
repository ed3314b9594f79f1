"""The conversation as a person lives it, through the terminal channel (the same core serves
every channel): first contact, language, menu, help, and every kind of input the bot does not
understand. Runs on SQLite and, when configured, PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from bot.channels.terminal import TerminalChat
from bot.i18n import Translator
from bot.runtime import Runtime
from bot.types import Incoming
from handlers.menu import ABOUT_TEXT, HELP_TEXT, MENU_QUESTION, menu_items
from storage.models import Contact, Message

KK, RU, EN = Translator("kk"), Translator("ru"), Translator("en")
MENU_Q = MENU_QUESTION
# Each in its own script: Kazakh also in the 2021 Latin alphabet and in the Arabic script.
LANGUAGES = ["Қазақша", "Русский", "English", "Qazaqşa (latyn)", "قازاقشا (توتە)"]


class Chat:
    """A person at the terminal: says lines, reads what the bot printed since."""

    def __init__(self, runtime: Runtime, user: str = "aigul") -> None:
        self.out: list[str] = []
        self.runtime, self.user = runtime, user
        self.term = TerminalChat(runtime, user, self.out.append)

    async def say(self, text: str) -> str:
        start = len(self.out)
        await self.term.send(text)
        return "\n".join(self.out[start:])

    async def incoming(self, **fields: object) -> str:
        start = len(self.out)
        inc = Incoming(channel="terminal", user_id=self.user, **fields)  # type: ignore[arg-type]
        outcome = await self.runtime.core.handle(inc)
        from bot import outbox
        from bot.channels.terminal import render_row

        for row in await outbox.take_for_contact(self.runtime.db, outcome.contact_id):
            self.out.append(render_row(row.text or "", row.payload))
        return "\n".join(self.out[start:])

    async def contact(self) -> Contact:
        async with self.runtime.db.sessions() as s:
            return await s.scalar(select(Contact).where(Contact.external_id == self.user))


def buttons(printed: str) -> list[str]:
    return re.findall(r"^  \[\d+\] (.+)$", printed, flags=re.M)


async def test_first_contact_greets_and_asks_language_in_kazakh(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang=None)
    printed = "\n".join(chat.out)
    assert KK.gettext("Choose a language:") in printed
    assert buttons(printed) == LANGUAGES


async def test_language_choice_by_number_is_remembered(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang=None)
    printed = await chat.say("2")
    assert RU.gettext("Done: I will write in English.") in printed
    assert RU.gettext(MENU_Q) in printed
    assert RU.gettext("Help") in buttons(printed)
    assert (await chat.contact()).locale == "ru"

    again = Chat(runtime)  # a new session of the same person
    printed = await again.say("/menu")
    assert RU.gettext(MENU_Q) in printed


async def test_language_changed_by_command_and_typed_label(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang="ru")
    printed = await chat.say("/language")
    assert buttons(printed) == LANGUAGES
    printed = await chat.say("english")
    assert EN.gettext(MENU_Q) in printed
    printed = await chat.say(EN.gettext("Language · Тіл · Язык"))  # the menu item
    assert buttons(printed) == LANGUAGES
    printed = await chat.say("1")
    assert KK.gettext("Done: I will write in English.") in printed
    assert (await chat.contact()).locale == "kk"


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
async def test_help_and_menu_in_each_language(runtime: Runtime, lang: str) -> None:
    tr = Translator(lang)
    chat = Chat(runtime)
    await chat.term.begin(lang=lang)
    printed = await chat.say("/help")
    assert printed.startswith(tr.gettext(HELP_TEXT))
    assert buttons(printed) == [tr.gettext("About Qonys"), tr.gettext("Menu")]
    assert tr.gettext(ABOUT_TEXT)[:40] in await chat.say("1")
    printed = await chat.say("/menu")
    assert tr.gettext(MENU_Q) in printed
    assert buttons(printed) == [tr.gettext(item.label) for item in menu_items()]
    assert {tr.gettext("Talk to a caseworker"), tr.gettext("Help")} <= set(buttons(printed))
    assert len(menu_items()) <= 10, "the menu stays one WhatsApp list"


UNDERSTOOD_NOT = [
    ({"kind": "sticker"}, "Thank you for the sticker! I understand text and buttons."),
    ({"kind": "photo"}, "I cannot look at pictures yet. Please describe your question in words."),
    ({"kind": "video"}, "I cannot watch videos yet. Please describe your question in words."),
    (
        {"kind": "voice"},
        "I cannot listen to voice messages yet. Please write your question in words.",
    ),
    ({"kind": "audio"}, "I cannot listen to audio yet. Please write your question in words."),
    ({"kind": "document"}, "I cannot open files yet. Please describe your question in words."),
    (  # a pin without coordinates (a forged or broken one): the regions to choose from
        {"kind": "location"},
        "I do not know a town near this point. Which region would you like to know about?",
    ),
    ({"kind": "contact"}, "Thank you. I do not need a contact card now."),
    ({"kind": "unsupported"}, "I cannot read this kind of message. Please write in words."),
    ({"kind": "action", "action": "zzz:42"}, "This button no longer works. Here is the menu."),
    ({"kind": "action", "action": "lang:de"}, "This button no longer works. Here is the menu."),
]


@pytest.mark.parametrize(("fields", "answer"), UNDERSTOOD_NOT)
async def test_what_is_not_understood_gets_a_kind_answer_and_changes_nothing(
    runtime: Runtime, fields: dict, answer: str
) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang="ru")
    before = await chat.contact()
    printed = await chat.incoming(**fields)
    assert printed.startswith(RU.gettext(answer))
    assert buttons(printed), "there is always a way back"
    after = await chat.contact()
    assert (after.locale, after.step, after.source) == (before.locale, before.step, before.source)


async def test_free_text_before_choosing_a_language_asks_for_it(runtime: Runtime) -> None:
    chat = Chat(runtime)
    printed = await chat.say("сәлем")
    assert KK.gettext("Let us first choose the language we will talk in.") in printed
    assert buttons(printed) == LANGUAGES


async def test_ten_thousand_characters_and_control_bytes(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang="en")
    printed = await chat.say("ы" * 10_000)
    assert printed.startswith(
        EN.gettext(
            "Your message is too long for me. Please write it in under {limit} characters.",
            limit=runtime.settings.max_message_chars,
        )
    )
    printed = await chat.say("he\x00llo\x07 /menu")
    assert printed.strip(), "answered like any other question"
    async with runtime.db.sessions() as s:
        texts = list(await s.scalars(select(Message.text).where(Message.direction == "in")))
    assert max(len(t or "") for t in texts) == runtime.settings.max_message_chars
    assert "hello /menu" in texts


async def test_deep_link_source_is_recorded_first_touch_wins(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await chat.say("/start src_kostanay_fair")
    assert (await chat.contact()).source == "src_kostanay_fair"
    await chat.say("/start src_other")
    assert (await chat.contact()).source == "src_kostanay_fair"

    other = Chat(runtime, user="nurlan")
    await other.say("/start <script>alert(1)</script>")
    assert (await other.contact()).source is None


@pytest.mark.parametrize(
    ("hint", "expected"), [("ru-RU", "ru"), ("en", "en"), ("de", "kk"), (None, "kk")]
)
async def test_platform_language_is_only_a_hint_for_the_first_screen(
    runtime: Runtime, hint: str | None, expected: str
) -> None:
    chat = Chat(runtime)
    printed = await chat.incoming(text="/start", locale_hint=hint)
    assert Translator(expected).gettext("Choose a language:") in printed
    assert (await chat.contact()).locale is None  # nothing chosen until the person chooses


async def test_a_redelivered_update_is_handled_once(runtime: Runtime) -> None:
    chat = Chat(runtime)
    first = await chat.incoming(text="/start", update_id="777")
    assert first
    outcome = await runtime.core.handle(
        Incoming(channel="terminal", user_id="aigul", text="/start", update_id="777")
    )
    assert not outcome.handled
    async with runtime.db.sessions() as s:
        n = await s.scalar(select(func.count()).select_from(Message))
    assert n == 2  # one in, one out


async def test_a_crashing_handler_gets_an_apology_not_silence(
    runtime: Runtime, monkeypatch
) -> None:
    async def broken(ctx):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    for router in runtime.core.dispatcher.routers:
        if "help" in router.commands:
            monkeypatch.setitem(router.commands, "help", broken)
    chat = Chat(runtime)
    await chat.term.begin(lang="en")
    printed = await chat.say("/help")
    assert (
        EN.gettext("Sorry, something went wrong on my side. Please try again in a minute.")
        in printed
    )
    printed = await chat.say("/menu")  # and the person can go on
    assert EN.gettext(MENU_Q) in printed


async def test_part_of_a_label_presses_the_one_button_that_has_it(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang="ru")
    printed = await chat.say("помощ")  # "Помощь", cut short on a phone keyboard
    assert printed.startswith(RU.gettext(HELP_TEXT))

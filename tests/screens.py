"""Every screen a person can reach, collected the way a person gets there: one person per
language presses every button the bot shows (breadth first), types every command, answers and
skips every questionnaire question, sends what the bot cannot read, talks to a caseworker and
has the conversation closed. The interface-language and WhatsApp-shape tests read the result."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from bot import outbox
from bot.runtime import Runtime
from bot.types import Incoming
from console.casework import tell_closed
from storage import cases
from storage.models import Case, Contact, utcnow

COMMANDS = (
    "/menu", "/help", "/profile", "/assessment", "/checklist", "/status", "/appointment",
    "/estimate", "/subscriptions", "/language", "/operator", "/mydata",
)  # fmt: skip
# Buttons not pressed while crawling: another language's switch, and the "yes" that erases
# the person (its screen before is crawled; erasure is the privacy tests' business).
NOT_PRESSED = ("fg:",)
# Buttons that open the same screen for many combinations (a region pair, a household, a
# booklet drawn for a second each): a few of each show every string those screens hold.
AT_MOST = {"bk": 1, "cp": 1, "esth": 8, "esta": 8, "cmp2": 8, "cf2": 8, "hfr": 3}
EVENTS: tuple[dict[str, Any], ...] = (
    {"kind": "sticker"}, {"kind": "photo"}, {"kind": "voice"}, {"kind": "video"},
    {"kind": "audio"}, {"kind": "document"}, {"kind": "contact"}, {"kind": "unsupported"},
    {"kind": "location", "location": (53.2, 63.6)}, {"kind": "too_long"},
    {"kind": "text", "text": "ывфаолдж"}, {"kind": "action", "action": "zz:1"},
)  # fmt: skip


@dataclass
class Screen:
    via: str  # the button, command or event that brought it
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    media: dict[str, Any] | None = None
    chat_id: str = ""


@dataclass
class Crawler:
    runtime: Runtime
    lang: str
    channel: str = "whatsapp"
    screens: list[Screen] = field(default_factory=list)
    pressed: set[str] = field(default_factory=set)
    kinds: Counter[str] = field(default_factory=Counter)

    @property
    def user(self) -> str:
        return {"kk": "77010000001", "ru": "77010000002", "en": "77010000003"}[self.lang]

    async def send(self, via: str, **fields: Any) -> list[Screen]:
        inc = Incoming(channel=self.channel, user_id=self.user, **fields)
        outcome = await self.runtime.core.handle(inc)
        return await self.collect(via, outcome.contact_id)

    async def collect(self, via: str, contact_id: int | None) -> list[Screen]:
        if contact_id is None:
            return []
        rows = await outbox.take_for_contact(self.runtime.db, contact_id)
        got = [
            Screen(via, r.text or "", r.payload.get("buttons", []), r.payload.get("media"))
            for r in rows
        ]
        for screen in got:
            screen.chat_id = self.user
        self.screens += got
        return got

    async def press(self, action: str) -> list[Screen]:
        self.pressed.add(action)
        self.kinds[action.split(":", 1)[0]] += 1
        return await self.send(action, kind="action", action=action)

    async def say(self, text: str) -> list[Screen]:
        return await self.send(text, text=text)

    async def walk(self, start: list[Screen], limit: int) -> None:
        """Breadth first over the buttons of `start` and of every screen they open."""
        queue = deque(b["action"] for s in start for b in s.buttons)
        while queue and len(self.pressed) < limit:
            action = queue.popleft()
            if action in self.pressed or self._skipped(action):
                continue
            for screen in await self.press(action):
                queue.extend(b["action"] for b in screen.buttons)

    def _skipped(self, action: str) -> bool:
        if action.startswith("lang:") and action != f"lang:{self.lang}":
            return True
        kind = action.split(":", 1)[0]
        return action.startswith(NOT_PRESSED) or self.kinds[kind] >= AT_MOST.get(kind, 10**6)

    async def crawl(self, limit: int = 4000) -> list[Screen]:
        await self.say("/start")
        await self.press(f"lang:{self.lang}")
        for command in COMMANDS[:-2]:  # the caseworker and /mydata come last
            await self.walk(await self.say(command), limit)
        for event in EVENTS:
            await self.send(f"event:{event['kind']}", **event)
        await self.talk_to_a_caseworker(limit)
        await self.walk(await self.say("/mydata"), limit)
        await self.walk(await self.say("/profile"), limit)
        return self.screens

    async def talk_to_a_caseworker(self, limit: int) -> None:
        """The hand-off as a person lives it, closed by the caseworker twice: once before
        anyone answered, once after an answer (the rating question and its comment)."""
        await self.walk(await self.say("/operator"), limit)
        for answered in (False, True):
            screens = await self.say("/operator")
            for _ in range(3):  # agree, a topic, a region: the first choice each time
                first = next((b["action"] for s in screens for b in s.buttons), None)
                if first is None or first == "menu":
                    break
                screens = await self.send(first, kind="action", action=first)
                if first.startswith("hfr:"):  # the case is open; its button would leave it
                    break
            await self.say("Сәлеметсіз бе, құжаттар туралы сұрағым бар")
            async with self.runtime.db.transaction() as s:
                contact = await s.scalar(select(Contact).where(Contact.external_id == self.user))
                assert contact is not None
                for case in await s.scalars(
                    select(Case).where(Case.contact_id == contact.id, Case.status != "closed")
                ):
                    case.first_response_at = utcnow() if answered else None
                    cases.close(case, "answered", "staff")
                    tell_closed(s, contact, case, self.runtime.settings.default_locale)
                contact_id = contact.id
            for screen in await self.collect("closed by the caseworker", contact_id):
                if screen.buttons:
                    await self.press(screen.buttons[3]["action"])
                    await self.say("Рақмет")

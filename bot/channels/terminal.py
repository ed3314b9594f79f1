"""`qonys chat`: the bot in a terminal. One message per input line; buttons print as
`  [n] label` and are pressed by typing their number or label."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

from sqlalchemy import select

from bot import outbox
from bot.runtime import Runtime
from bot.types import Incoming
from storage.models import Contact

CHANNEL = "terminal"


class TerminalChat:
    def __init__(self, runtime: Runtime, user: str, write: Callable[[str], None]) -> None:
        self.runtime, self.user, self.write = runtime, user, write

    async def begin(self, lang: str | None) -> None:
        """A new person is greeted as on any channel; `--lang` answers the language question."""
        known = await self._contact()
        if known is None:
            await self.send("/start")
        if lang:
            await self.send(f"lang:{lang}", action=True)

    async def send(self, text: str, *, action: bool = False) -> None:
        inc = Incoming(channel=CHANNEL, user_id=self.user, locale_hint=None)
        if action:
            inc.kind, inc.action = "action", text
        else:
            inc.text = text
        outcome = await self.runtime.core.handle(inc)
        if outcome.contact_id is not None:
            for row in await outbox.take_for_contact(self.runtime.db, outcome.contact_id):
                self.write(render_row(row.text or "", row.payload))

    async def _contact(self) -> Contact | None:
        async with self.runtime.db.sessions() as s:
            return await s.scalar(
                select(Contact).where(Contact.channel == CHANNEL, Contact.external_id == self.user)
            )


def render_row(text: str, payload: dict) -> str:
    media = payload.get("media")
    if media:
        return f"[{media['kind']}: {media.get('caption') or ''} {media.get('path') or ''}]\n"
    return render(text, payload.get("buttons", []))


def render(text: str, buttons: list[dict]) -> str:
    lines = [text]
    lines += [f"  [{i}] {b['label']}" for i, b in enumerate(buttons, start=1)]
    return "\n".join(lines) + "\n"


async def run_chat(runtime: Runtime, user: str, lang: str | None) -> None:
    def write(text: str) -> None:
        print(text, flush=True)

    chat = TerminalChat(runtime, user, write)
    interactive = sys.stdin.isatty()
    await runtime.migrate()
    await runtime.content.load()  # what the console published, as the server answers
    try:
        await chat.begin(lang)
        while True:
            line = await asyncio.to_thread(_read_line, interactive)
            if line is None:
                break
            if line.strip():
                await chat.send(line.strip())
    finally:
        await runtime.close()


def _read_line(interactive: bool) -> str | None:
    try:
        return input("› ") if interactive else sys.stdin.readline() or None
    except EOFError:
        return None

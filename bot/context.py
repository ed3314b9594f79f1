"""What a handler gets: the event, the person, the database session and a way to reply."""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.settings import Settings
from bot.types import Button, Incoming, Media, Reply
from storage.models import Contact

CONFIRM = "confirm"  # step_data key of the confirmation a destructive action waits for
CONFIRM_SECONDS = 15 * 60
ERASED = "erased"  # signal: a handler erased a person; wipe what the database keeps after


def unique(buttons: list[Button]) -> list[Button]:
    """One button per action and per label: a menu that offers the same thing twice (a
    recommendation that is also a menu item) reads as a glitch."""
    actions: set[str] = set()
    labels: set[str] = set()
    kept = []
    for b in buttons:
        if b.action in actions or b.label in labels:
            continue
        actions.add(b.action)
        labels.add(b.label)
        kept.append(b)
    return kept


@dataclass
class Context:
    incoming: Incoming
    contact: Contact
    session: AsyncSession
    settings: Settings
    args: str = ""
    fmt: str = "plain"  # what the channel shows: "html" or "plain"
    replies: list[Reply] = field(default_factory=list)
    # Who else should hear of this event once it is committed ("console": open consoles).
    signals: set[str] = field(default_factory=set)
    translator: Translator = field(init=False)
    # Routes the event again after a handler changed it (a counted campaign button).
    redispatch: Callable[[], Awaitable[None]] = field(init=False, repr=False)
    # The confirmation offered in the previous turn, if any (it lives for one turn only).
    offered: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.translator = Translator(self.locale)

    @property
    def locale(self) -> str:
        return self.contact.locale or self.contact.locale_hint or self.settings.default_locale

    def _(self, message: str, **params: object) -> str:
        return self.translator.gettext(message, **params)

    def ngettext(self, singular: str, plural: str, n: int, **params: object) -> str:
        return self.translator.ngettext(singular, plural, n, **params)

    def reply(
        self,
        text: str,
        buttons: list[Button] | None = None,
        media: Media | None = None,
        *,
        formatted: bool = False,
    ) -> None:
        """`formatted`: the text was rendered for this channel's format (ctx.fmt)."""
        fmt = self.fmt if formatted else "plain"
        self.replies.append(Reply(text=text, buttons=unique(buttons or []), media=media, fmt=fmt))  # type: ignore[arg-type]

    def set_locale(self, locale: str) -> None:
        self.contact.locale = locale
        self.translator = Translator(locale)

    def confirmation(self, purpose: str) -> str:
        """A one-time code for the "Yes" button of a destructive action: only the button just
        offered to this person, in the very next turn and within 15 minutes, carries it."""
        nonce = secrets.token_urlsafe(6)
        offer = {"for": purpose, "nonce": nonce, "at": time.time()}
        self.contact.step_data = {**(self.contact.step_data or {}), CONFIRM: offer}
        return nonce

    def confirmed(self, purpose: str, nonce: str) -> bool:
        offer = self.offered or {}
        return (
            offer.get("for") == purpose
            and bool(nonce)
            and secrets.compare_digest(str(offer.get("nonce", "")), nonce)
            and time.time() - float(offer.get("at", 0)) < CONFIRM_SECONDS
        )

    def set_step(self, step: str | None, data: dict[str, Any] | None = None) -> None:
        self.contact.step = step
        self.contact.step_data = data or {}

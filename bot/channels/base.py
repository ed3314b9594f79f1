"""What every channel adapter provides, and how it reports a failed delivery."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.outbox import Claimed


@dataclass(frozen=True, slots=True)
class Caps:
    """Limits the core respects when it writes outbox rows for a channel."""

    max_text: int
    html: bool = False  # the channel shows <b> (Telegram's HTML mode, the web page)


class DeliveryError(Exception):
    """Base of the outcomes a sender acts on."""


class RetryAfter(DeliveryError):
    """The platform asked us to slow down (HTTP 429); `whole_channel` pauses every send."""

    def __init__(self, seconds: float, whole_channel: bool = True) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds, self.whole_channel = seconds, whole_channel


class Transient(DeliveryError):
    """5xx, timeouts, network errors: try again later with back-off."""


class Deferred(DeliveryError):
    """Not now and not the message's fault (WhatsApp's window is closed): the row waits."""


class Permanent(DeliveryError):
    """The platform refused this message for good (bad request)."""


class Unreachable(Permanent):
    """The person blocked the bot or deleted the chat."""


class Deliverer(Protocol):
    name: str
    caps: Caps

    async def deliver(self, msg: Claimed) -> str | None:
        """Send one row; return the platform's message id, or raise a DeliveryError."""
        ...

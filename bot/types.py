"""What the core receives and says, independent of any channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# Kinds of inbound message a channel may report; anything else arrives as "unsupported".
Kind = Literal[
    "text",
    "action",
    "sticker",
    "photo",
    "video",
    "voice",
    "audio",
    "document",
    "location",
    "contact",
    "unsupported",
    "too_long",
    "reaction",
]


@dataclass(frozen=True, slots=True)
class Button:
    """A choice offered to the person. `action` is short ASCII: Telegram allows 64 bytes."""

    label: str
    action: str
    request: str | None = None  # "phone": the channel's own "share my number" button, if any

    def to_dict(self) -> dict[str, str]:
        data = {"label": self.label, "action": self.action}
        if self.request:
            data["request"] = self.request
        return data


@dataclass(frozen=True, slots=True)
class Media:
    """An image, a document or a map pin sent with a reply."""

    kind: Literal["image", "document", "location"]
    path: str | None = None
    caption: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    def to_dict(self) -> dict[str, Any]:
        fields = ("kind", "path", "caption", "latitude", "longitude")
        return {k: getattr(self, k) for k in fields if getattr(self, k) is not None}


@dataclass(slots=True)
class Reply:
    """One message of the bot: text, buttons and optional media."""

    text: str
    buttons: list[Button] = field(default_factory=list)
    media: Media | None = None
    fmt: Literal["plain", "html"] = "plain"

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"buttons": [b.to_dict() for b in self.buttons]}
        if self.fmt != "plain":
            payload["fmt"] = self.fmt
        if self.media:
            payload["media"] = self.media.to_dict()
        return payload


@dataclass(slots=True)
class Incoming:
    """One thing a person did: wrote text, pressed a button, sent a sticker…"""

    channel: str
    user_id: str
    kind: Kind = "text"
    text: str | None = None
    action: str | None = None
    update_id: str | None = None
    message_id: str | None = None
    locale_hint: str | None = None
    display_name: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    location: tuple[float, float] | None = None
    phone: str | None = None  # the sender's number as the platform gives it (WhatsApp)
    edited: bool = False  # the person corrected a message they had sent (message_id is its id)
    # Set by the core when a typed number or label pressed one of the last buttons.
    pressed_label: str | None = None
    # The text as typed, before IINs in it were masked: only the status lookup reads it.
    raw_text: str | None = None

    @property
    def command(self) -> tuple[str, str] | None:
        """`/start src_x` → ("start", "src_x"); `/help@qonys_bot` → ("help", "")."""
        if self.kind != "text" or not self.text or not self.text.startswith("/"):
            return None
        head, _, args = self.text[1:].partition(" ")
        name = head.split("@", 1)[0].lower()
        if not name or not name.replace("_", "").isalnum() or not name.isascii():
            return None
        return name, args.strip()

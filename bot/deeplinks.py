"""Links that open Qonys with a start code, so the people each poster or booklet brought are
counted: Telegram's `?start=<code>`, WhatsApp's pre-filled `/start <code>`, the web chat's
`?start=<code>`. Only the channels the configuration names get a link."""

from __future__ import annotations

from urllib.parse import quote

from bot.settings import Settings


def start_urls(settings: Settings, code: str, username: str | None = None) -> dict[str, str]:
    """`username` is the Telegram bot's; by default the one the settings name."""
    out = {}
    username = username or (settings.telegram_bot_username or "").lstrip("@") or None
    if username:
        out["telegram"] = f"https://t.me/{username}?start={code}"
    if number := "".join(ch for ch in settings.whatsapp_phone_number or "" if ch.isdigit()):
        out["whatsapp"] = f"https://wa.me/{number}?text={quote('/start ' + code)}"
    if settings.public_url:
        out["web"] = f"{settings.public_url.rstrip('/')}/?start={code}"
    return out

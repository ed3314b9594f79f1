"""Booklets on request: drawn in a worker thread (a few seconds of CPU) once per version of the
content, one drawing at a time per booklet, kept under the data folder. The PDF libraries are
loaded with the first booklet, not when the server starts."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.deeplinks import start_urls
from bot.settings import Settings
from content.package import get_package

_locks: dict[tuple[str, str, str], asyncio.Lock] = {}


def folder(settings: Settings) -> Path:
    return settings.data_dir / "booklets"


def bot_link(settings: Settings, region: str, username: str | None = None) -> str | None:
    """Where the booklet's QR code leads: the Telegram bot, else the web chat. The start code
    counts the people each region's booklet brought (console → Links)."""
    urls = start_urls(settings, f"booklet_{region}", username)
    return urls.get("telegram") or urls.get("web")


async def get(
    settings: Settings, region: str, lang: str, size: str, username: str | None = None
) -> Path:
    """The booklet's file; ValueError for a region, language or size there is none of."""
    from content import booklet

    lib = get_package().lib
    if region not in lib.regions or lang not in booklet.LANGS or size not in booklet.SIZES:
        raise ValueError(f"no booklet {region}/{lang}/{size}")  # before a lock is made for it
    link = bot_link(settings, region, username)
    lock = _locks.setdefault((region, lang, size), asyncio.Lock())
    async with lock:
        return await asyncio.to_thread(
            booklet.build, lib, region, lang, size, folder(settings), link
        )

"""Split long texts for channels with a size limit, at paragraph boundaries where possible."""

from __future__ import annotations

import re

_SEPARATORS = ("\n\n", "\n", ". ", " ")


def split_text(text: str, limit: int) -> list[str]:
    """Parts of at most `limit` characters, cut at the last paragraph, line, sentence or word
    boundary that fits; only a single unbroken run longer than `limit` is cut mid-word."""
    text = text.strip()
    parts: list[str] = []
    while len(text) > limit:
        cut = _best_cut(text, limit)
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text or not parts:
        parts.append(text)
    return parts


def _best_cut(text: str, limit: int) -> int:
    window = text[: limit + 1]
    for sep in _SEPARATORS:
        pos = window.rfind(sep)
        if pos > limit // 4:  # a cut too early would leave a tiny first part
            return pos + (len(sep) if sep == ". " else 0) or limit
    return limit


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Drop control characters (PostgreSQL refuses NUL) and normalise line ends."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))

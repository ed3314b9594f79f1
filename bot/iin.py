"""The IIN (Kazakhstan's 12-digit personal number): checksum and keyed hash.

An IIN is checked before anything else is done with it, and is never stored or logged: only
an HMAC under a key derived from SECRET_KEY, so a leaked table cannot be reversed by trying
every number. Check digit: weights 1..11, mod 11; on 10, weights 3..11,1,2; 10 again = invalid
(facts_regions.md §4). The date digits are not checked: since 2013 they need not match.
"""

from __future__ import annotations

import hashlib
import hmac
import re

_W1 = tuple(range(1, 12))
# Twelve digits, possibly typed in groups ("850101 400120", "850101-400-120").
_CANDIDATE = re.compile(r"(?<![0-9])(?:[0-9][ \-]?){11}[0-9](?![0-9])")
MASK = "************"
_W2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def clean(text: str) -> str:
    """Digits only: people type spaces and dashes."""
    return "".join(ch for ch in text if ch.isdigit())


def is_valid(iin: str) -> bool:
    if len(iin) != 12 or not iin.isascii() or not iin.isdigit():
        return False
    digits = [int(c) for c in iin]
    check = sum(d * w for d, w in zip(digits, _W1, strict=False)) % 11
    if check == 10:
        check = sum(d * w for d, w in zip(digits, _W2, strict=False)) % 11
    return check != 10 and check == digits[11]


def keyed_hash(secret_key: str, iin: str) -> str:
    key = hashlib.sha256(("iin:" + secret_key).encode()).digest()
    return hmac.new(key, iin.encode(), hashlib.sha256).hexdigest()


def mask(text: str) -> str:
    """The text with every valid IIN in it replaced by asterisks: what a person wrote is
    stored and shown to staff this way, wherever in the conversation they wrote it."""

    def hide(found: re.Match[str]) -> str:
        return MASK if is_valid(clean(found.group())) else found.group()

    return _CANDIDATE.sub(hide, text) if text else text

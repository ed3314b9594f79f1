"""Phone numbers as people and platforms write them: +7 701…, 8 701…, 7011112233."""

from __future__ import annotations

import re


def normalise(text: str) -> str | None:
    """E.164 (`+77011112233`): Kazakhstan's trunk 8 becomes +7; other countries need a +."""
    digits = re.sub(r"\D", "", text)
    if len(digits) == 11 and digits[0] in "78":
        return "+7" + digits[1:]
    if len(digits) == 10 and digits[0] == "7":
        return "+7" + digits
    if 10 <= len(digits) <= 15 and text.strip().startswith("+"):
        return "+" + digits
    return None


def key(text: str) -> str | None:
    """Digits to compare two numbers by: the E.164 digits, or 10-15 bare digits as given
    (state systems write foreign numbers without the +)."""
    if found := normalise(text):
        return found[1:]
    digits = re.sub(r"\D", "", text)
    return digits if 10 <= len(digits) <= 15 else None

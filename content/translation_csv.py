"""Pages as CSV for translators: one row per paragraph, the Kazakh source beside the
translation, and the translated paragraphs back into the page (front matter untouched)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from bot.csvout import SafeWriter

HEADER = ["page", "paragraph", "kk", "translation", "stale"]
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def split(text: str) -> tuple[str, list[str]]:
    """A page's front matter (with its --- lines) and its paragraphs."""
    head, body = text[4:].split("\n---\n", 1)
    return f"---\n{head}\n---\n", [p for p in body.strip().split("\n\n")]


def join(head: str, paragraphs: list[str]) -> str:
    return head + "\n\n".join(paragraphs) + "\n"


def write(rows: Iterable[tuple[str, str, str, bool]]) -> str:
    """(page, kk text, translation text, stale) → CSV, paragraph by paragraph."""
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(HEADER)
    for page, kk, target, stale in rows:
        source, translated = split(kk)[1], split(target)[1]
        for n in range(max(len(source), len(translated))):
            writer.writerow([
                page, n + 1,
                source[n] if n < len(source) else "",
                translated[n] if n < len(translated) else "",
                "yes" if stale else "",
            ])  # fmt: skip
    return out.getvalue()


def uncell(value: str) -> str:
    """The cell as written before SafeWriter guarded it against spreadsheet formulas."""
    return value[1:] if value.startswith("'") and value[1:2] in FORMULA and value[1:2] else value


def read(raw: str) -> dict[str, dict[int, str]]:
    """CSV → {page: {paragraph number: translated text}}; a bad file raises ValueError."""
    reader = csv.DictReader(io.StringIO(raw))
    if reader.fieldnames is None or not {"page", "paragraph", "translation"} <= set(
        reader.fieldnames
    ):
        raise ValueError("the columns must include page, paragraph and translation")
    found: dict[str, dict[int, str]] = {}
    for row in reader:
        number = int(row["paragraph"])
        found.setdefault(row["page"], {})[number] = uncell(row["translation"] or "").strip()
    return found


def apply(text: str, paragraphs: dict[int, str]) -> str:
    """The page with the translated paragraphs in place (an empty one is left out)."""
    head, current = split(text)
    size = max([len(current), *paragraphs])
    merged = [paragraphs.get(n + 1, current[n] if n < len(current) else "") for n in range(size)]
    return join(head, [p for p in merged if p])

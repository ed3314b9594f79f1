"""A page's front matter as form fields in the studio (title, keywords, example questions,
sources, review date, related pages) and back: the text is composed from the fields, so an
editor never has to get YAML right."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import yaml


@dataclass
class Fields:
    title: str = ""
    keywords: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    reviewed: str = ""
    related: list[str] = field(default_factory=list)
    body: str = ""


def decompose(text: str) -> Fields:
    """The fields of a page's text (empty ones where the front matter is broken)."""
    head, _, body = text[4:].partition("\n---\n") if text.startswith("---\n") else ("", "", text)
    try:
        meta = yaml.safe_load(head) or {}
    except yaml.YAMLError:
        meta = {}
    meta = meta if isinstance(meta, dict) else {}

    def items(key: str) -> list[str]:
        value = meta.get(key) or []
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]

    return Fields(
        title=str(meta.get("title", "")), keywords=items("keywords"),
        questions=items("questions"), sources=items("sources"),
        reviewed=str(meta.get("reviewed", "")), related=items("related"), body=body.strip("\n"),
    )  # fmt: skip


def compose(f: Fields) -> str:
    """The page's text from its fields; every string quoted (JSON strings are YAML)."""

    def flow(values: list[str]) -> str:
        return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"

    lines = [
        "---",
        f"title: {json.dumps(f.title, ensure_ascii=False)}",
        f"keywords: {flow(f.keywords)}",
        "questions:" if f.questions else "questions: []",
        *(f"  - {json.dumps(q, ensure_ascii=False)}" for q in f.questions),
        f"sources: {flow(f.sources)}",
        f"reviewed: {f.reviewed}",
        f"related: {flow(f.related)}",
        "---",
        "",
    ]
    return "\n".join(lines) + f.body.strip("\n") + "\n"


def from_form(data: dict) -> Fields:
    """The fields as the edit form posts them: lists comma-separated, questions one a line."""

    def split(key: str, sep: str = ",") -> list[str]:
        return [x.strip() for x in str(data.get(key, "")).replace("\r", "").split(sep) if x.strip()]

    return Fields(
        title=str(data.get("title", "")).strip(), keywords=split("keywords"),
        questions=split("questions", "\n"), sources=split("sources"),
        reviewed=str(data.get("reviewed", "")).strip(), related=split("related"),
        body=str(data.get("body", "")).replace("\r\n", "\n"),
    )  # fmt: skip

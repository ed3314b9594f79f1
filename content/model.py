"""The information package as data: topics, regions, sources and entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

LANGS = ("kk", "ru", "en")
PROGRAMME = "programme"


@dataclass(frozen=True)
class Source:
    id: str
    publisher: dict[str, str]
    title: str
    date: str  # YYYY-MM-DD, YYYY-MM or YYYY
    url: str | None = None


@dataclass(frozen=True)
class Topic:
    id: str
    scope: str  # "region" | "programme"
    order: int
    label: dict[str, str]
    next: tuple[str, ...] = ()
    compare: bool = False


@dataclass(frozen=True)
class Climate:
    kind: str  # "records": monthly absolute min/max; "means": monthly means
    station: dict[str, str]
    source: str
    min: tuple[float | None, ...]
    max: tuple[float | None, ...]


@dataclass(frozen=True)
class Region:
    id: str
    name: dict[str, str]
    centre: dict[str, str]
    receives: tuple[str, ...]
    aliases: tuple[str, ...]
    climate: Climate | None = None


@dataclass
class Entry:
    """One topic in one language: a programme section or a region's topic."""

    topic: str
    region: str | None
    lang: str
    title: str
    keywords: list[str]
    questions: list[str]
    sources: list[str]
    reviewed: date
    related: list[str]
    short: str  # template source, shown first
    more: str  # template source, shown on "More"
    path: Path

    @property
    def key(self) -> str:
        """`pavlodar/climate` or `programme/steps`, the same in every language."""
        return f"{self.region or PROGRAMME}/{self.topic}"


@dataclass
class Library:
    root: Path
    topics: dict[str, dict[str, Topic]]  # scope -> id -> Topic
    regions: dict[str, Region]
    sources: dict[Path, dict[str, Source]]  # folder -> its sources (root: shared)
    mci: dict[int, tuple[int, str]]  # year -> (tenge, source id)
    entries: dict[tuple[str, str], Entry] = field(default_factory=dict)  # (key, lang)

    def entry(self, key: str, lang: str) -> Entry | None:
        return self.entries.get((key, lang))

    def source(self, source_id: str, folder: Path) -> Source | None:
        return self.sources.get(folder, {}).get(source_id) or self.sources.get(self.root, {}).get(
            source_id
        )

    def topic(self, topic_id: str, region: str | None) -> Topic | None:
        return self.topics["region" if region else "programme"].get(topic_id)

    def keys(self) -> list[str]:
        return sorted({key for key, _ in self.entries})

    def latest_mci_year(self) -> int:
        return max(self.mci)

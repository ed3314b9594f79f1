"""The information package as data: topics, regions, sources and entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from content.facts import Fact
from content.places import Gazetteer

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
class Region:
    id: str
    name: dict[str, str]
    short: dict[str, str]  # on buttons (WhatsApp shows 20 characters)
    centre: dict[str, str]
    receives: tuple[str, ...]
    aliases: tuple[str, ...]
    station: dict[str, str] | None = None  # the weather station its climate facts are from


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
    sources: dict[str, Source]  # one namespace, whichever sources*.yaml defines them
    facts: dict[str, Fact] = field(default_factory=dict)
    entries: dict[tuple[str, str], Entry] = field(default_factory=dict)  # (key, lang)
    places: Gazetteer = field(default_factory=Gazetteer)

    def entry(self, key: str, lang: str) -> Entry | None:
        return self.entries.get((key, lang))

    def source(self, source_id: str, folder: Path | None = None) -> Source | None:
        return self.sources.get(source_id)

    @property
    def mci(self) -> dict[int, tuple[float, str]]:
        """The MCI of each year in tenge, with its source: facts `kz.mci.<year>`."""
        return {
            int(key.rsplit(".", 1)[1]): (f.value, f.source)
            for key, f in self.facts.items()
            if key.startswith("kz.mci.") and key.rsplit(".", 1)[1].isdigit()
        }

    def topic(self, topic_id: str, region: str | None) -> Topic | None:
        return self.topics["region" if region else "programme"].get(topic_id)

    def keys(self) -> list[str]:
        return sorted({key for key, _ in self.entries})

    def latest_mci_year(self) -> int:
        return max(self.mci)

    def facts_of(self, prefix: str) -> dict[str, Fact]:
        return {k: f for k, f in self.facts.items() if k.startswith(prefix)}

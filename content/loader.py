"""Reads `content/` into a Library; collects problems instead of stopping at the first."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

from content.facts import load_facts
from content.model import LANGS, PROGRAMME, Entry, Library, Region, Source, Topic
from content.places import load_places
from content.yamlfast import load_yaml

ROOT = Path(__file__).resolve().parent
MORE = "<!-- more -->"


class Problem(BaseModel):
    level: str  # "error" | "warning"
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.path}: {self.message}"


class FrontMatter(BaseModel):
    model_config = {"extra": "forbid"}

    title: str = Field(min_length=2, max_length=80)
    keywords: list[str] = Field(min_length=3)
    questions: list[str] = Field(min_length=2)
    sources: list[str]
    reviewed: date
    related: list[str] = []

    @field_validator("keywords", "questions")
    @classmethod
    def _no_blanks(cls, values: list[str]) -> list[str]:
        if any(not str(v).strip() for v in values):
            raise ValueError("empty item")
        return [str(v) for v in values]


class Trilingual(BaseModel):
    kk: str = Field(min_length=1)
    ru: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def text(self, lang: str) -> str:
        return getattr(self, lang)


class SourceModel(BaseModel):
    model_config = {"extra": "forbid"}

    publisher: Trilingual
    title: str
    url: str | None = None
    date: str = Field(pattern=r"^(\d{4}(-\d{2}(-\d{2})?)?|unknown)$")  # "unknown": not stated

    @field_validator("date", mode="before")
    @classmethod
    def _as_text(cls, value: object) -> object:
        return value.isoformat() if isinstance(value, date) else str(value)


class RegionModel(BaseModel):
    model_config = {"extra": "forbid"}

    name: Trilingual
    short: Trilingual | None = None  # the name on a button, when the full one passes 20 chars
    centre: Trilingual
    receives: list[str] = Field(min_length=1)
    aliases: list[str] = Field(min_length=2)
    station: Trilingual | None = None  # where its climate facts were measured


def _yaml(path: Path, problems: list[Problem]) -> Any:
    try:
        return load_yaml(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.append(Problem(level="error", path=_rel(path), message=f"bad YAML: {exc}"))
        return None


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT.parent))
    except ValueError:
        return str(path)


def _error(problems: list[Problem], path: Path, exc: ValidationError | str) -> None:
    if isinstance(exc, ValidationError):
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            problems.append(
                Problem(level="error", path=_rel(path), message=f"{where}: {err['msg']}")
            )
    else:
        problems.append(Problem(level="error", path=_rel(path), message=exc))


def load(root: Path = ROOT) -> tuple[Library, list[Problem]]:
    problems: list[Problem] = []
    lib = Library(root=root, topics=_topics(root, problems), regions={}, sources={})
    for folder in [root, root / PROGRAMME, *sorted((root / "regions").glob("*/"))]:
        for sid, source in _sources(folder, problems).items():
            if sid in lib.sources:
                _error(problems, folder, f"source {sid} is defined twice: one id, one source")
            lib.sources[sid] = source
    lib.facts, fact_problems = load_facts(root / "facts")
    for path, message in fact_problems:
        _error(problems, path, message)
    for folder in sorted((root / "regions").glob("*/")):
        if region := _region(folder, problems):
            lib.regions[region.id] = region
    for path in sorted(root.glob("programme/*.md")) + sorted(root.glob("regions/*/*.md")):
        if entry := _entry(path, problems):
            lib.entries[(entry.key, entry.lang)] = entry
    lib.places, place_problems = load_places(root / "places")
    for path, message in place_problems:
        _error(problems, path, message)
    for rid in lib.regions:
        if not lib.places.receiving.get(rid, True):
            _error(problems, root / "places" / f"{rid}.yaml", f"{rid} receives: say so")
    return lib, problems


def _topics(root: Path, problems: list[Problem]) -> dict[str, dict[str, Topic]]:
    data = _yaml(root / "topics.yaml", problems) or {}
    topics: dict[str, dict[str, Topic]] = {"region": {}, "programme": {}}
    for scope in topics:
        for tid, spec in (data.get(scope) or {}).items():
            topics[scope][tid] = Topic(
                id=tid,
                scope=scope,
                order=int(spec["order"]),
                label=dict(spec["label"]),
                next=tuple(spec.get("next", ())),
                compare=bool(spec.get("compare", False)),
            )
    return topics


def _sources(folder: Path, problems: list[Problem]) -> dict[str, Source]:
    found: dict[str, Source] = {}
    for path in sorted(folder.glob("sources*.yaml")):
        for sid, spec in (_yaml(path, problems) or {}).items():
            try:
                model = SourceModel.model_validate(spec)
            except ValidationError as exc:
                _error(
                    problems,
                    path,
                    f"source {sid}: {exc.errors()[0]['msg']} ({exc.errors()[0]['loc']})",
                )
                continue
            if sid in found:
                _error(problems, path, f"source {sid} defined twice in {folder.name}")
            found[str(sid)] = Source(
                id=str(sid),
                publisher=model.publisher.model_dump(),
                title=model.title,
                url=model.url,
                date=model.date,
            )
    return found


def _region(folder: Path, problems: list[Problem]) -> Region | None:
    path = folder / "region.yaml"
    if not path.exists():
        _error(problems, path, "missing region.yaml")
        return None
    try:
        model = RegionModel.model_validate(_yaml(path, problems) or {})
    except ValidationError as exc:
        _error(problems, path, exc)
        return None
    return Region(
        id=folder.name,
        name=model.name.model_dump(),
        short=(model.short or model.name).model_dump(),
        centre=model.centre.model_dump(),
        receives=tuple(model.receives),
        aliases=tuple(a.lower() for a in model.aliases),
        station=model.station.model_dump() if model.station else None,
    )


def _entry(path: Path, problems: list[Problem]) -> Entry | None:
    return parse_entry(path, path.read_text(encoding="utf-8"), problems)


def parse_entry(path: Path, text: str, problems: list[Problem]) -> Entry | None:
    """A page from its text (a file's, or an edit in the console's studio)."""
    topic, _, lang = path.stem.rpartition(".")
    if lang not in LANGS or not topic:
        _error(problems, path, "name must be <topic>.<kk|ru|en>.md")
        return None
    if not text.startswith("---\n") or "\n---\n" not in text[4:]:
        _error(problems, path, "missing front matter between --- lines")
        return None
    head, body = text[4:].split("\n---\n", 1)
    try:
        meta = FrontMatter.model_validate(load_yaml(head) or {})
    except (yaml.YAMLError, ValidationError) as exc:
        _error(problems, path, exc if isinstance(exc, ValidationError) else f"bad YAML: {exc}")
        return None
    short, _, more = body.partition(MORE)
    region = None if path.parent.name == PROGRAMME else path.parent.name
    return Entry(
        topic=topic,
        region=region,
        lang=lang,
        title=meta.title,
        keywords=meta.keywords,
        questions=meta.questions,
        sources=meta.sources,
        reviewed=meta.reviewed,
        related=meta.related,
        short=short.strip(),
        more=more.strip(),
        path=path,
    )

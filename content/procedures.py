"""The procedures as data: document checklists (content/checklists/), application statuses
(content/statuses.yaml) and the services one can book (content/appointments/services.yaml).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError

from content.loader import ROOT, Problem, Trilingual, _rel
from content.model import Library, Source
from content.render import source_date
from content.scripts import MARK
from content.yamlfast import load_yaml

Id = Field(pattern=r"^[a-z0-9_]{1,32}$")
Per = Literal[
    "applicant",
    "spouse",
    "each_adult",
    "each_child",
    "each_school_child",
    "each_preschool_child",
    "household",
]
Programme = Literal["resettler", "kandas"]
FIELD_MAX = 240
BUTTON_MAX = 20  # WhatsApp's reply buttons; a list row (24) also holds "NN. " before it


class Item(BaseModel):
    model_config = {"extra": "forbid"}

    id: str = Id
    per: Per = "applicant"
    title: Trilingual
    button: Trilingual  # the title on a button: WhatsApp shows 24 characters, "NN. " included
    what: Trilingual
    issuer: Trilingual
    takes: Trilingual
    where: Trilingual
    form: Literal["original", "copy", "original_and_copy", "electronic", "none"] = "copy"
    fetched: bool = False
    fetched_note: Trilingual | None = None
    source: str


class Checklist(BaseModel):
    model_config = {"extra": "forbid"}

    id: str = Id
    programmes: list[Programme]
    title: Trilingual
    button: Trilingual  # the title on a button: at most 20 characters (a WhatsApp reply button)
    intro: Trilingual
    reviewed: date
    source: str
    items: list[Item]


class Status(BaseModel):
    model_config = {"extra": "forbid"}

    id: str = Id
    programmes: list[Programme]
    title: Trilingual
    explain: Trilingual
    next: Trilingual
    deadline_days: int | None = Field(None, ge=0, le=365)
    final: bool = False
    source: str


class Service(BaseModel):
    model_config = {"extra": "forbid"}

    id: str = Id
    title: Trilingual
    bring: Trilingual
    checklist: str | None = None


@dataclass(frozen=True)
class Procedures:
    checklists: dict[str, Checklist]
    statuses: dict[str, Status]
    services: dict[str, Service]

    def checklists_for(self, programme: str | None) -> list[Checklist]:
        if programme not in ("resettler", "kandas"):
            return list(self.checklists.values())
        return [c for c in self.checklists.values() if programme in c.programmes]


def _read(path: Path, problems: list[Problem]) -> dict:
    try:
        return load_yaml(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        problems.append(Problem(level="error", path=_rel(path), message=str(exc)[:300]))
        return {}


def _validated(model: type[BaseModel], data: object, path: Path, problems: list[Problem]):  # type: ignore[no-untyped-def]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.append(Problem(level="error", path=_rel(path), message=str(exc)[:500]))
        return None


def load(root: Path = ROOT) -> tuple[Procedures, list[Problem]]:
    problems: list[Problem] = []
    checklists: dict[str, Checklist] = {}
    for path in sorted((root / "checklists").glob("*.yaml")):
        if (c := _validated(Checklist, _read(path, problems), path, problems)) is not None:
            if c.id != path.stem:
                problems.append(Problem(level="error", path=_rel(path), message="id ≠ file name"))
            checklists[c.id] = c
    statuses_path = root / "statuses.yaml"
    statuses = {}
    for raw in _read(statuses_path, problems).get("statuses", []):
        if (st := _validated(Status, raw, statuses_path, problems)) is not None:
            statuses[st.id] = st
    services_path = root / "appointments" / "services.yaml"
    services = {}
    for raw in _read(services_path, problems).get("services", []):
        if (sv := _validated(Service, raw, services_path, problems)) is not None:
            services[sv.id] = sv
    return Procedures(checklists, statuses, services), problems


def check(p: Procedures, lib: Library, root: Path = ROOT) -> list[Problem]:
    """Sources exist, ids are unique, texts fit a phone screen, references resolve."""
    out: list[tuple[str, str]] = []
    for c in p.checklists.values():
        where = f"content/checklists/{c.id}.yaml"
        ids = [i.id for i in c.items]
        if len(ids) != len(set(ids)):
            out.append((where, "duplicate item ids"))
        for sid in [c.source] + [i.source for i in c.items]:
            if source(lib, sid) is None:
                out.append((where, f"unknown source {sid}"))
        out += [
            (where, f"{owner}.button.{lang} over {BUTTON_MAX} characters: {text}")
            for owner, button in [("title", c.button), *((i.id, i.button) for i in c.items)]
            for lang, text in button.model_dump().items()
            if len(text) > BUTTON_MAX
        ]
        for item in c.items:
            if item.fetched and item.fetched_note is None:
                out.append((where, f"{item.id}: fetched items need a fetched_note"))
            for name in ("title", "what", "issuer", "takes", "where"):
                for lang, text in getattr(item, name).model_dump().items():
                    if len(text) > FIELD_MAX:
                        out.append((where, f"{item.id}.{name}.{lang} over {FIELD_MAX} chars"))
    for st in p.statuses.values():
        if source(lib, st.source) is None:
            out.append(("content/statuses.yaml", f"{st.id}: unknown source {st.source}"))
    for sv in p.services.values():
        if sv.checklist and sv.checklist not in p.checklists:
            out.append(("content/appointments/services.yaml", f"{sv.id}: unknown checklist"))
    for programme in ("resettler", "kandas"):
        if not any(programme in st.programmes for st in p.statuses.values()):
            out.append(("content/statuses.yaml", f"no statuses for {programme}"))
    return [Problem(level="error", path=w, message=m) for w, m in out]


def source(lib: Library, source_id: str) -> Source | None:
    """Sources of procedures live in the shared file or the programme folder's files."""
    return lib.source(source_id, lib.root / "programme")


def source_line(lib: Library, source_id: str, lang: str) -> str:
    src = source(lib, source_id)
    if src is None:
        return ""
    return f"{MARK}{src.publisher[lang]}{MARK}, {source_date(src.date, lang)}"


_building = threading.Lock()
_live: dict[str, Procedures] = {}


def get_procedures() -> Procedures:
    """Built once; callers during the build wait for it (see get_package)."""
    with _building:
        if "procedures" not in _live:
            _live["procedures"] = _build(ROOT)
        return _live["procedures"]


def install_procedures(root: Path) -> Procedures:
    """Answer from the procedures in `root` from now on (a publish in the studio)."""
    procedures = _build(root)
    with _building:
        _live["procedures"] = procedures
    return procedures


def _build(root: Path) -> Procedures:
    procedures, problems = load(root)
    if problems:
        raise RuntimeError("; ".join(str(p) for p in problems[:5]))
    return procedures


@dataclass(frozen=True)
class Household:
    adults: int = 1
    children: int = 0
    ages: tuple[int, ...] = ()  # may be shorter than `children` when ages were not given


@dataclass(frozen=True)
class PersonalItem:
    key: str  # "birth_certificate:2" for the second child's
    item: Item
    member: tuple[str, int] | None = None  # ("adult", 2), ("child", 1), ("spouse", 1)


SCHOOL_AGES, PRESCHOOL_AGES = range(6, 18), range(1, 6)


def personal_items(checklist: Checklist, home: Household) -> list[PersonalItem]:
    """The items for this household: a spouse adds theirs, each child theirs, and so on.
    Children of unknown age get the school/preschool item once, as a reminder to check."""
    out: list[PersonalItem] = []
    for item in checklist.items:
        for member in _members(item.per, home):
            key = item.id if member is None else f"{item.id}:{member[1]}"
            out.append(PersonalItem(key, item, member))
    return out


def _members(per: str, home: Household) -> list[tuple[str, int] | None]:
    children = [("child", i) for i in range(1, max(home.children, len(home.ages)) + 1)]

    def aged(ages: range) -> list[tuple[str, int] | None]:
        known = [("child", i) for i, age in enumerate(home.ages, 1) if age in ages]
        unknown = len(children) > len(home.ages)
        return [*known, None] if unknown else list(known)

    match per:
        case "applicant" | "household":
            return [None]
        case "spouse":
            return [("spouse", 1)] if home.adults >= 2 else []
        case "each_adult":
            return [("adult", i) for i in range(1, max(home.adults, 1) + 1)]
        case "each_child":
            return list(children)
        case "each_school_child":
            return aged(SCHOOL_AGES)
        case "each_preschool_child":
            return aged(PRESCHOOL_AGES)
    return []

"""The questionnaires as data: consent text, profile and assessment questions, places, and the
rules that turn answers into needs flags and recommended sections (content/questionnaire/)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from content.loader import ROOT, Problem, Trilingual, _rel
from content.yamlfast import load_yaml

FOLDER = ROOT / "questionnaire"
PROFILE_FIELDS = (
    "programme", "origin_region", "origin_country", "destination", "settlement_before",
    "settlement_after", "adults", "children", "children_ages", "gender", "age_band", "education",
    "profession", "languages", "phone", "stage",
)  # fmt: skip
AREAS = ("income", "employment", "education", "housing", "psychological", "community", "language")
FACTS = ("school_age_children", "preschool_children")
LABEL_MAX = 24  # WhatsApp list rows; buttons allow 20, the channel shortens the rest
Id = Field(pattern=r"^[a-z0-9_+\-]{1,20}$")


class Option(BaseModel):
    id: str = Id
    label: Trilingual


class Question(BaseModel):
    model_config = {"extra": "forbid"}

    id: str = Id
    text: Trilingual
    kind: Literal["choice", "number", "ages", "text", "phone"] = "choice"
    options: list[Option] = []
    options_from: Literal["receiving_regions", "sending_regions", "countries"] | None = None
    when: dict[str, list[str]] = {}
    field: str | None = None
    area: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if self.kind == "choice" and not (self.options or self.options_from):
            raise ValueError(f"{self.id}: a choice needs options or options_from")
        return self


class Rule(BaseModel):
    model_config = {"extra": "forbid"}

    flag: str
    area: str
    priority: int = 50
    when: dict[str, dict[str, list[str]] | list[str]] = {}
    section: str
    summary: Trilingual


class Place(BaseModel):
    id: str = Id
    name: Trilingual


@dataclass(frozen=True)
class Questionnaires:
    consent_version: str
    consent_text: dict[str, str]
    profile: list[Question]
    assessment: list[Question]
    rules: list[Rule]
    places: dict[str, list[Place]]  # sending_regions, countries

    def question(self, questionnaire: str, qid: str) -> Question | None:
        return next((q for q in getattr(self, questionnaire) if q.id == qid), None)


def load(folder: Path = FOLDER) -> tuple[Questionnaires | None, list[Problem]]:
    problems: list[Problem] = []

    def read(name: str) -> dict:
        path = folder / name
        try:
            return load_yaml(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            problems.append(Problem(level="error", path=_rel(path), message=str(exc)[:200]))
            return {}

    consent, places = read("consent.yaml"), read("places.yaml")
    try:
        q = Questionnaires(
            consent_version=str(consent["version"]),
            consent_text=Trilingual.model_validate(consent["text"]).model_dump(),
            profile=[Question.model_validate(x) for x in read("profile.yaml")["questions"]],
            assessment=[Question.model_validate(x) for x in read("assessment.yaml")["questions"]],
            rules=[Rule.model_validate(x) for x in read("recommendations.yaml")["rules"]],
            places={k: [Place.model_validate(p) for p in places.get(k, [])] for k in
                    ("sending_regions", "countries")},
        )  # fmt: skip
    except (KeyError, TypeError, ValidationError) as exc:
        problems.append(Problem(level="error", path=_rel(folder), message=str(exc)[:500]))
        return None, problems
    return q, problems + check(q, folder)


def check(q: Questionnaires, folder: Path) -> list[Problem]:
    out: list[str] = []
    for name, questions in (("profile", q.profile), ("assessment", q.assessment)):
        ids = [x.id for x in questions]
        if len(ids) != len(set(ids)):
            out.append(f"{name}: duplicate question ids")
        for x in questions:
            if name == "profile" and x.field not in PROFILE_FIELDS:
                out.append(f"profile/{x.id}: field must be one of {', '.join(PROFILE_FIELDS)}")
            if name == "assessment" and x.area not in AREAS:
                out.append(f"assessment/{x.id}: area must be one of {', '.join(AREAS)}")
            for opt in x.options:
                for lang, label in opt.label.model_dump().items():
                    if len(label) > LABEL_MAX:
                        out.append(f"{name}/{x.id}/{opt.id}: {lang} label over {LABEL_MAX} chars")
    assessment_ids = {x.id: {o.id for o in x.options} for x in q.assessment}
    for rule in q.rules:
        if rule.area not in AREAS:
            out.append(f"rule {rule.flag}: unknown area {rule.area}")
        for qid, options in dict(rule.when.get("assessment", {})).items():  # type: ignore[arg-type]
            if qid not in assessment_ids or not set(options) <= assessment_ids[qid]:
                out.append(f"rule {rule.flag}: assessment {qid}={options} does not exist")
        for fact in rule.when.get("facts", []):  # type: ignore[union-attr]
            if fact not in FACTS:
                out.append(f"rule {rule.flag}: unknown fact {fact}")
    return [Problem(level="error", path=_rel(folder), message=m) for m in out]


_live: dict[str, Questionnaires] = {}


def get_questionnaires() -> Questionnaires:
    if "q" not in _live:
        _live["q"] = _build(FOLDER)
    return _live["q"]


def install_questionnaires(folder: Path) -> Questionnaires:
    """Ask the questionnaires in `folder` from now on (a publish in the studio)."""
    _live["q"] = _build(folder)
    return _live["q"]


def _build(folder: Path) -> Questionnaires:
    q, problems = load(folder)
    if q is None:
        raise RuntimeError("; ".join(str(p) for p in problems))
    return q

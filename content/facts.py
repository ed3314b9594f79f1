"""The facts registry: every figure of the package once, with its unit, period, source and
review date. Pages, comparisons, charts and the moving-cost estimate take figures only from
here; a change of law or of a price is one edit in `content/facts/*.yaml`.

A fact's key is `<file>.<id>`: `pavlodar.rent.flat_2room` is `rent.flat_2room` in
`content/facts/pavlodar.yaml`. Its value is a number, a range `[low, high]`, twelve monthly
values (a climate series) or a short text (a phone number).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from content.yamlfast import load_yaml

PERIOD = r"^(\d{4}(-\d{2}(-\d{2})?)?(/\d{4}(-\d{2})?)?|unknown)$"


@dataclass(frozen=True)
class Unit:
    """How a unit reads after a number (`{n}`) in each language, and as a label."""

    shown: dict[str, str]
    label: dict[str, str]
    money: bool = False


def _u(kk: str, ru: str, en: str, lkk: str, lru: str, len_: str, money: bool = False) -> Unit:
    return Unit({"kk": kk, "ru": ru, "en": en}, {"kk": lkk, "ru": lru, "en": len_}, money)


# Units of figures in prose keep their word in the sentence (the grammar needs it there: «2
# жыл», «на 2 года»), so `fact()` prints the bare number unless asked for the unit; tables,
# comparisons and the estimate print the unit from here.
UNITS: dict[str, Unit] = {
    "KZT": _u("{n} ₸", "{n} ₸", "{n} ₸", "теңге", "тенге", "tenge", True),
    "thousand KZT": _u(
        "{n} мың ₸",
        "{n} тыс. ₸",
        "{n} thousand ₸",
        "мың теңге",
        "тыс. тенге",
        "thousand tenge",
        True,
    ),
    "million KZT": _u(
        "{n} млн ₸", "{n} млн ₸", "{n} million ₸", "млн теңге", "млн тенге", "million tenge", True
    ),
    "billion KZT": _u(
        "{n} млрд ₸",
        "{n} млрд ₸",
        "{n} billion ₸",
        "млрд теңге",
        "млрд тенге",
        "billion tenge",
        True,
    ),
    "KZT/month": _u(
        "айына {n} ₸",
        "{n} ₸ в месяц",
        "₸{n} a month",
        "теңге/ай",
        "тенге/мес.",
        "tenge/month",
        True,
    ),
    "KZT/m2": _u("{n} ₸/м²", "{n} ₸/м²", "{n} ₸/m²", "теңге/м²", "тенге/м²", "tenge/m²", True),
    "KZT/m2/month": _u(
        "айына {n} ₸/м²",
        "{n} ₸/м² в месяц",
        "₸{n}/m² a month",
        "теңге/м² айына",
        "тенге/м² в месяц",
        "tenge/m² a month",
        True,
    ),
    "KZT/tonne": _u("{n} ₸/т", "{n} ₸/т", "₸{n}/tonne", "теңге/т", "тенге/т", "tenge/tonne", True),
    "KZT/kWh": _u(
        "{n} ₸/кВт·сағ",
        "{n} ₸/кВт·ч",
        "₸{n}/kWh",
        "теңге/кВт·сағ",
        "тенге/кВт·ч",
        "tenge/kWh",
        True,
    ),
    "MCI": _u("{n} АЕК", "{n} МРП", "{n} MCI", "АЕК", "МРП", "MCI"),
    "percent": _u("{n}%", "{n}%", "{n}%", "%", "%", "%"),
    "degC": _u("{n} °C", "{n} °C", "{n} °C", "°C", "°C", "°C"),
    "days": _u("{n} күн", "{n} дн.", "{n} days", "күн", "дней", "days"),
    "working days": _u(
        "{n} жұмыс күні",
        "{n} раб. дн.",
        "{n} working days",
        "жұмыс күні",
        "рабочих дней",
        "working days",
    ),
    "months": _u("{n} ай", "{n} мес.", "{n} months", "ай", "месяцев", "months"),
    "years": _u("{n} жыл", "{n} г.", "{n} years", "жыл", "лет", "years"),
    "hours": _u("{n} сағ", "{n} ч", "{n} h", "сағат", "часов", "hours"),
    "minutes": _u("{n} мин", "{n} мин", "{n} min", "минут", "минут", "minutes"),
    "ha": _u("{n} га", "{n} га", "{n} ha", "гектар", "гектаров", "hectares"),
    "km": _u("{n} км", "{n} км", "{n} km", "км", "км", "km"),
    "cm": _u("{n} см", "{n} см", "{n} cm", "см", "см", "cm"),
    "mm": _u("{n} мм", "{n} мм", "{n} mm", "мм", "мм", "mm"),
    "m": _u("{n} м", "{n} м", "{n} m", "м", "м", "m"),
    "m2": _u("{n} м²", "{n} м²", "{n} m²", "м²", "м²", "m²"),
    "tonnes": _u("{n} т", "{n} т", "{n} t", "тонна", "тонн", "tonnes"),
    "people": _u("{n} адам", "{n} чел.", "{n} people", "адам", "человек", "people"),
    "families": _u("{n} отбасы", "{n} семей", "{n} families", "отбасы", "семей", "families"),
    "count": _u("{n}", "{n}", "{n}", "", "", ""),
    "phone": _u("{n}", "{n}", "{n}", "", "", ""),
}


@dataclass(frozen=True)
class Fact:
    key: str
    value: Any  # float | str | (low, high) | 12 monthly values (None where not published)
    unit: str
    period: str  # what time the figure describes: YYYY, YYYY-MM, YYYY-MM-DD, a span, "unknown"
    source: str
    review_by: date | None
    label: dict[str, str] | None
    note: str | None
    path: Path

    @property
    def kind(self) -> str:
        if isinstance(self.value, str):
            return "text"
        if isinstance(self.value, tuple):
            return "series" if len(self.value) == 12 else "range"
        return "number"

    @property
    def scope(self) -> str:
        """The file it lives in: a region id, `kz` (national and programme), `iom`, …"""
        return self.key.split(".", 1)[0]


class FactModel(BaseModel):
    model_config = {"extra": "forbid"}

    value: float | str | list[float | None]
    unit: str
    period: str = Field(pattern=PERIOD)
    source: str
    review_by: date | None = None
    label: dict[str, str] | None = None
    note: str | None = None

    @field_validator("period", mode="before")
    @classmethod
    def _as_text(cls, value: object) -> object:
        return value.isoformat() if isinstance(value, date) else str(value)

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, value: str) -> str:
        if value not in UNITS:
            raise ValueError(f"unknown unit {value!r}; one of: {', '.join(UNITS)}")
        return value

    @field_validator("label")
    @classmethod
    def _three_languages(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is not None and set(value) != {"kk", "ru", "en"}:
            raise ValueError("a label needs kk, ru and en")
        return value

    @model_validator(mode="after")
    def _shape(self) -> FactModel:
        if isinstance(self.value, list):
            if len(self.value) not in (2, 12):
                raise ValueError("a list value is a range [low, high] or 12 monthly values")
            if len(self.value) == 2 and None in self.value:
                raise ValueError("a range needs both ends")
        return self


def load_facts(folder: Path) -> tuple[dict[str, Fact], list[tuple[Path, str]]]:
    """Every fact under `folder`, and the problems found (path, message)."""
    import yaml

    facts: dict[str, Fact] = {}
    problems: list[tuple[Path, str]] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = load_yaml(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            problems.append((path, f"bad YAML: {exc}"))
            continue
        for fid, spec in data.items():
            key = f"{path.stem}.{fid}"
            try:
                model = FactModel.model_validate(spec)
            except ValidationError as exc:
                err = exc.errors()[0]
                problems.append(
                    (path, f"fact {fid}: {err['msg']} ({'.'.join(map(str, err['loc']))})")
                )
                continue
            value = tuple(model.value) if isinstance(model.value, list) else model.value
            facts[key] = Fact(
                key, value, model.unit, model.period, model.source, model.review_by,
                model.label, model.note, path,
            )  # fmt: skip
    return facts, problems

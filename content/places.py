"""The gazetteer: settlements and districts of the receiving and sending regions, so that a
person may name their town ("Рудныйда", "в Лисаковске", "from Ekibastuz") or share a pin and
be answered for its region. Data: content/places/<region>.yaml (see its README)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from content.yamlfast import load_yaml

KINDS = ("city", "town", "district", "village")
EARTH_KM = 6371.0
NEAR_KM = 60.0  # farther than this from every settlement we know, a pin names no place


@dataclass(frozen=True)
class Place:
    id: str
    region: str
    kind: str
    name: dict[str, str]
    also: tuple[str, ...] = ()
    old: tuple[str, ...] = ()
    district: str | None = None
    lat: float | None = None
    lon: float | None = None
    population: int | None = None
    kato: str | None = None

    def spellings(self) -> list[str]:
        return [*self.name.values(), *self.also, *self.old]


@dataclass
class Gazetteer:
    places: dict[str, Place] = field(default_factory=dict)
    receiving: dict[str, bool] = field(default_factory=dict)  # region id → people move there
    region_names: dict[str, dict[str, str]] = field(default_factory=dict)  # only where given
    _coords: Any = None  # (n, 3) unit vectors of the places with coordinates
    _with_coords: list[str] = field(default_factory=list)

    def in_region(self, region: str) -> list[Place]:
        return [p for p in self.places.values() if p.region == region]

    def nearest(self, lat: float, lon: float) -> tuple[Place, float] | None:
        """The closest settlement (not a district) to a point, and its distance in km."""
        if self._coords is None:
            self._index()
        if not self._with_coords:
            return None
        dots = self._coords @ _unit(lat, lon)
        best = int(np.argmax(dots))
        km = EARTH_KM * math.acos(max(-1.0, min(1.0, float(dots[best]))))
        return self.places[self._with_coords[best]], km

    def _index(self) -> None:
        towns = [p for p in self.places.values() if p.kind != "district" and p.lat is not None]
        self._with_coords = [p.id for p in towns]
        self._coords = (
            np.array([_unit(p.lat, p.lon) for p in towns])  # type: ignore[arg-type]
            if towns
            else np.zeros((0, 3))
        )


def _unit(lat: float, lon: float) -> Any:
    la, lo = math.radians(lat), math.radians(lon)
    return np.array([math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)])


def load_places(folder: Path) -> tuple[Gazetteer, list[tuple[Path, str]]]:
    """Every content/places/*.yaml; problems as (file, message) for `qonys content check`."""
    gaz, problems = Gazetteer(), []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = load_yaml(path.read_text(encoding="utf-8")) or {}
            _add_file(gaz, data, path, problems)
        except (yaml.YAMLError, TypeError, ValueError, KeyError, AttributeError) as exc:
            problems.append((path, f"cannot read: {exc}"))
    return gaz, problems


def _add_file(gaz: Gazetteer, data: dict, path: Path, problems: list) -> None:  # type: ignore[type-arg]
    region = data["region"]
    if region != path.stem:
        problems.append((path, f"region {region!r} in a file named {path.name}"))
    gaz.receiving[region] = bool(data.get("receiving"))
    if data.get("name"):
        gaz.region_names[region] = dict(data["name"])
    for spec in data.get("places") or []:
        place = _place(region, spec)
        if place.id in gaz.places:
            problems.append((path, f"place {place.id} is defined twice"))
        if place.kind not in KINDS:
            problems.append((path, f"place {place.id}: kind {place.kind!r} is not {KINDS}"))
        if not all(place.name.get(lang) for lang in ("kk", "ru", "en")):
            problems.append((path, f"place {place.id}: a name in kk, ru and en is needed"))
        if place.lat is not None and not (40 <= place.lat <= 56 and 46 <= (place.lon or 0) <= 88):
            problems.append((path, f"place {place.id}: coordinates outside Kazakhstan"))
        gaz.places[place.id] = place
    for place in gaz.in_region(region):
        if place.district and place.district not in gaz.places:
            problems.append((path, f"place {place.id}: no district {place.district}"))


def _place(region: str, spec: dict) -> Place:  # type: ignore[type-arg]
    def floats(key: str) -> float | None:
        return float(spec[key]) if spec.get(key) is not None else None

    return Place(
        id=str(spec["id"]),
        region=region,
        kind=str(spec.get("kind", "village")),
        name={k: str(v) for k, v in (spec.get("name") or {}).items()},
        also=tuple(str(a) for a in spec.get("also") or ()),
        old=tuple(str(a) for a in spec.get("old") or ()),
        district=spec.get("district"),
        lat=floats("lat"),
        lon=floats("lon"),
        population=int(spec["population"]) if spec.get("population") else None,
        kato=str(spec["kato"]) if spec.get("kato") else None,
    )

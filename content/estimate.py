"""The cost of moving, estimated from the facts registry for one household: what the programme
pays (set in law, in MCI, converted with the MCI of the year), what the first months typically
cost where sources give figures (a year's rent of a flat of the right size, coal for the first
winter), and the gap to plan for. Every line keeps the facts it was built from, so the person
sees the inputs and their sources; nothing is filled in where no source gives a figure."""

from __future__ import annotations

from dataclasses import dataclass, field

from content import figuresets as fs
from content.model import Library

MONTHS_OF_RENT_SUBSIDY = 12  # paid for a year (facts_programme.md §2.2; the pages cite it)


@dataclass(frozen=True)
class Line:
    id: str  # "relocation", "rent_subsidy", "rent", "coal", "certificate"
    low: float
    high: float
    inputs: tuple[str, ...]  # fact keys it was computed from


@dataclass
class Estimate:
    region: str
    adults: int
    children: int
    year: int  # the MCI year the amounts are in
    paid: list[Line] = field(default_factory=list)
    costs: list[Line] = field(default_factory=list)
    certificate: Line | None = None
    missing: list[str] = field(default_factory=list)  # "rent", "coal": no sourced figure

    @property
    def people(self) -> int:
        return self.adults + self.children

    @property
    def rooms(self) -> int:
        return rooms_for(self.people)

    @property
    def gap(self) -> tuple[float, float] | None:
        """(low, high) of the first year's costs minus the programme's payments; negative when
        the payments cover them. None when no cost has a sourced figure."""
        if not self.costs:
            return None
        paid_low = sum(p.low for p in self.paid)
        paid_high = sum(p.high for p in self.paid)
        cost_low = sum(c.low for c in self.costs)
        cost_high = sum(c.high for c in self.costs)
        return cost_low - paid_high, cost_high - paid_low


def rooms_for(people: int) -> int:
    """A flat for the household: one or two people, one room; up to four, two; more, three."""
    return 1 if people <= 2 else 2 if people <= 4 else 3


def _bounds(value: object) -> tuple[float, float]:
    if isinstance(value, tuple):
        return float(value[0]), float(value[1])  # type: ignore[arg-type]
    return float(value), float(value)  # type: ignore[arg-type]


def first_of(lib: Library, keys: tuple[str, ...], region: str) -> str | None:
    for key in keys:
        key = key.format(region=region).split("@")[0]
        if key in lib.facts:
            return key
    return None


def estimate(
    lib: Library, region: str, adults: int, children: int, year: int | None = None
) -> Estimate:
    if adults < 1 or children < 0:
        raise ValueError("a household has at least one adult")
    year = year if year in lib.mci else lib.latest_mci_year()
    tenge = lib.mci[year][0]
    est = Estimate(region, adults, children, year)
    low, high = _bounds(lib.facts[fs.RELOCATION].value)
    est.paid.append(
        Line("relocation", low * tenge * est.people, high * tenge * est.people, (fs.RELOCATION,))
    )
    low, high = _bounds(lib.facts[fs.RENT_SUBSIDY].value)
    months = MONTHS_OF_RENT_SUBSIDY
    est.paid.append(
        Line("rent_subsidy", low * tenge * months, high * tenge * months, (fs.RENT_SUBSIDY,))
    )
    cap = _bounds(lib.facts[fs.CERTIFICATE].value)[1] * tenge
    est.certificate = Line("certificate", 0, cap, (fs.CERTIFICATE,))
    rent_key = fs.RENT_BY_ROOMS.format(region=region, rooms=est.rooms)
    if rent_key in lib.facts:
        low, high = _bounds(lib.facts[rent_key].value)
        est.costs.append(Line("rent", low * 12, high * 12, (rent_key,)))
    else:
        est.missing.append("rent")
    coal_key = first_of(lib, fs.COAL_PRICE, region)
    tonnes = [k for k in fs.COAL_TONNES if k in lib.facts]
    if coal_key and tonnes:
        price_low, price_high = _bounds(lib.facts[coal_key].value)
        amounts = sorted(float(lib.facts[k].value) for k in tonnes)  # type: ignore[arg-type]
        est.costs.append(
            Line(
                "coal",
                amounts[0] * price_low,
                amounts[-1] * price_high,
                (coal_key, *tonnes),
            )
        )
    else:
        est.missing.append("coal")
    return est

"""Which facts the features read, by key, for every region (`{region}` is its id): the
side-by-side comparison, the moving-cost estimate and the climate chart. The first key of a
list that a region has is the one shown; a region with none of them says so."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_


@dataclass(frozen=True)
class Metric:
    id: str
    label: str  # N_() msgid
    keys: tuple[str, ...]  # candidates, best first; "{region}.climate.record_min@1" = January


COMPARED: tuple[Metric, ...] = (
    Metric("rent", N_("Rent of a two-room flat"), ("{region}.rent.flat_2room",)),
    Metric(
        "wage",
        N_("Wages"),
        (
            "{region}.wages.average",
            "{region}.wages.average_large_medium",
            "{region}.wages.offered_median",
            "{region}.wages.average_2023",
        ),
    ),
    Metric(
        "winter",
        N_("January"),
        (
            "{region}.climate.jan_forecast_2026",
            "{region}.climate.feb_norm",
            "{region}.climate.record_min@1",
        ),
    ),
    Metric("heating", N_("Heating season"), ("{region}.climate.heating_days",)),
    Metric(
        "coal",
        N_("Coal, a tonne"),
        (
            "{region}.heating.coal_price_city",
            "{region}.heating.coal_price_region",
            "{region}.heating.coal_price_semey",
        ),
    ),
    Metric("gas", N_("Homes with natural gas"), ("{region}.heating.gasification",)),
)
# The same in every region: shown once under the comparison.
NATIONAL: tuple[str, ...] = ("kz.subsidy.relocation_per_member", "kz.subsidy.rent_per_family")

# The estimate: what the programme pays, and the first costs that sources give figures for.
RELOCATION = "kz.subsidy.relocation_per_member"
RENT_SUBSIDY = "kz.subsidy.rent_per_family"
CERTIFICATE = "kz.certificate.cap"
RENT_BY_ROOMS = "{region}.rent.flat_{rooms}room"
COAL_PRICE = COMPARED[4].keys
COAL_TONNES = ("kz.heating.coal_tonnes_family_petropavl", "kz.heating.coal_tonnes_100m2_karaganda")

FEATURE_FACTS: tuple[str, ...] = (
    "{region}.climate.record_min",
    "{region}.climate.record_max",
    "{region}.climate.mean_monthly",
    *(k.split("@")[0] for m in COMPARED for k in m.keys),
    *NATIONAL,
    RELOCATION,
    RENT_SUBSIDY,
    CERTIFICATE,
    *(RENT_BY_ROOMS.format(region="{region}", rooms=n) for n in (1, 2, 3)),
    *COAL_TONNES,
)

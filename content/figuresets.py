"""Facts the features read by key, for every region: the comparison, the moving-cost
estimate and the climate chart. `{region}` stands for a region id."""

from __future__ import annotations

FEATURE_FACTS: tuple[str, ...] = (
    "{region}.climate.record_min",
    "{region}.climate.record_max",
    "{region}.climate.mean_monthly",
)

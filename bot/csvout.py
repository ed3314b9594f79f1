"""CSV that is safe to open in a spreadsheet: a cell that starts with = + - @, a tab or a
carriage return would be taken for a formula (CSV injection), so it gets a leading quote.
Every CSV Qonys writes goes through here."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


class SafeWriter:
    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([cell(v) for v in row])

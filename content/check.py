"""`qonys content check`: every rule a content file must keep, as a list of problems."""

from __future__ import annotations

import re
from datetime import date

from jinja2 import TemplateError

from content.loader import Problem, _rel, load
from content.model import LANGS, PROGRAMME, Entry, Library
from content.render import CITE, MCI_CALL, Renderer, is_stale

SHORT_MAX, MORE_MAX = 700, 3000

YEAR = re.compile(r"(?<!\d)(19|20)\d\d(?!\d)")
FORBIDDEN = [
    (re.compile(r"^\s*#", re.M), "no headings (#): the text goes to chat apps"),
    (re.compile(r"\]\(|https?://"), "no links: name the site in words (egov.kz)"),
    (re.compile(r"<[a-zA-Z/][^>]*>"), "no HTML tags"),
    (re.compile(r"^\s*\|.*\|\s*$", re.M), "no tables"),
]


def run(today: date | None = None) -> list[Problem]:
    from content import procedures, questionnaire

    lib, problems = load()
    problems += check(lib, today or date.today()) + questionnaire.load()[1]
    steps, procedure_problems = procedures.load()
    return problems + procedure_problems + procedures.check(steps, lib)


def check(lib: Library, today: date) -> list[Problem]:
    problems: list[Problem] = []
    problems += _completeness(lib)
    renderer = Renderer(lib)
    for entry in lib.entries.values():
        problems += _entry(lib, renderer, entry, today)
    for region in lib.regions.values():
        if region.climate and not lib.source(
            region.climate.source, lib.root / "regions" / region.id
        ):
            problems.append(
                _p(
                    "error",
                    lib.root / "regions" / region.id / "region.yaml",
                    f"climate source {region.climate.source!r} is not defined",
                )
            )
    for year, (_, source_id) in lib.mci.items():
        if not lib.source(source_id, lib.root):
            problems.append(
                _p("error", lib.root / "figures.yaml", f"MCI {year}: unknown source {source_id!r}")
            )
    return problems


def _p(level: str, path, message: str) -> Problem:  # type: ignore[no-untyped-def]
    return Problem(level=level, path=_rel(path), message=message)


def _completeness(lib: Library) -> list[Problem]:
    problems = []
    expected = [f"{PROGRAMME}/{t}" for t in lib.topics["programme"]]
    expected += [f"{r}/{t}" for r in lib.regions for t in lib.topics["region"]]
    for key in expected:
        for lang in LANGS:
            if lib.entry(key, lang) is None:
                problems.append(_p("error", lib.root / f"{key}.{lang}.md", "missing translation"))
    for (key, _lang), entry in lib.entries.items():
        if key not in expected:
            problems.append(_p("error", entry.path, f"unknown topic {entry.topic!r}"))
    return problems


def _entry(lib: Library, renderer: Renderer, entry: Entry, today: date) -> list[Problem]:
    problems: list[Problem] = []

    def err(message: str, level: str = "error") -> None:
        problems.append(_p(level, entry.path, message))

    body = f"{entry.short}\n{entry.more}"
    for pattern, message in FORBIDDEN:
        if pattern.search(body):
            err(message)
    cited = set(CITE.findall(body))
    for sid in sorted(cited | set(entry.sources)):
        if lib.source(sid, entry.path.parent) is None:
            err(f"source {sid!r} is not defined in sources.yaml")
    for sid in sorted(cited - set(entry.sources)):
        err(f"source {sid!r} is cited but not listed in front matter `sources`")
    for sid in sorted(set(entry.sources) - cited):
        err(f"source {sid!r} is listed but never cited", "warning")
    for line in body.splitlines():
        if _has_uncited_figure(line):
            err(f"a figure without a source: {line.strip()[:70]!r} (end the line with [^id])")
    for ref in entry.related:
        topic, region = (
            (ref.split("/", 1)[1], None) if ref.startswith(f"{PROGRAMME}/") else (ref, entry.region)
        )
        if lib.topic(topic, region) is None:
            err(f"related {ref!r} is not a topic")
    for part, limit in (("short", SHORT_MAX), ("more", MORE_MAX)):
        try:
            shown, _sources = renderer.parts(entry, part)
        except (TemplateError, TypeError, KeyError, ValueError) as exc:
            err(f"{part} part does not render: {exc}")
            continue
        size = len(shown)  # the list of sources under the text does not count
        if size > limit:
            err(f"{part} part is {size} characters; at most {limit}")
    if not entry.short:
        err("empty text")
    if is_stale(entry.reviewed, today):
        err(f"reviewed {entry.reviewed}: older than 12 months, check the facts", "warning")
    return problems


def _has_uncited_figure(line: str) -> bool:
    if CITE.search(line):
        return False
    rest = YEAR.sub("", MCI_CALL.sub("", line))
    rest = re.sub(r"^\s*\d+[.)]\s", "", rest)  # a numbered list item
    return any(ch.isdigit() for ch in rest)

"""`qonys content check`: every rule a content file must keep, as a list of problems."""

from __future__ import annotations

import re
from datetime import date

import yaml
from jinja2 import TemplateError

from content import glossary
from content.figures import figures
from content.loader import Problem, _rel, load
from content.model import LANGS, PROGRAMME, Entry, Library
from content.render import CITE, Renderer, is_stale

SHORT_MAX, MORE_MAX = 700, 3000
PERCENT_MAX = 3  # survey results read on a phone: a plain sentence, not a wall of shares
FACT_CALL = re.compile(r"""fact\(\s*["']([^"']+)["']""")
FIGURES_CALL = re.compile(r"figures\(([^)]*)\)")
QUOTED = re.compile(r"""["']([^"']+)["']""")
# A duration shown with the wrong word ("1 working day" written as "1 year") is a wrong figure.
FACT_THEN_WORD = re.compile(r"""\{\{\s*fact\(["']([^"']+)["'][^}]*\}\}[\s\-–]*([^\s\[(]+)""")
TIME_WORDS = {
    "days": re.compile(r"(күн|дн|день|day)", re.I),
    "months": re.compile(r"(ай(?!ы)|месяц|month)", re.I),
    "years": re.compile(r"(жыл|год|лет|year)", re.I),
}
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
    problems += check_facts(lib, today)
    problems += check_glossary(lib)
    problems += check_same_figures(lib)
    return problems


def check_same_figures(lib: Library) -> list[Problem]:
    """The three languages of a page state the same figures: a fact named in one and not in
    another is a translation that drifted (a 2024 cap left in Kazakh after the 2026 one)."""
    problems: list[Problem] = []
    for key in sorted({k for k, _ in lib.entries}):
        named = []
        for lang in LANGS:
            if entry := lib.entry(key, lang):
                body = f"{entry.short}\n{entry.more}"
                named.append(
                    (entry, set(FACT_CALL.findall(body)) | set(FIGURES_CALL.findall(body)))
                )
        reference = named[0][1] if named else set()  # Kazakh, written first
        for entry, keys in named:
            problems += [_p("error", entry.path, f"does not name {k!r}, which the "
                            f"{LANGS[0]} page does") for k in sorted(reference - keys)]  # fmt: skip
            problems += [_p("error", entry.path, f"names {k!r}, which the {LANGS[0]} page "
                            "does not") for k in sorted(keys - reference)]  # fmt: skip
    return problems


def check_glossary(lib: Library) -> list[Problem]:
    """Every text a user reads keeps to the glossary's word for each concept."""
    from babel.messages.pofile import read_po

    terms = glossary.load(lib.root / "glossary.yaml")
    problems: list[Problem] = []

    def scan(path, lang: str, text: str, staff: bool = False) -> None:  # type: ignore[no-untyped-def]
        for misuse in glossary.misuses(text, lang, terms, staff):
            problems.append(_p("error", path, misuse.message()))

    for entry in lib.entries.values():
        for text in (
            entry.title,
            entry.short,
            entry.more,
        ):  # questions, like keywords, are how people ask
            scan(entry.path, entry.lang, text)
    for path in sorted(lib.root.glob("**/*.yaml")):
        if path.name in ("glossary.yaml", "sources.yaml") or path.parent.name == "facts":
            continue
        for lang, text in glossary.texts_in(yaml.safe_load(path.read_text(encoding="utf-8"))):
            scan(path, lang, text)
    staff_only = glossary.staff_only_messages(lib.root.parent) if terms else set()
    for lang in LANGS:
        po = lib.root.parent / "locales" / lang / "LC_MESSAGES" / "messages.po"
        if po.exists():
            with po.open("rb") as fp:
                for message in read_po(fp, locale=lang):
                    strings = (
                        message.string if isinstance(message.string, tuple) else (message.string,)
                    )
                    msgid = message.id if isinstance(message.id, str) else message.id[0]
                    for text in strings:
                        scan(po, lang, text or "", msgid in staff_only)
    return problems


def check_facts(lib: Library, today: date) -> list[Problem]:
    """Each fact names a real source; a fact past its review date is flagged; a fact nothing
    shows is flagged (a figure nobody reads is a figure nobody keeps true)."""
    problems: list[Problem] = []
    used = used_facts(lib)
    if not lib.mci:
        problems.append(_p("error", lib.root / "facts" / "kz.yaml", "no MCI facts (kz.mci.<year>)"))
    for key, f in lib.facts.items():
        if lib.source(f.source) is None:
            problems.append(_p("error", f.path, f"{key}: unknown source {f.source!r}"))
        if f.review_by and f.review_by < today:
            problems.append(
                _p("warning", f.path, f"{key}: past its review-by date {f.review_by}: check it")
            )
        if key not in used and not key.startswith("kz.mci."):
            problems.append(
                _p("warning", f.path, f"{key}: no page, comparison or estimate uses it")
            )
    return problems


def used_facts(lib: Library) -> set[str]:
    """Facts named by pages, and those the features read by key (comparisons, estimate,
    climate charts)."""
    from content.figuresets import FEATURE_FACTS

    renderer = Renderer(lib)
    used: set[str] = set()
    for e in lib.entries.values():
        body = f"{e.short}\n{e.more}"
        used |= set(FACT_CALL.findall(body))
        for call in FIGURES_CALL.findall(body):
            used |= set(renderer.keys(e.region, tuple(QUOTED.findall(call))))
    for region in lib.regions:
        used |= {k.format(region=region) for k in FEATURE_FACTS}
    return used


def _p(level: str, path, message: str) -> Problem:  # type: ignore[no-untyped-def]
    return Problem(level=level, path=_rel(path), message=message)


def _time_mismatch(unit: str, word: str) -> str | None:
    """The time word after a duration, when it names another duration than the fact's unit."""
    own = next((name for name in TIME_WORDS if name.rstrip("s") in unit), None)
    if own is None:
        return None
    for name, pattern in TIME_WORDS.items():
        if name != own and pattern.match(word):
            return name
    return None


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
    # Sources cited in the prose are listed in the front matter; a fact brings its own.
    cited = set(CITE.findall(body))
    by_facts = {lib.facts[k].source for k in FACT_CALL.findall(body) if k in lib.facts}
    if "fact(" in body:
        by_facts |= {source for _, source in lib.mci.values()}
    for sid in sorted(cited | set(entry.sources)):
        if lib.source(sid) is None:
            err(f"source {sid!r} is not defined in sources.yaml")
    for sid in sorted(cited - set(entry.sources)):
        err(f"source {sid!r} is cited but not listed in front matter `sources`")
    for sid in sorted(set(entry.sources) - cited - by_facts):
        err(f"source {sid!r} is listed but never cited", "warning")
    for line in body.splitlines():
        for figure in figures(line, entry.lang):
            err(
                f"a figure typed into prose: {figure.text!r} in {line.strip()[:60]!r}: put it "
                'in content/facts and write {{ fact("…") }}'
            )
    for key in FACT_CALL.findall(body):
        if key not in lib.facts:
            err(f"unknown fact {key!r}")
    for key, word in FACT_THEN_WORD.findall(body):
        if (fact := lib.facts.get(key)) and (wrong := _time_mismatch(fact.unit, word)):
            err(f"{key} is in {fact.unit} but the text calls it {wrong}: {word!r}")
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
        for block in shown.split("\n\n"):
            if block.count("%") > PERCENT_MAX:
                err(f"{part} part: {block.count('%')} percentages in one block (at most "
                    f"{PERCENT_MAX}): say the one that matters: {block[:50]!r}")  # fmt: skip
    if not entry.short:
        err("empty text")
    if is_stale(entry.reviewed, today):
        err(f"reviewed {entry.reviewed}: older than 12 months, check the facts", "warning")
    return problems

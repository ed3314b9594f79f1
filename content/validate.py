"""One edited page or fact checked as `qonys content check` would, fast enough to run as an
editor types, and the page as each channel will show it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml
from pydantic import ValidationError

from content import check, glossary
from content import figuresets as fs
from content.facts import FactModel
from content.loader import ROOT, Problem, parse_entry
from content.model import Entry, Library
from content.render import Renderer, format_text

# The content's own helpers are the only template code a page may hold.
TEMPLATE = re.compile(r"\{\{(.*?)\}\}|\{%|\{#", re.S)
HELPER = re.compile(r"""\s*(fact|figures)\(\s*("[^"{}]*"|'[^'{}]*')(\s*,\s*[^(){}]*)?\)\s*""")
BODY_MAX = 20_000  # a page is a few screens; this is far above any real one
WHATSAPP_MAX, TELEGRAM_MAX = 4096, 4096


@dataclass(frozen=True)
class Finding:
    line: int | None  # 1-based line of the edited text, when known
    level: str  # error | warning
    message: str


def _line_of(text: str, needle: str) -> int | None:
    at = text.find(needle) if needle else -1
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def template_findings(text: str) -> list[Finding]:
    """Template code other than `fact(…)` and `figures(…)` is refused, with its line."""
    found = []
    for match in TEMPLATE.finditer(text):
        inner = match.group(1)
        if inner is None or not HELPER.fullmatch(inner):
            line = text.count("\n", 0, match.start()) + 1
            found.append(
                Finding(line, "error", f"template code is not allowed: {match.group(0)[:40]!r}")
            )
    return found


def page(
    doc: str, text: str, lib: Library, today: date | None = None
) -> tuple[Entry | None, list[Finding]]:
    """The page parsed from its text and everything wrong with it."""
    today = today or date.today()
    if len(text) > BODY_MAX:
        return None, [Finding(None, "error", f"the page is over {BODY_MAX} characters")]
    findings = template_findings(text)
    problems: list[Problem] = []
    entry = parse_entry(ROOT / doc, text.replace("\r\n", "\n"), problems)
    findings += [Finding(None, p.level, p.message) for p in problems]
    if entry is None or findings:
        return entry, findings
    for problem in check._entry(lib, Renderer(lib), entry, today):
        findings.append(
            Finding(_line_of(text, _quoted(problem.message)), problem.level, problem.message)
        )
    terms = glossary.load(lib.root / "glossary.yaml")
    for part in (entry.title, entry.short, entry.more):
        for misuse in glossary.misuses(part, entry.lang, terms):
            findings.append(Finding(_line_of(text, misuse.found), "error", misuse.message()))
    return entry, findings


def _quoted(message: str) -> str:
    found = re.search(r"'([^']{4,})'", message)
    return found.group(1) if found else ""


def fact(key: str, text: str, lib: Library) -> tuple[dict | None, list[Finding]]:
    """A fact's YAML: a valid registry entry whose source exists."""
    try:
        spec = yaml.safe_load(text)
        model = FactModel.model_validate(spec)
    except yaml.YAMLError as exc:
        return None, [Finding(None, "error", f"not valid YAML: {exc}")]
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(map(str, err["loc"]))
        return None, [
            Finding(_line_of(text, str(err["loc"][0])), "error", f"{where}: {err['msg']}")
        ]
    findings = []
    if lib.source(model.source) is None:
        findings.append(
            Finding(
                _line_of(text, "source"),
                "error",
                f"source {model.source!r} is not defined: add it first",
            )
        )
    return spec, findings


@dataclass(frozen=True)
class Preview:
    channel: str
    text: str  # HTML for Telegram and the web chat, plain text for WhatsApp
    size: int
    limit: int


def previews(entry: Entry, lib: Library) -> list[Preview]:
    """The short part and the rest, as Telegram, WhatsApp and the web chat will show them."""
    renderer = Renderer(lib)
    out = []
    for channel, fmt, limit in (
        ("Telegram", "html", TELEGRAM_MAX), ("WhatsApp", "plain", WHATSAPP_MAX),
        ("web chat", "html", 8000),
    ):  # fmt: skip
        parts = []
        for part in ("short", "more"):
            if part == "more" and not entry.more:
                continue
            text = renderer.render(entry, part, "plain")
            parts.append(text)
        plain = "\n\n".join(parts)
        shown = format_text(plain, fmt) if fmt == "html" else plain
        out.append(Preview(channel, shown, max(len(p) for p in parts), limit))
    return out


def uses_of(key: str, lib: Library) -> list[str]:
    """Where a fact shows: pages (by `fact()` or through `figures()`, as document ids), and
    "compare" / "estimate" when the comparison or the cost estimate reads it."""
    out, renderer = [], Renderer(lib)
    for entry in lib.entries.values():
        body = f"{entry.short}\n{entry.more}"
        calls = check.FIGURES_CALL.findall(body)
        named = key in check.FACT_CALL.findall(body)
        if named or any(key in renderer.keys(entry.region, _names(c)) for c in calls):
            out.append(str(Path(entry.path).relative_to(lib.root)))
    features = []
    for region in lib.regions:
        compared = {k.format(region=region).split("@")[0] for m in fs.COMPARED for k in m.keys}
        if key in compared:
            features.append("compare")
        if key in {
            k.format(region=region, rooms=n) for k in (fs.RENT_BY_ROOMS,) for n in (1, 2, 3)
        }:
            features.append("estimate")
    if key in (*fs.NATIONAL, fs.CERTIFICATE, *fs.COAL_TONNES) or any(
        key == k.format(region=r) for r in lib.regions for k in fs.COAL_PRICE
    ):
        features.append("estimate")
    return sorted(out) + sorted(set(features))


def _names(call: str) -> tuple[str, ...]:
    return tuple(check.QUOTED.findall(call))


def source(text: str) -> list[Finding]:
    """A source's YAML: who published it (kk/ru/en), its title, address and date."""
    from content.loader import SourceModel

    try:
        SourceModel.model_validate(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        return [Finding(None, "error", f"not valid YAML: {exc}")]
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(map(str, err["loc"]))
        return [Finding(_line_of(text, str(err["loc"][0])), "error", f"{where}: {err['msg']}")]
    spec = yaml.safe_load(text)
    blank = [f"publisher.{k}" for k, v in spec["publisher"].items() if not str(v).strip()]
    blank += ["title"] if not str(spec.get("title", "")).strip() else []
    return [Finding(_line_of(text, b.split(".")[0]), "error", f"{b} is empty") for b in blank]


def tree_file(doc: str, text: str, lib: Library) -> list[Finding]:
    """A whole YAML file (a checklist, the statuses, a questionnaire, the topics, the
    glossary, a region's places) checked in a copy of the package with it in place."""
    import shutil
    import tempfile

    from content import procedures, questionnaire
    from content.loader import load

    try:
        yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [Finding(mark.line + 1 if mark else None, "error", f"not valid YAML: {exc}")]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "content"
        shutil.copytree(lib.root, root, ignore=shutil.ignore_patterns("*.md", "__pycache__"))
        (root / doc).write_text(text, encoding="utf-8")
        problems: list[Problem] = []
        try:
            if doc.startswith("questionnaire/"):
                problems = questionnaire.load(root / "questionnaire")[1]
            elif doc == "glossary.yaml":
                glossary.load(root / "glossary.yaml")
            elif doc == "topics.yaml":
                problems = [p for p in load(root)[1] if "topics" in p.path]
            elif doc.startswith("places/"):  # the gazetteer: names, kinds, coordinates
                problems = [p for p in load(root)[1] if "places/" in p.path]
            else:
                found, problems = procedures.load(root)
                problems += procedures.check(found, lib, root)
        except (KeyError, TypeError, ValueError, AttributeError, re.error) as exc:
            problems.append(
                Problem(level="error", path=doc, message=f"{type(exc).__name__}: {exc}")
            )
    return [Finding(None, p.level, p.message) for p in problems]

"""One word per concept: the glossary in content/glossary.yaml and the check that keeps every
text the user reads (pages, checklists, questionnaires, interface messages) to its terms."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from content.model import LANGS
from content.yamlfast import load_yaml

ROOT = Path(__file__).parent
# Quoted speech and bracketed alternatives may use any variant: «…», "…", “…”, (…).
EXEMPT = re.compile(r"«[^»]*»|\"[^\"\n]*\"|“[^”]*”|\([^()\n]*\)")


@dataclass(frozen=True)
class Term:
    id: str
    term: dict[str, str]
    meaning: dict[str, str]
    variants: dict[str, tuple[re.Pattern[str], ...]]
    people_only: bool = False  # not checked in messages only the console shows staff


@dataclass(frozen=True)
class Misuse:
    term: Term
    lang: str
    found: str

    def message(self) -> str:
        return (
            f"«{self.found}»: the glossary's word is «{self.term.term[self.lang]}» ({self.term.id})"
        )


def load(path: Path = ROOT / "glossary.yaml") -> list[Term]:
    if not path.exists():  # a content tree may do without one
        return []
    data = load_yaml(path.read_text(encoding="utf-8")) or {}
    terms = []
    for tid, spec in (data.get("terms") or {}).items():
        variants = {
            lang: tuple(
                re.compile(rf"(?<!\w){v}", re.I) for v in spec.get("variants", {}).get(lang, ())
            )
            for lang in LANGS
        }
        people_only = spec.get("scope") == "people"
        terms.append(Term(tid, dict(spec["term"]), dict(spec["meaning"]), variants, people_only))
    return terms


def misuses(text: str, lang: str, terms: list[Term], staff: bool = False) -> list[Misuse]:
    """Variants used in running text (outside quotes and brackets); `staff`: a message only
    the console shows, where terms scoped to people do not apply."""
    plain = EXEMPT.sub(" ", text)
    found = []
    for term in terms:
        if staff and term.people_only:
            continue
        for pattern in term.variants.get(lang, ()):
            for match in pattern.finditer(plain):
                found.append(Misuse(term, lang, _word(plain, match)))
    return found


def _word(text: str, match: re.Match[str]) -> str:
    end = match.end()
    while end < len(text) and text[end].isalnum():
        end += 1
    return text[match.start() : end]


def texts_in(data: object) -> Iterator[tuple[str, str]]:
    """(lang, text) for every {kk:, ru:, en:} mapping anywhere in a YAML document."""
    if isinstance(data, dict):
        if set(LANGS) <= set(data) and all(isinstance(data[lang], str) for lang in LANGS):
            for lang in LANGS:
                yield lang, data[lang]
            return
        for value in data.values():
            yield from texts_in(value)
    elif isinstance(data, list):
        for value in data:
            yield from texts_in(value)


@lru_cache(maxsize=4)  # the code does not change while a process runs
def staff_only_messages(project: Path) -> frozenset[str]:
    """Catalog messages that only the console shows (extracted from console/ and nowhere
    else): staff read them, people never do."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    keywords = {**DEFAULT_KEYWORDS, "N_": None, "ngettext": (1, 2)}
    methods = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    seen: dict[str, set[str]] = {}
    for folder in ("bot", "handlers", "content", "console"):
        found = extract_from_dir(project / folder, methods, keywords=keywords)
        for _, _, message, _, _ in found:
            msgid = message if isinstance(message, str) else message[0]
            seen.setdefault(msgid, set()).add(folder)
    return frozenset(msgid for msgid, folders in seen.items() if folders == {"console"})

"""From a person's profile and assessment answers to needs flags and the sections to read
first. The rules are data (content/questionnaire/recommendations.yaml); this is how they apply.

A rule applies when every condition holds: each named assessment question was answered with
one of the listed options, each named profile field has one of the listed values (numbers may
be given as ">0"), and each named fact is true. Facts are derived from the profile:
school_age_children (a child aged 6–17), preschool_children (a child under 6).
"""

from __future__ import annotations

from typing import Any

from content.questionnaire import Rule

SCHOOL_AGES, PRESCHOOL_AGES = range(6, 18), range(6)


def facts(profile: dict[str, Any]) -> set[str]:
    ages = [a for a in profile.get("children_ages") or [] if isinstance(a, int)]
    found = set()
    if any(a in SCHOOL_AGES for a in ages):
        found.add("school_age_children")
    if any(a in PRESCHOOL_AGES for a in ages):
        found.add("preschool_children")
    return found


def matches(value: Any, wanted: list[str]) -> bool:
    for w in wanted:
        if w.startswith(">") and isinstance(value, int) and value > int(w[1:]):
            return True
        if value is not None and str(value) == w:
            return True
    return False


def applies(rule: Rule, profile: dict[str, Any], answers: dict[str, str | None]) -> bool:
    when = rule.when
    for qid, options in dict(when.get("assessment", {})).items():  # type: ignore[arg-type]
        if answers.get(qid) not in options:
            return False
    for field, values in dict(when.get("profile", {})).items():  # type: ignore[arg-type]
        if not matches(profile.get(field), values):
            return False
    return set(when.get("facts", [])) <= facts(profile)  # type: ignore[arg-type]


def recommend(
    rules: list[Rule], profile: dict[str, Any], answers: dict[str, str | None]
) -> list[Rule]:
    """Every rule that applies (each is a needs flag), most important first."""
    return [r for r in sorted(rules, key=lambda r: r.priority) if applies(r, profile, answers)]


def sections(rules: list[Rule], destination: str | None) -> list[str]:
    """The sections those rules point to, most important first, each once."""
    keys: list[str] = []
    for rule in rules:
        key = section_key(rule, destination)
        if key not in keys:
            keys.append(key)
    return keys


def section_key(rule: Rule, destination: str | None) -> str:
    """`pavlodar/schools`, `programme/heating`, or `regions/schools` when the region is unknown."""
    if "{destination}" not in rule.section:
        return rule.section
    region = destination if destination and destination != "undecided" else "regions"
    return rule.section.replace("{destination}", region)

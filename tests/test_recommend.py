"""The rules in content/questionnaire/recommendations.yaml applied to several people."""

from __future__ import annotations

from content.questionnaire import get_questionnaires
from content.recommend import facts, recommend, sections

RULES = get_questionnaires().rules


def advice(profile: dict, answers: dict) -> tuple[list[str], list[str]]:
    rules = recommend(RULES, profile, answers)
    return [r.flag for r in rules], sections(rules, profile.get("destination"))


def test_a_family_from_the_south_with_gas_heating_and_two_children() -> None:
    flags, keys = advice(
        {"destination": "pavlodar", "stage": "before", "children_ages": [4, 9]},
        {"heating": "gas", "winters": "no", "savings": "none", "first_home": "rent"},
    )
    assert keys[:3] == ["programme/heating", "pavlodar/climate", "programme/subsidies"]
    assert "pavlodar/schools" in keys and "pavlodar/housing" in keys
    assert {"school_children", "preschool_children"} <= set(flags), "both flags, one section"
    assert keys.count("pavlodar/schools") == 1
    assert keys[-1] == "programme/documents", "before moving, documents come last"


def test_a_kandas_already_arrived_worried_and_alone_region_not_chosen() -> None:
    flags, keys = advice(
        {"programme": "kandas", "stage": "after", "destination": "undecided"},
        {"feeling": "very_worried", "rely_on": "nobody", "heating": "stove"},
    )
    assert flags == ["very_worried", "no_support", "kandas"]
    assert keys == ["programme/caseworker", "regions/contacts", "programme/kandas"]
    assert "programme/documents" not in keys and "programme/heating" not in keys


def test_a_young_person_who_wants_a_trade_and_a_business() -> None:
    flags, keys = advice(
        {"age_band": "18-29", "destination": "north_kazakhstan"},
        {"new_trade": "yes", "business": "idea", "job": "no", "lang_course": "kazakh"},
    )
    assert keys == [
        "north_kazakhstan/jobs", "programme/courses", "programme/business", "programme/youth",
    ]  # fmt: skip
    assert {"learn_trade", "language_course"} <= set(flags), "courses once, both needs kept"


def test_a_single_mother_with_debts_and_medical_needs() -> None:
    flags, keys = advice(
        {"gender": "female", "destination": "kostanay", "children_ages": [2]},
        {"single_parent": "yes", "debts": "hard", "medical": "yes"},
    )
    assert keys[:3] == ["programme/social_support", "programme/women", "kostanay/health"]
    assert "preschool_children" in flags


def test_nothing_known_nothing_advised() -> None:
    assert advice({}, {}) == ([], [])


def test_facts_from_ages() -> None:
    assert facts({"children_ages": [5, 6]}) == {"preschool_children", "school_age_children"}
    assert facts({"children_ages": [18, 30]}) == set()
    assert facts({"children_ages": None}) == set()

"""The gazetteer data in content/places/*.yaml: complete, consistent and right where a person
would notice (Rudny is in Kostanay region, Semey in Abai, Zhezkazgan in Ulytau...)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

PLACES = Path(__file__).resolve().parents[1] / "content" / "places"
RECEIVING = [
    "akmola",
    "kostanay",
    "north_kazakhstan",
    "pavlodar",
    "east_kazakhstan",
    "abai",
    "karaganda",
    "ulytau",
    "atyrau",
    "west_kazakhstan",
]
SENDING = ["turkistan", "kyzylorda", "zhambyl", "almaty_region", "zhetisu", "mangystau", "shymkent"]
CITIES = ["astana", "almaty"]
KINDS = {"city", "town", "district", "village"}


@pytest.fixture(scope="module")
def files() -> dict[str, dict]:
    out = {}
    for path in sorted(PLACES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data["region"] == path.stem, path
        out[path.stem] = data
    return out


@pytest.fixture(scope="module")
def places(files) -> dict[str, dict]:
    out = {}
    for region, data in files.items():
        for p in data["places"]:
            assert p["id"] not in out, f"{p['id']} is defined twice"
            out[p["id"]] = {**p, "region": region}
    return out


def test_every_region_has_a_file(files):
    assert set(RECEIVING + SENDING + CITIES) <= set(files)
    for rid in RECEIVING:
        assert files[rid]["receiving"] is True, rid
    for rid in SENDING + CITIES:
        assert files[rid]["receiving"] is False, rid
        assert all(files[rid]["name"].get(lang) for lang in ("kk", "ru", "en")), rid


def test_entries_are_well_formed(places):
    for pid, p in places.items():
        assert pid.isascii() and pid == pid.lower(), pid
        assert p["kind"] in KINDS, pid
        for lang in ("kk", "ru", "en"):
            assert isinstance(p["name"].get(lang), str) and p["name"][lang].strip(), (pid, lang)
        if p.get("lat") is not None or p.get("lon") is not None:
            assert 40 <= p["lat"] <= 56 and 46 <= p["lon"] <= 88, pid
        if p.get("kato") is not None:
            assert isinstance(p["kato"], str) and len(p["kato"]) == 9 and p["kato"].isdigit(), pid
        assert all(isinstance(a, str) and a for a in p.get("also") or []), pid
        assert all(isinstance(a, str) and a for a in p.get("old") or []), pid
        assert p.get("source"), pid


def test_references_resolve(places):
    for pid, p in places.items():
        if p.get("district"):
            d = places.get(p["district"])
            assert d is not None and d["kind"] == "district", pid
            assert d["region"] == p["region"], pid
        if p.get("centre"):
            c = places.get(p["centre"])
            assert c is not None and c["kind"] != "district", pid
            assert c["region"] == p["region"], pid


def test_kato_codes_unique_and_in_their_region(places):
    prefix = {
        "akmola": "11",
        "kostanay": "39",
        "north_kazakhstan": "59",
        "pavlodar": "55",
        "east_kazakhstan": "63",
        "abai": "10",
        "karaganda": "35",
        "ulytau": "62",
        "atyrau": "23",
        "west_kazakhstan": "27",
        "turkistan": "61",
        "kyzylorda": "43",
        "zhambyl": "31",
        "almaty_region": "19",
        "zhetisu": "33",
        "mangystau": "47",
        "shymkent": "79",
        "astana": "71",
        "almaty": "75",
    }
    seen: dict[str, str] = {}
    for pid, p in places.items():
        if code := p.get("kato"):
            assert code not in seen, (pid, seen.get(code))
            seen[code] = pid
            assert code.startswith(prefix[p["region"]]), pid


# KATO 2022: the districts (аудан) of each receiving region.
DISTRICT_COUNT = {
    "akmola": 17,
    "kostanay": 16,
    "north_kazakhstan": 13,
    "pavlodar": 10,
    "east_kazakhstan": 9,
    "abai": 8,
    "karaganda": 7,
    "ulytau": 2,
    "atyrau": 7,
    "west_kazakhstan": 12,
    "turkistan": 14,
    "kyzylorda": 7,
    "zhambyl": 10,
    "almaty_region": 9,
    "zhetisu": 8,
    "mangystau": 5,
}


@pytest.mark.parametrize("rid", list(DISTRICT_COUNT))
def test_regions_are_complete(places, rid):
    mine = [p for p in places.values() if p["region"] == rid]
    districts = [p for p in mine if p["kind"] == "district"]
    assert len(districts) == DISTRICT_COUNT[rid]
    settlements = [p for p in mine if p["kind"] != "district"]
    assert len(settlements) >= 10
    assert sum(p["kind"] == "city" for p in mine) == 1
    for d in districts:
        if d["id"] != "pavlodar_district":  # its seat is the city of Pavlodar
            assert d.get("centre"), d["id"]


def _find(places, en: str) -> list[dict]:
    return [
        p
        for p in places.values()
        if p["kind"] != "district" and (p["name"]["en"] == en or en in (p.get("also") or []))
    ]


@pytest.mark.parametrize(
    ("en", "region"),
    [
        ("Rudny", "kostanay"),
        ("Lisakovsk", "kostanay"),
        ("Kostanay", "kostanay"),
        ("Ekibastuz", "pavlodar"),
        ("Ridder", "east_kazakhstan"),
        ("Oskemen", "east_kazakhstan"),
        ("Altai", "east_kazakhstan"),
        ("Semey", "abai"),
        ("Kurchatov", "abai"),
        ("Ayagoz", "abai"),
        ("Zhezkazgan", "ulytau"),
        ("Satpaev", "ulytau"),
        ("Shchuchinsk", "akmola"),
        ("Kokshetau", "akmola"),
        ("Stepnogorsk", "akmola"),
        ("Balkhash", "karaganda"),
        ("Temirtau", "karaganda"),
        ("Petropavl", "north_kazakhstan"),
        ("Oral", "west_kazakhstan"),
        ("Aksay", "west_kazakhstan"),
        ("Kulsary", "atyrau"),
        ("Zhetisai", "turkistan"),
        ("Taldykorgan", "zhetisu"),
        ("Zharkent", "zhetisu"),
        ("Konaev", "almaty_region"),
        ("Zhanaozen", "mangystau"),
        ("Taraz", "zhambyl"),
        ("Baikonur", "kyzylorda"),
        ("Astana", "astana"),
        ("Almaty", "almaty"),
        ("Shymkent", "shymkent"),
    ],
)
def test_spot_checks(places, en, region):
    found = _find(places, en)
    assert found, en
    assert {p["region"] for p in found} == {region}, (en, [p["id"] for p in found])
    assert any(p.get("lat") is not None for p in found), en


def test_old_names(places):
    def old(pid):
        return places[pid]["old"]

    assert (
        "Усть-Каменогорск" in old("oskemen")
        or places["oskemen"]["name"]["ru"] == "Усть-Каменогорск"
    )
    assert "Семипалатинск" in old("semey")
    assert "Зыряновск" in old("altai_town")
    assert "Капчагай" in old("konaev")
    assert "Целиноград" in old("astana")
    assert "Гурьев" in old("atyrau")
    assert "Ермак" in old("aksu_pavlodar")
    assert "Лениногорск" in old("ridder")


def test_same_name_in_several_regions(places):
    aksu = {
        p["region"]
        for p in places.values()
        if p["kind"] != "district"
        and p["name"]["en"].startswith("Aksu")
        and p["name"]["ru"] == "Аксу"
    }
    assert len(aksu) >= 2, aksu


def test_kazakh_names(places):
    assert places["oskemen"]["name"]["kk"] == "Өскемен"
    assert places["ekibastuz"]["name"]["kk"] == "Екібастұз"
    assert places["shchuchinsk"]["name"]["ru"] == "Щучинск"
    assert places["rudny"]["name"]["kk"] == "Рудный"

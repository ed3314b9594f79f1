"""The information package as people use it: browsing regions and topics, "more", comparing
two regions, the programme sections with amounts in tenge, the climate chart, and questions
typed in the person's own words. Runs on the real content in content/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.i18n import Translator
from bot.runtime import Runtime
from content.check import run as check_content
from content.package import get_package
from handlers.search import NOT_FOUND
from storage.models import UnansweredQuestion
from tests.test_conversation import Chat, buttons

LIB = get_package().lib
RU, KK, EN = Translator("ru"), Translator("kk"), Translator("en")


def is_png(path: Path) -> bool:
    return path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def title(key: str, lang: str) -> str:
    entry = LIB.entry(key, lang)
    assert entry is not None, key
    return entry.title


def test_content_check_has_no_errors() -> None:
    errors = [str(p) for p in check_content() if p.level == "error"]
    assert not errors, "\n".join(errors[:30])


def test_every_receiving_region_and_topic_is_there() -> None:
    expected_regions = {
        "akmola", "abai", "kostanay", "pavlodar", "north_kazakhstan", "east_kazakhstan",
        "karaganda", "ulytau", "atyrau", "west_kazakhstan",
    }  # fmt: skip
    assert set(LIB.regions) == expected_regions
    for region in expected_regions:
        for topic in LIB.topics["region"]:
            for lang in ("kk", "ru", "en"):
                assert LIB.entry(f"{region}/{topic}", lang), f"{region}/{topic}.{lang}"


async def test_browse_a_region_topic_more_and_neighbours(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang="ru")
    regions_label = RU.gettext("Regions: what life is like")
    printed = await chat.say(regions_label)
    pavlodar = LIB.regions["pavlodar"].name["ru"]
    assert pavlodar in buttons(printed) and len(buttons(printed)) == len(LIB.regions) + 1
    printed = await chat.say(pavlodar)
    assert title("pavlodar/overview", "ru") in printed
    assert LIB.topics["region"]["climate"].label["ru"] in buttons(printed)
    printed = await chat.say(LIB.topics["region"]["housing"].label["ru"])
    assert title("pavlodar/housing", "ru") in printed
    assert RU.gettext("More") in buttons(printed)
    assert RU.gettext("Compare with another region") in buttons(printed)
    more = await chat.say(RU.gettext("More"))
    assert RU.gettext("More") not in buttons(more)
    assert more.strip() and title("pavlodar/housing", "ru") not in more


async def test_climate_comes_with_its_chart_and_comparison(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang="kk")
    printed = await chat.incoming(kind="action", action="t:pavlodar:climate")
    assert printed.startswith("[image: "), "the chart goes before the text"
    path = Path(printed.split(".png")[0].split()[-1] + ".png")
    assert is_png(path)
    assert "Қазгидромет" in printed or "Kazhydromet" in printed
    assert title("pavlodar/climate", "kk") in printed
    printed = await chat.say(KK.gettext("Compare with another region"))
    kostanay = LIB.regions["kostanay"].name["kk"]
    assert kostanay in buttons(printed) and LIB.regions["pavlodar"].name["kk"] not in buttons(
        printed
    )
    printed = await chat.say(kostanay)
    assert printed.index(LIB.regions["pavlodar"].name["kk"]) < printed.index(kostanay)


async def test_programme_amounts_are_in_tenge_with_sources(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang="ru")
    printed = await chat.incoming(kind="action", action="p:subsidies")
    assert title("programme/subsidies", "ru") in printed
    assert "МРП" in printed and "₸" in printed
    assert RU.gettext("Sources:") in printed


@pytest.mark.parametrize(
    ("question", "lang", "key"),
    [
        ("Қостанайда қыс қандай?", "kk", "kostanay/climate"),
        ("павлодарда уй жалдау канша турады", "kk", "pavlodar/housing"),
        ("kostanaida mektep bar ma", "kk", "kostanay/schools"),
        ("сколько дают подъемных", "ru", "programme/subsidies"),
        ("печку как топить", "ru", "programme/heating"),
        ("где моя заявка", "ru", "programme/status"),
        ("куратор керек", "kk", "programme/caseworker"),
        ("как записаться на приём в центр", "ru", "programme/appointment"),
    ],
)
async def test_questions_in_own_words(runtime: Runtime, question: str, lang: str, key: str) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang=lang)
    printed = await chat.say(question)
    assert title(key, lang) in printed


async def test_a_region_topic_without_a_region_asks_which(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang="ru")
    printed = await chat.say("какая там зима, сильные морозы?")
    assert LIB.regions["kostanay"].name["ru"] in buttons(printed)
    printed = await chat.say(LIB.regions["kostanay"].name["ru"])
    assert title("kostanay/climate", "ru") in printed


async def test_unanswered_questions_are_kept(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang="en")
    printed = await chat.say("zzzz qqqq xxxx")
    assert printed.startswith(EN.gettext(NOT_FOUND))
    assert buttons(printed).count(EN.gettext("Talk to a caseworker")) == 1, "offered once"
    assert len(set(buttons(printed))) == len(buttons(printed))
    async with runtime.db.sessions() as s:
        kept = list(await s.scalars(select(UnansweredQuestion)))
    assert [(q.text, q.lang) for q in kept] == [("zzzz qqqq xxxx", "en")]


@pytest.mark.parametrize(
    "action", ["t:nowhere:climate", "t:pavlodar:weather", "cmp2:pavlodar:pavlodar:climate",
               "cmp:pavlodar:schools", "p:nothing", "r:", "ask:steps", "tm:pavlodar"],
)  # fmt: skip
async def test_forged_or_old_buttons(runtime: Runtime, action: str) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang="en")
    printed = await chat.incoming(kind="action", action=action)
    assert printed.startswith(EN.gettext("This button no longer works. Here is the menu."))


def test_search_command_json_contract(tmp_path: Path) -> None:
    qonys = Path(sys.executable).with_name("qonys")
    env = {**os.environ, "DATA_DIR": str(tmp_path)}
    run = subprocess.run(
        [str(qonys), "search", "--json", "--lang", "ru", "-k", "2"],
        input="павлодарда уй жалдау канша турады\nпечку как топить\n",
        capture_output=True, text=True, env=env, timeout=120, check=True,
    )  # fmt: skip
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [line["query"] for line in lines] == [
        "павлодарда уй жалдау канша турады",
        "печку как топить",
    ]
    first = lines[0]["results"][0]
    assert set(first) == {"id", "topic", "region", "title", "score"}
    assert (first["topic"], first["region"]) == ("housing", "pavlodar")
    assert lines[1]["results"][0]["region"] is None and len(lines[1]["results"]) == 2


@pytest.mark.parametrize(
    ("said", "lang"), [("Сәлем!", "kk"), ("здравствуйте", "ru"), ("рахмет", "kk")]
)
async def test_greetings_and_thanks_are_not_questions(
    runtime: Runtime, said: str, lang: str
) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang=lang)
    printed = await chat.say(said)
    assert not printed.startswith(Translator(lang).gettext(NOT_FOUND))
    async with runtime.db.sessions() as s:
        assert list(await s.scalars(select(UnansweredQuestion))) == []

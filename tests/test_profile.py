"""Consent, profile, needs assessment, recommendations and the person's control of their data,
as people go through them in the terminal (and, in test_profile_telegram.py, on Telegram)."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from bot.i18n import Translator
from bot.runtime import Runtime
from content.package import get_package
from content.questionnaire import get_questionnaires
from handlers.assessment import SEND
from handlers.profile import (
    AGREE,
    CONFIRM_WITHDRAW,
    CONSENT_WITHDRAWN,
    ERASED,
    NOT_NOW,
    YES_DELETE,
    YES_WITHDRAW,
)
from storage import privacy
from storage.models import (
    AssessmentAnswer,
    AssessmentResult,
    Base,
    Consent,
    Contact,
    Profile,
    UnansweredQuestion,
    utcnow,
)
from tests.test_conversation import Chat, buttons

Q = get_questionnaires()
KK, RU, EN = Translator("kk"), Translator("ru"), Translator("en")
NAME, PHONE, JOB = "Айгүл Сәрсенова", "+7 701 234 56 78", "тракторист"


async def count(rt: Runtime, model) -> int:  # type: ignore[no-untyped-def]
    async with rt.db.sessions() as s:
        return await s.scalar(select(func.count()).select_from(model))


def typed_answer(kind: str) -> str:
    return {"number": "2", "ages": "4, 9", "text": JOB, "phone": PHONE}[kind]


async def complete(
    chat: Chat, printed: str, lang: str, choose: dict[str, str] | None = None
) -> str:
    """Answer each question shown, starting from `printed`: the option named in `choose`,
    else the first; typed kinds are typed. Returns what the bot said after the last one."""
    choose = choose or {}
    by_text = {q.text.model_dump()[lang]: q for q in [*Q.profile, *Q.assessment]}
    for _ in range(40):
        asked = re.findall(r"^\(\d+/\d+\) (.+)$", printed, flags=re.M)
        if not asked:
            return printed
        question = by_text[asked[-1]]
        if question.kind != "choice":
            printed = await chat.say(typed_answer(question.kind))
        elif question.id in choose:
            printed = await chat.say(label_of(question, choose[question.id], lang))
        else:
            printed = await chat.say("1")
    raise AssertionError("the questionnaire did not end")


def label_of(question, option_id: str, lang: str) -> str:  # type: ignore[no-untyped-def]
    if question.options_from == "receiving_regions":
        return get_package().lib.regions[option_id].name[lang]
    return next(o for o in question.options if o.id == option_id).label.model_dump()[lang]


async def start_profile(chat: Chat, lang: str) -> str:
    await chat.term.begin(lang=lang)
    await chat.say("/profile")
    return await chat.say(Translator(lang).gettext(AGREE))


async def test_consent_refused_public_information_still_works_nothing_stored(
    runtime: Runtime,
) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang="ru")
    printed = await chat.say("/profile")
    assert printed.startswith(Q.consent_text["ru"])
    assert buttons(printed) == [RU.gettext(AGREE), RU.gettext(NOT_NOW)]
    await chat.say(RU.gettext(NOT_NOW))
    printed = await chat.say("сколько дают подъемных")
    assert "₸" in printed
    for model in (Consent, Profile, AssessmentAnswer, AssessmentResult):
        assert await count(runtime, model) == 0, model.__tablename__
    printed = await chat.say("/assessment")  # personal questions keep asking for consent
    assert printed.startswith(Q.consent_text["ru"])


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
async def test_consent_then_profile_and_assessment(runtime: Runtime, lang: str) -> None:
    tr = Translator(lang)
    chat = Chat(runtime)
    printed = await start_profile(chat, lang)
    assert "(1/" in printed
    printed = await complete(chat, printed, lang, {"destination": "pavlodar", "stage": "before"})
    assert tr.gettext("Needs assessment") in buttons(printed)
    printed = await chat.say(tr.gettext("Needs assessment"))
    printed = await complete(chat, printed, lang, {"heating": "gas"})
    assert printed.startswith(tr.gettext("Thank you! Here is what matters most for your move:"))
    stove = next(r for r in Q.rules if r.section == "programme/heating")
    assert stove.summary.model_dump()[lang] in printed
    assert tr.gettext(SEND) in buttons(printed)

    async with runtime.db.sessions() as s:
        contact = await s.scalar(select(Contact))
        profile = await s.get(Profile, contact.id)
        result = await s.get(AssessmentResult, contact.id)
        [consent] = list(await s.scalars(select(Consent)))
    assert (profile.destination, profile.stage, profile.children_ages) == (
        "pavlodar",
        "before",
        [4, 9],
    )
    assert (profile.phone, profile.phone_verified, profile.profession) == (
        "+77012345678",
        False,
        JOB,
    )
    assert (consent.granted, consent.version, consent.channel) == (
        True,
        Q.consent_version,
        "terminal",
    )
    assert stove.flag in result.flags and "school_children" in result.flags
    assert "pavlodar/schools" in contact.recommended  # a child of 9 and a destination

    menu = await chat.say("/menu")
    assert buttons(menu)[0].startswith("★"), "what matters most comes first"
    await chat.say("/menu")
    sent = await chat.say("/assessment")
    assert sent  # finished: the summary again, never an error
    await chat.say("/menu")


async def test_assessment_interrupted_and_resumed_next_day(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await complete(chat, await start_profile(chat, "kk"), "kk")
    first = await chat.say(KK.gettext("Needs assessment"))
    assert "(1/" in first
    await chat.say("1")
    await chat.say("1")
    await chat.say("/menu")  # gone for the day
    async with runtime.db.transaction() as s:
        await s.execute(update(Contact).values(last_seen_at=utcnow() - timedelta(days=1)))

    tomorrow = Chat(runtime)
    printed = await tomorrow.say("/assessment")
    assert "(3/" in printed, "it goes on from the third question"
    assert await count(runtime, AssessmentAnswer) == 2


async def test_a_question_typed_mid_questionnaire_is_answered(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await start_profile(chat, "ru")
    printed = await chat.say("сколько дают подъемных на переезд")
    assert "₸" in printed, "the questionnaire pauses; the question is answered"
    printed = await chat.say("/profile")
    assert "(1/" in printed, "and it resumes where it was"


async def test_profile_shows_and_changes_an_answer(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await complete(chat, await start_profile(chat, "en"), "en", {"destination": "kostanay"})
    printed = await chat.say("/profile")
    assert printed.startswith(EN.gettext("Your profile:"))
    assert "Kostanay Region" in printed and JOB in printed
    index = [q.id for q in Q.profile].index("destination") + 1
    printed = await chat.say(EN.gettext("Change: {item}", item=index))
    printed = await chat.say("Pavlodar Region")
    assert printed.startswith(EN.gettext("Your profile:")) and "Pavlodar Region" in printed


async def test_withdrawing_consent_removes_profile_and_assessment(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await complete(chat, await start_profile(chat, "ru"), "ru")
    await chat.say("/profile")
    asked = await chat.say(RU.gettext("Withdraw consent"))
    assert asked.startswith(RU.gettext(CONFIRM_WITHDRAW)), "nothing is deleted without a yes"
    assert await count(runtime, Profile) == 1
    printed = await chat.say(RU.gettext(YES_WITHDRAW))
    assert printed.startswith(RU.gettext(CONSENT_WITHDRAWN))
    assert await count(runtime, Profile) == 0 and await count(runtime, AssessmentAnswer) == 0
    async with runtime.db.sessions() as s:
        latest = await s.scalar(select(Consent).order_by(Consent.id.desc()))
    assert latest.granted is False
    assert (await chat.say("/profile")).startswith(Q.consent_text["ru"])


async def whole_journey(runtime: Runtime) -> Chat:
    """A named person from a fair, in Russian, through consent, profile and assessment."""
    chat = Chat(runtime)
    await chat.incoming(text="/start src_kostanay_fair", display_name=NAME)
    await chat.say("2")
    await chat.say("/profile")
    await complete(chat, await chat.say(RU.gettext(AGREE)), "ru")
    await complete(chat, await chat.say(RU.gettext("Needs assessment")), "ru")
    return chat


async def test_mydata_tells_everything_stored(runtime: Runtime) -> None:
    chat = await whole_journey(runtime)
    printed = await chat.say("/mydata")
    for expected in (NAME, "src_kostanay_fair", "+77012345678", JOB, Q.consent_version):
        assert expected in printed, expected
    for question in Q.assessment:
        assert question.text.model_dump()["ru"] in printed
    assert RU.gettext("That is everything I store about you.") in printed
    # A long conversation comes whole as a file, its latest messages in the chat; nowhere a
    # code for a language, a channel or a checklist instead of its name.
    [path] = re.findall(r"\[document: [^\]]*? (/\S+\.txt)\]", printed)
    record = Path(path).read_text(encoding="utf-8")
    assert "/profile" in record and NAME in record
    assert RU.gettext("The latest ones:") in printed
    assert "Язык: Русский" in printed and "Канал: терминал" in printed


async def test_forget_leaves_no_identifying_row(runtime: Runtime) -> None:
    chat = await whole_journey(runtime)
    await chat.say(RU.gettext(SEND))
    await chat.say("меня зовут Айгүл, zzzz qqqq")  # kept as unanswered
    assert await count(runtime, UnansweredQuestion) == 1
    await chat.say("/forget")
    printed = await chat.say(RU.gettext(YES_DELETE))
    assert printed.startswith(RU.gettext(ERASED))

    secrets = [NAME, "Айгүл", "7012345678", JOB, "src_kostanay_fair", "zzzz"]
    async with runtime.db.sessions() as s:
        for table in Base.metadata.sorted_tables:
            rows = (await s.execute(text(f"SELECT * FROM {table.name}"))).all()
            dump = repr(rows)
            for secret in secrets:
                assert secret not in dump, f"{secret!r} left in {table.name}"
        contact = await s.scalar(select(Contact))
        n_contacts = await s.scalar(select(func.count()).select_from(Contact))
    # One blank contact is left (SQLite may give it the old id: nothing else points there).
    assert n_contacts == 1 and contact.locale == "ru" and contact.source is None
    assert contact.display_name is None and contact.recommended == []
    for model in (Consent, Profile, AssessmentAnswer, AssessmentResult, UnansweredQuestion):
        assert await count(runtime, model) == 0, model.__tablename__
    assert "₸" in await chat.say("сколько дают подъемных"), "and the person can go on"


async def test_retention_erases_people_silent_too_long(runtime: Runtime) -> None:
    old, recent = Chat(runtime, user="old"), Chat(runtime, user="recent")
    for chat in (old, recent):
        await start_profile(chat, "kk")
        await chat.say("1")
    async with runtime.db.transaction() as s:
        await s.execute(
            update(Contact)
            .where(Contact.external_id == "old")
            .values(last_seen_at=utcnow() - timedelta(days=30 * 25))
        )
    async with runtime.db.transaction() as s:
        assert await privacy.purge_inactive(s, months=24) == 1
    async with runtime.db.sessions() as s:
        assert list(await s.scalars(select(Contact.external_id))) == ["recent"]
    assert await count(runtime, Profile) == 1


async def test_nothing_personal_in_the_logs(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    chat = Chat(runtime)
    await chat.incoming(text="/start", display_name=NAME)
    await chat.say("1")
    await chat.say("/profile")
    await complete(chat, await chat.say(KK.gettext(AGREE)), "kk")
    for secret in (NAME, "7012345678", "701 234", JOB):
        assert secret not in caplog.text


async def test_changing_an_answer_updates_what_is_recommended(runtime: Runtime) -> None:
    chat = Chat(runtime)
    choose = {"destination": "kostanay", "children": "0"}
    await complete(chat, await start_profile(chat, "en"), "en", choose)
    await complete(chat, await chat.say(EN.gettext("Needs assessment")), "en", {"job": "no"})
    async with runtime.db.sessions() as s:
        assert "kostanay/jobs" in (await s.scalar(select(Contact))).recommended
    await chat.say("/profile")
    index = [q.id for q in Q.profile].index("destination") + 1
    await chat.say(EN.gettext("Change: {item}", item=index))
    await chat.say("Pavlodar Region")
    async with runtime.db.sessions() as s:
        recommended = (await s.scalar(select(Contact))).recommended
    assert "pavlodar/jobs" in recommended and "kostanay/jobs" not in recommended

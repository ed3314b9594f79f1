"""/checklist: the list made for the household, ticking off, what is missing, the PDF, and the
reminder after days without progress (fired by the scheduler with a fake clock)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot import outbox
from bot.channels.terminal import render_row
from bot.clock import FakeClock
from bot.i18n import Translator
from bot.runtime import Runtime
from bot.scheduler import Scheduler
from content.procedures import Household, get_procedures, personal_items
from handlers.profile import AGREE
from storage.models import ChecklistProgress, Consent, Profile, utcnow
from tests.test_conversation import Chat, buttons

EN, KK = Translator("en"), Translator("kk")
PROC = get_procedures()


def keys(list_id: str, home: Household) -> list[str]:
    return [p.key for p in personal_items(PROC.checklists[list_id], home)]


def ids_per(list_id: str, per: str) -> list[str]:
    return [i.id for i in PROC.checklists[list_id].items if i.per == per]


def test_every_programme_has_lists_and_arrival_is_for_both() -> None:
    assert PROC.checklists_for("resettler") and PROC.checklists_for("kandas")
    assert {c.id for c in PROC.checklists_for(None)} == set(PROC.checklists)


def test_a_single_applicant_gets_no_spouse_or_child_documents() -> None:
    got = keys("kandas", Household(adults=1, children=0))
    assert not any(k.startswith(tuple(ids_per("kandas", "spouse"))) for k in got)
    assert not any(":" in k for k in got if k.split(":")[0] in ids_per("kandas", "each_child"))
    assert set(ids_per("kandas", "applicant")) <= set(got)


def test_a_couple_with_three_children_gets_spouse_and_one_item_per_child() -> None:
    got = keys("kandas", Household(adults=2, children=3, ages=(3, 8, 12)))
    for item in ids_per("kandas", "spouse"):
        assert f"{item}:1" in got
    for item in ids_per("kandas", "each_child"):
        assert [k for k in got if k.startswith(item + ":")] == [f"{item}:{n}" for n in (1, 2, 3)]


def test_school_and_preschool_items_follow_the_childrens_ages() -> None:
    for c in PROC.checklists.values():
        school, pre = ids_per(c.id, "each_school_child"), ids_per(c.id, "each_preschool_child")
        got = keys(c.id, Household(adults=1, children=3, ages=(3, 8, 12)))
        for item in school:
            assert [k for k in got if k.split(":")[0] == item] == [f"{item}:2", f"{item}:3"]
        for item in pre:
            assert [k for k in got if k.split(":")[0] == item] == [f"{item}:1"]
        # Ages not given: the item appears once, unnumbered, so nobody is left out.
        unknown = keys(c.id, Household(adults=1, children=2))
        for item in school + pre:
            assert item in unknown


async def with_profile(chat: Chat, **fields: object) -> None:
    """Consent given and a profile answered, as after /profile."""
    await chat.term.begin(lang="en")
    await chat.say("/profile")
    await chat.say(EN.gettext(AGREE))
    contact = await chat.contact()
    async with chat.runtime.db.transaction() as s:
        profile = await s.get(Profile, contact.id)
        for key, value in fields.items():
            setattr(profile, key, value)
        profile.answered = ["programme", "adults", "children"]
        contact = await s.get(type(contact), contact.id)
        contact.step, contact.step_data = None, {}


async def test_the_list_is_made_for_the_family_and_ticks_are_kept(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await with_profile(chat, programme="kandas", adults=2, children=2, children_ages=[4, 9])
    printed = await chat.say("/checklist")
    kandas = PROC.checklists["kandas"]
    assert kandas.button.en in buttons(printed)
    printed = await chat.say(kandas.button.en)
    assert EN.gettext("Ready: {done} of {total}", done=0, total=0).split(":")[0] in printed
    assert EN.gettext("child {n}", n=2) in printed and EN.gettext("spouse") in printed
    fetched = [i for i in kandas.items if i.fetched]
    if fetched:  # what staff fetch from state databases is listed as not to bring
        assert "You do not need to bring these" in printed
    first = buttons(printed)[0]
    printed = await chat.say(first)  # the item's details
    assert EN.gettext("Who issues it: {text}", text="").strip() in printed
    printed = await chat.say(EN.gettext("I have it ✓"))
    assert "Marked:" in printed and "Ready: 1 of" in printed
    printed = await chat.say("/checklist")
    printed = await chat.say(kandas.button.en)
    assert "☑ 1." in printed
    printed = await chat.say(EN.gettext("What is still missing"))
    assert first.split(". ", 1)[1] not in printed
    async with runtime.db.sessions() as s:
        row = await s.scalar(select(ChecklistProgress))
    assert len(row.done) == 1


async def test_without_consent_nothing_is_stored_and_consent_is_asked(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang="ru")
    printed = await chat.say("/checklist")
    assert Translator("ru").gettext(AGREE) in buttons(printed)
    async with runtime.db.sessions() as s:
        assert await s.scalar(select(ChecklistProgress)) is None


async def test_forged_item_buttons_change_nothing(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await with_profile(chat, programme="kandas", adults=1, children=0)
    for forged in ("ck:kandas:nonexistent", "ck:nolist:x", "ck:kandas:birth_certificate:9", "cp:x"):
        printed = await chat.incoming(kind="action", action=forged)
        assert "no longer works" in printed
    async with runtime.db.sessions() as s:
        rows = list(await s.scalars(select(ChecklistProgress)))
    assert all(not r.done for r in rows)


async def test_the_pdf_has_the_personal_list_and_goes_away_with_the_person(
    runtime: Runtime,
) -> None:
    chat = Chat(runtime)
    await with_profile(chat, programme="resettler", adults=2, children=1, children_ages=[7])
    await chat.say("/checklist")
    printed = await chat.say(PROC.checklists["resettler"].button.en)
    printed = await chat.say(EN.gettext("PDF to print"))
    assert "[document:" in printed
    path = printed.split("[document:", 1)[1].split("]")[0].split()[-1]
    from pathlib import Path

    pdf = Path(path)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 2000
    assert str(runtime.settings.data_dir) in str(pdf) and "private" in pdf.parts
    await chat.say("/forget")
    await chat.say(EN.gettext("Yes, delete"))
    assert not pdf.exists()


async def test_reminder_after_days_without_progress_only_with_consent(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await with_profile(chat, programme="resettler", adults=1, children=0)
    await chat.say("/checklist")
    await chat.say(PROC.checklists["resettler"].button.en)
    await chat.say(EN.gettext("Reminders"))
    printed = await chat.say(EN.gettext("Yes, remind me"))
    assert "7 days" in printed
    contact = await chat.contact()
    noon = utcnow().replace(hour=7, minute=0)  # 12:00 in Kazakhstan: not quiet hours
    clock = FakeClock(noon + timedelta(days=3))
    jobs = Scheduler(runtime.db, runtime.settings, clock)
    assert await jobs.run_once() == 0  # three days: too early
    clock.advance(days=5)
    assert await jobs.run_once() == 1
    assert await jobs.run_once() == 0  # once per stall, not every minute
    rows = await outbox.take_for_contact(runtime.db, contact.id)
    text = "\n".join(render_row(r.text or "", r.payload) for r in rows)
    assert "has not changed for a while" in text and "What is still missing" in text
    # Consent withdrawn: the list and its reminders are gone.
    async with runtime.db.transaction() as s:
        s.add(
            Consent(
                contact_id=contact.id,
                kind="profile",
                version="x",
                granted=False,
                channel="terminal",
            )
        )
        row = await s.scalar(select(ChecklistProgress))
        row.reminded_at = None
    clock.advance(days=10)
    assert await jobs.run_once() == 0


async def test_quiet_hours_hold_the_nudge_until_morning(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await with_profile(chat, programme="resettler", adults=1, children=0)
    await chat.say("/checklist")
    await chat.say(PROC.checklists["resettler"].button.en)
    await chat.say(EN.gettext("Reminders"))
    await chat.say(EN.gettext("Yes, remind me"))
    night = utcnow().replace(hour=18, minute=0) + timedelta(days=9)  # 23:00 local
    clock = FakeClock(night)
    jobs = Scheduler(runtime.db, runtime.settings, clock)
    assert await jobs.run_once() == 0
    clock.advance(hours=5)  # 04:00 local: still quiet
    assert await jobs.run_once() == 0
    clock.advance(hours=5)  # 09:00 local
    assert await jobs.run_once() == 1


async def test_kazakh_list_is_in_kazakh(runtime: Runtime) -> None:
    chat = Chat(runtime)
    await chat.term.begin(lang="kk")
    await chat.say("/profile")
    await chat.say(KK.gettext(AGREE))
    contact = await chat.contact()
    async with runtime.db.transaction() as s:
        profile = await s.get(Profile, contact.id)
        profile.programme, profile.adults, profile.answered = "kandas", 1, ["programme"]
        c = await s.get(type(contact), contact.id)
        c.step = None
    printed = await chat.say("/checklist")
    printed = await chat.say(PROC.checklists["kandas"].button.kk)
    assert PROC.checklists["kandas"].items[0].title.kk in printed
    assert KK.gettext("What is still missing") in buttons(printed)


async def test_a_typed_number_opens_the_document_of_that_number(runtime: Runtime) -> None:
    """Once a document is ticked the buttons skip its number ("1.", "2.", "4."…): typing "4"
    opens document 4 of the list the person reads, not the fourth button."""
    chat = Chat(runtime)
    await with_profile(chat, programme="resettler", adults=1, children=0)
    await chat.say("/checklist")
    arrival = PROC.checklists["arrival"]
    printed = await chat.say(arrival.button.en)
    third = buttons(printed)[2]
    assert third.startswith("3. ")
    await chat.say(third)
    printed = await chat.say(EN.gettext("I have it ✓"))
    assert "3. " not in " ".join(buttons(printed)) and len(buttons(printed)) <= 10
    fourth = next(b for b in buttons(printed) if b.startswith("4. "))
    printed = await chat.say("4")
    item4 = next(i for i in arrival.items if i.button.en == fourth.removeprefix("4. "))
    assert item4.title.en in printed

"""Asking the questions of a questionnaire one by one, by buttons where possible, each
skippable, and resuming where the person left off.

Action ids: qa:<p|a>:<question>:<option> an answer; qs:<p|a>:<question> skip.
Dialog step `q:<p|a>` with step_data {"q": question id} waits for a typed answer (numbers,
ages, a profession, a phone number) or a shared contact.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from itertools import groupby
from typing import Any

from sqlalchemy import select

from bot import phones
from bot.context import Context
from bot.dispatcher import Router
from bot.i18n import N_, Translator
from bot.types import Button, Reply
from content.package import get_package
from content.questionnaire import Question, get_questionnaires
from content.recommend import matches
from handlers.menu import outdated_button
from storage.models import AssessmentAnswer, Profile, utcnow

CODES = {"p": "profile", "a": "assessment"}
SKIP, LATER, SHARE_PHONE = N_("Skip"), N_("Later"), N_("Share my number")
NOT_DECIDED = N_("Not decided")
RETRY = {
    "number": N_("Please write a number, for example 2."),
    "ages": N_("Please write the ages with commas, for example: 3, 7, 12."),
    "phone": N_("Please write the number like +7 701 234 56 78, or skip."),
    "text": N_("Please write it in a few words, or skip."),
}

# Called when a questionnaire has no questions left: (ctx) -> None.
on_finished: dict[str, Callable[[Context], Awaitable[None]]] = {}


async def profile_of(ctx: Context) -> Profile:
    profile = await ctx.session.get(Profile, ctx.contact.id)
    if profile is None:
        profile = Profile(contact_id=ctx.contact.id, children_ages=[], extra={}, answered=[])
        ctx.session.add(profile)
        await ctx.session.flush()
    return profile


async def answers_of(ctx: Context) -> dict[str, str | None]:
    rows = await ctx.session.scalars(
        select(AssessmentAnswer).where(AssessmentAnswer.contact_id == ctx.contact.id)
    )
    return {r.question: r.answer for r in rows}


def profile_values(profile: Profile | None) -> dict[str, Any]:
    if profile is None:
        return {}
    q = get_questionnaires()
    values = {x.field: getattr(profile, x.field) for x in q.profile if x.field}
    return {**(profile.extra or {}), **values}


async def ask_next(ctx: Context, code: str) -> None:
    """The next question not yet answered (or skipped) whose conditions hold, or the end."""
    q = get_questionnaires()
    questions = getattr(q, CODES[code])
    profile = await profile_of(ctx)
    values = profile_values(profile)
    answers = await answers_of(ctx)
    done = set(profile.answered or []) if code == "p" else set(answers)
    known = {**values, **answers}
    pending = [x for x in questions if x.id not in done and _when_holds(x, known)]
    if not pending:
        ctx.set_step(None)
        await on_finished[code](ctx)
        return
    answered = len([x for x in questions if x.id in done])
    coming = [x for x in questions if x.id not in done and _when_open(x, known)]
    total = answered + len(pending) + _at_most(coming)
    await ask(ctx, code, pending[0], position=(answered + 1, total))


def _at_most(coming: list[Question]) -> int:
    """How many of the questions still waiting on an answer one person can be asked: of
    alternatives on the same answer (origin region for resettlers, country for kandases) only
    one, so the counter does not jump from (1/16) to (2/15) after the first answer."""
    count = 0
    for _, group in groupby(sorted(coming, key=_keys), key=_keys):
        group = list(group)
        count += max(sum(_together(q, other) for other in group) for q in group)
    return count


def _keys(question: Question) -> tuple[str, ...]:
    return tuple(sorted(question.when))


def _together(a: Question, b: Question) -> bool:
    """Whether one set of answers can ask both: their wanted values overlap on every key."""
    return all(set(map(str, a.when[k])) & set(map(str, b.when[k])) for k in a.when)


def _when_open(question: Question, known: dict[str, Any]) -> bool:
    return any(known.get(key) is None for key in question.when)


def _when_holds(question: Question, known: dict[str, Any]) -> bool:
    return all(matches(known.get(key), wanted) for key, wanted in question.when.items())


async def ask(
    ctx: Context, code: str, question: Question, position: tuple[int, int] | None = None
) -> None:
    text = question.text.text(ctx.locale)
    if position:
        text = f"({position[0]}/{position[1]}) {text}"
    buttons = [
        Button(label, f"qa:{code}:{question.id}:{oid}") for oid, label in options(ctx, question)
    ]
    if question.kind == "phone" and ctx.incoming.channel == "telegram":
        buttons.insert(0, Button(ctx._(SHARE_PHONE), f"qs:{code}:{question.id}", request="phone"))
    buttons += [Button(ctx._(SKIP), f"qs:{code}:{question.id}"), Button(ctx._(LATER), "menu")]
    ctx.set_step(f"q:{code}", {"q": question.id, "typed": question.kind != "choice"})
    ctx.reply(text, buttons)


def options(ctx: Context, question: Question) -> list[tuple[str, str]]:
    return option_labels(question, ctx.locale)


def option_labels(question: Question, lang: str) -> list[tuple[str, str]]:
    """A choice's answers as (id, label) in a language: for the person, and for staff."""
    if question.options:
        return [(o.id, o.label.text(lang)) for o in question.options]
    if question.options_from == "receiving_regions":
        regions = get_package().lib.regions
        found = sorted(((r.id, r.short[lang]) for r in regions.values()), key=lambda x: x[1])
        return [*found, ("undecided", Translator(lang).gettext(NOT_DECIDED))]
    if question.options_from:
        places = get_questionnaires().places[question.options_from]
        return [(p.id, p.name.text(lang)) for p in places]
    return []


async def record(ctx: Context, code: str, question: Question, value: Any) -> None:
    """Store an answer (None: skipped)."""
    if code == "p":
        profile = await profile_of(ctx)
        if question.field:
            setattr(profile, question.field, value)
        else:
            profile.extra = {**(profile.extra or {}), question.id: value}
        profile.answered = sorted({*(profile.answered or []), question.id})
        profile.updated_at = utcnow()
    else:
        row = await ctx.session.get(AssessmentAnswer, (ctx.contact.id, question.id))
        if row is None:
            row = AssessmentAnswer(contact_id=ctx.contact.id, question=question.id)
            ctx.session.add(row)
        row.area, row.answer, row.answered_at = question.area or "", value, utcnow()


def parse(question: Question, text: str) -> Any:
    """A typed answer as the value to store, or None when it does not fit."""
    text = text.strip()
    if question.kind == "number":
        # isascii: "²" passes isdigit() but not int()
        return int(text) if text.isascii() and text.isdigit() and int(text) <= 20 else None
    if question.kind == "ages":
        ages = [int(a) for a in re.findall(r"\d+", text)]
        return ages if ages and all(a <= 25 for a in ages) and len(ages) <= 15 else None
    if question.kind == "phone":
        return phones.normalise(text)
    if question.kind == "text":
        return text[:100] if 2 <= len(text) <= 100 else None
    return None


def retry_text(ctx: Context, question: Question) -> str:
    return ctx._(RETRY.get(question.kind, SKIP))


router = Router("questionnaire")


def _question(code: str, qid: str) -> Question | None:
    return get_questionnaires().question(CODES[code], qid) if code in CODES else None


@router.action("qa", "qs")
async def on_answer(ctx: Context) -> None:
    code, _, rest = ctx.args.partition(":")
    qid, _, option = rest.partition(":")
    question = _question(code, qid)
    skipped = bool(ctx.incoming.action and ctx.incoming.action.startswith("qs:"))
    if question is None or not await has_consent(ctx):
        await outdated_button(ctx)
        return
    if not skipped and option not in {oid for oid, _ in options(ctx, question)}:
        await outdated_button(ctx)
        return
    await record(ctx, code, question, None if skipped else option)
    await after_answer(ctx, code)


@router.step("q:p", "q:a")
async def on_typed(ctx: Context) -> None:
    code = (ctx.contact.step or "q:p")[-1]
    question = _question(code, (ctx.contact.step_data or {}).get("q", ""))
    inc = ctx.incoming
    if question is None or question.kind == "choice" or not await has_consent(ctx):
        ctx.set_step(None)  # not an answer: the person asked something else; pause and answer
        await answer_freely(ctx)
        return
    if inc.kind == "contact" and question.kind == "phone" and inc.attachments:
        shared = inc.attachments[0]
        value = phones.normalise(str(shared.get("phone", "")))
        if value:
            profile = await profile_of(ctx)
            profile.phone_verified = bool(shared.get("verified"))
            await record(ctx, code, question, value)
            await after_answer(ctx, code)
            return
    value = parse(question, inc.text or "") if inc.kind == "text" else None
    if value is None:
        if inc.kind == "text" and len((inc.text or "").split()) >= 3 and question.kind != "text":
            ctx.set_step(None)  # a sentence, not a number: a question for the package
            await answer_freely(ctx)
            return
        await ask(ctx, code, question)
        ctx.replies.insert(-1, Reply(text=retry_text(ctx, question)))
        return
    if question.kind == "phone":
        (await profile_of(ctx)).phone_verified = False  # typed, so not confirmed by the platform
    await record(ctx, code, question, value)
    await after_answer(ctx, code)


async def after_answer(ctx: Context, code: str) -> None:
    from handlers.assessment import update_recommendations

    await update_recommendations(ctx)  # every answer can change what matters most
    edit = (ctx.contact.step_data or {}).get("edit")
    ctx.set_step(None)
    if edit:  # changing one answer from /profile: back to the profile
        from handlers.profile import show_profile

        await show_profile(ctx)
        return
    await ask_next(ctx, code)


async def answer_freely(ctx: Context) -> None:
    from handlers.search import on_text

    if ctx.incoming.kind == "text":
        await on_text(ctx)
    else:
        from handlers.fallback import on_anything

        await on_anything(ctx)


async def has_consent(ctx: Context) -> bool:
    from handlers.profile import consent_in_force

    return await consent_in_force(ctx)

"""The needs assessment in seven areas, its summary and where to go next, and the three
sections at the top of the menu that matter most for this person."""

from __future__ import annotations

from bot.context import Context
from bot.dispatcher import Router
from bot.i18n import N_
from bot.types import Button
from content.package import get_package
from content.questionnaire import get_questionnaires
from content.recommend import recommend, sections
from handlers import questionnaire as qn
from handlers.menu import back_to_menu
from storage.models import AssessmentResult, utcnow

router = Router("assessment")
SEND = N_("Send to a caseworker")
SUMMARY_TOP = 6


@router.command("assessment")
@router.action("as")
async def on_assessment(ctx: Context) -> None:
    from handlers.profile import ask_consent, consent_in_force

    if ctx.args == "share":
        await share(ctx)
        return
    if not await consent_in_force(ctx):
        ask_consent(ctx, "assessment")
        return
    await start_assessment(ctx)


async def start_assessment(ctx: Context) -> None:
    await qn.ask_next(ctx, "a")


async def assessment_finished(ctx: Context) -> None:
    rules = await update_recommendations(ctx)
    result = await ctx.session.get(AssessmentResult, ctx.contact.id)
    if result is None:
        result = AssessmentResult(contact_id=ctx.contact.id)
        ctx.session.add(result)
    result.flags, result.completed_at = [r.flag for r in rules], utcnow()
    lines = [ctx._("Thank you! Here is what matters most for your move:")]
    lines += [f"• {r.summary.text(ctx.locale)}" for r in rules[:SUMMARY_TOP]]
    if not rules:
        lines.append(ctx._("Nothing stands out: read the sections of your region in the menu."))
    buttons = recommended_buttons(ctx, limit=3)
    buttons += [Button(ctx._(SEND), "as:share"), Button(ctx._("Menu"), "menu")]
    ctx.reply("\n".join(lines), buttons)


qn.on_finished["a"] = assessment_finished


def _register_after_consent() -> None:
    from handlers.profile import AFTER_CONSENT

    AFTER_CONSENT["assessment"] = start_assessment


_register_after_consent()


async def update_recommendations(ctx: Context):  # type: ignore[no-untyped-def]
    """Recompute the sections that matter for this profile and stage; kept on the contact."""
    profile = await qn.profile_of(ctx)
    values = qn.profile_values(profile)
    rules = recommend(get_questionnaires().rules, values, await qn.answers_of(ctx))
    ctx.contact.recommended = sections(rules, values.get("destination"))
    return rules


async def share(ctx: Context) -> None:
    result = await ctx.session.get(AssessmentResult, ctx.contact.id)
    if result is None:
        await start_assessment(ctx)
        return
    result.shared_at = utcnow()
    ctx.reply(
        ctx._(
            "Sent. A caseworker of your region will see your profile and this summary when "
            "they take up your case."
        ),
        back_to_menu(ctx),
    )


def recommended_buttons(ctx: Context, limit: int = 3) -> list[Button]:
    lib = get_package().lib
    buttons = []
    for key in (ctx.contact.recommended or [])[:limit]:
        scope, topic = key.split("/", 1)
        if scope == "programme" and topic in lib.topics["programme"]:
            buttons.append(
                Button("★ " + lib.topics["programme"][topic].label[ctx.locale], f"p:{topic}")
            )
        elif topic in lib.topics["region"]:
            label = lib.topics["region"][topic].label[ctx.locale]
            if scope in lib.regions:
                label += f" · {lib.regions[scope].centre[ctx.locale]}"
                buttons.append(Button("★ " + label, f"t:{scope}:{topic}"))
            else:
                buttons.append(Button("★ " + label, f"ask:{topic}"))
    return buttons

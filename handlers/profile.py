"""Consent, the profile, and the person's control of their data: /profile, /mydata, /forget.

Nothing personal is asked before consent. Without it every public section still works.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.context import ERASED as ERASED_SIGNAL
from bot.context import Context
from bot.dispatcher import Handler, Router
from bot.i18n import N_
from bot.types import Button, Media
from content.questionnaire import get_questionnaires
from handlers import questionnaire as qn
from handlers.menu import back_to_menu, menu_item, outdated_button, show_menu
from storage import privacy
from storage.models import Consent

router = Router("profile")
# What a feature that asked for consent does once it is given: `cs:yes:<feature>`.
AFTER_CONSENT: dict[str, Handler] = {}
KIND = "profile"

menu_item(N_("My profile and data"), "profile", 40)

AGREE, NOT_NOW = N_("I agree"), N_("Not now")
START_ASSESSMENT = N_("Needs assessment")
CHANGE = N_("Change: {item}")
MY_DATA, FORGET, WITHDRAW = N_("My data"), N_("Delete everything"), N_("Withdraw consent")
YES_DELETE, NO_KEEP = N_("Yes, delete"), N_("No, keep")
YES_WITHDRAW = N_("Yes, withdraw")
CONFIRM_WITHDRAW = N_(
    "Withdraw your consent? I will delete your profile and your assessment at once and send "
    "you no personal messages."
)
EMPTY = N_("not given")
ERASED = N_(
    "Done. I deleted your profile, your assessment, your consents, the questions you "
    "asked and our conversation. You can go on using me as a new person."
)
CONSENT_WITHDRAWN = N_(
    "Consent withdrawn. I deleted your profile and assessment and will send you no "
    "personal messages. Our conversation stays until you delete it with /forget."
)


async def latest_consent(ctx: Context, kind: str) -> Consent | None:
    """The consent of this kind in force: the person's latest answer."""
    return await ctx.session.scalar(
        select(Consent)
        .where(Consent.contact_id == ctx.contact.id, Consent.kind == kind)
        .order_by(Consent.id.desc())
        .limit(1)
    )


async def consent_in_force(ctx: Context) -> bool:
    latest = await latest_consent(ctx, KIND)
    version = get_questionnaires().consent_version
    return bool(latest and latest.granted and latest.version == version)


def ask_consent(ctx: Context, then: str) -> None:
    q = get_questionnaires()
    ctx.reply(
        q.consent_text[ctx.locale],
        [Button(ctx._(AGREE), f"cs:yes:{then}"), Button(ctx._(NOT_NOW), "cs:no")],
    )


@router.command("profile")
@router.action("profile")
async def on_profile(ctx: Context) -> None:
    if not await consent_in_force(ctx):
        ask_consent(ctx, "profile")
        return
    profile = await qn.profile_of(ctx)
    if not profile.answered:
        await qn.ask_next(ctx, "p")
        return
    await show_profile(ctx)


@router.action("cs")
async def on_consent(ctx: Context) -> None:
    answer, _, then = ctx.args.partition(":")
    if answer == "no":
        ctx.reply(
            ctx._(
                "All right: I store nothing about you. You can still ask me anything about "
                "the programme and the regions."
            ),
            back_to_menu(ctx),
        )
        return
    if answer == "withdraw":
        nonce = ctx.confirmation("withdraw")
        ctx.reply(
            ctx._(CONFIRM_WITHDRAW),
            [Button(ctx._(YES_WITHDRAW), f"cw:{nonce}"), Button(ctx._(NO_KEEP), "menu")],
        )
        return
    if answer != "yes":
        await outdated_button(ctx)
        return
    record_consent(ctx, granted=True)
    ctx.reply(ctx._("Thank you. You can skip any question."))
    if then in AFTER_CONSENT:
        await AFTER_CONSENT[then](ctx)
    else:
        await qn.ask_next(ctx, "p")


def record_consent(ctx: Context, granted: bool) -> None:
    ctx.session.add(
        Consent(
            contact_id=ctx.contact.id,
            kind=KIND,
            version=get_questionnaires().consent_version,
            granted=granted,
            channel=ctx.contact.channel,
        )
    )


async def profile_finished(ctx: Context) -> None:
    ctx.reply(
        ctx.ngettext(
            "Thank you, your profile is saved. Now {n} short question (under 5 minutes): the "
            "answers show what matters most for your move.",
            "Thank you, your profile is saved. Now {n} short questions (under 5 minutes): the "
            "answers show what matters most for your move.",
            len(get_questionnaires().assessment),
        ),
        [
            Button(ctx._(START_ASSESSMENT), "as:start"),
            Button(ctx._("News for me"), "subs"),
            Button(ctx._("Later"), "menu"),
        ],
    )


qn.on_finished["p"] = profile_finished


async def show_profile(ctx: Context) -> None:
    """What is stored, each answer with a button to change it."""
    q = get_questionnaires()
    profile = await qn.profile_of(ctx)
    values = qn.profile_values(profile)
    lines, buttons = [ctx._("Your profile:")], []
    for question in q.profile:
        value = values.get(question.field or question.id)
        lines.append(
            f"• {short_text(question.text.text(ctx.locale))}: {shown(ctx, question, value)}"
        )
        buttons.append(Button(ctx._(CHANGE, item=str(len(buttons) + 1)), f"pe:{question.id}"))
    if profile.phone and profile.phone_verified:
        lines.append(ctx._("(your phone number was confirmed by Telegram)"))
    buttons += [
        Button(ctx._(START_ASSESSMENT), "as:start"),
        Button(ctx._(MY_DATA), "mydata"),
        Button(ctx._(WITHDRAW), "cs:withdraw"),
        Button(ctx._(FORGET), "forget"),
        Button(ctx._("Menu"), "menu"),
    ]
    numbered = [lines[0], *[f"{i}. {line[2:]}" for i, line in enumerate(lines[1:], 1)]]
    ctx.reply("\n".join(numbered), buttons)


def short_text(text: str, limit: int = 60) -> str:
    """The question as a label: up to its question mark, cut at a word if still long."""
    text = text.split("?")[0].split("(")[0].strip()
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def shown(ctx: Context, question, value) -> str:  # type: ignore[no-untyped-def]
    if value in (None, "", []):
        return ctx._(EMPTY)
    if question.kind == "choice":
        return dict(qn.options(ctx, question)).get(str(value), str(value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


@router.action("pe")
async def on_edit(ctx: Context) -> None:
    question = get_questionnaires().question("profile", ctx.args)
    if question is None or not await consent_in_force(ctx):
        await outdated_button(ctx)
        return
    await qn.ask(ctx, "p", question)
    ctx.contact.step_data = {**(ctx.contact.step_data or {}), "edit": True}


@router.command("mydata")
@router.action("mydata")
async def on_mydata(ctx: Context) -> None:
    from handlers.mydata import SHOWN_MESSAGES, describe, transcript, write_record

    parts, messages = await describe(ctx)
    for part in parts:
        ctx.reply(part)
    lines = transcript(ctx, messages)
    n = len(lines)
    head = ctx.ngettext("Our conversation: {n} message", "Our conversation: {n} messages", n)
    if n > SHOWN_MESSAGES:  # a long conversation as a file, not dozens of messages
        path = write_record(ctx, parts, lines)
        caption = ctx._("Everything I store about you, with the whole conversation")
        ctx.reply(caption, media=Media("document", path=str(path), caption=caption))
        head += "\n" + ctx._("The latest ones:")
        lines = lines[-SHOWN_MESSAGES:]
    ctx.reply("\n".join([head, *(line[:300] for line in lines)]))
    ctx.reply(ctx._("That is everything I store about you."), back_to_menu(ctx))


@router.command("forget")
@router.action("forget")
async def on_forget(ctx: Context) -> None:
    ctx.reply(
        ctx._(
            "Delete everything I store about you: your profile, your assessment, your "
            "consents and our whole conversation? This cannot be undone."
        ),
        [Button(ctx._(YES_DELETE), f"fg:{ctx.confirmation('forget')}"),
         Button(ctx._(NO_KEEP), "menu")],
    )  # fmt: skip


@router.action("fg")
async def on_forget_confirmed(ctx: Context) -> None:
    """Only the "Yes" just offered erases: a forged or old button finds no confirmation."""
    if not ctx.confirmed("forget", ctx.args):
        await outdated_button(ctx)
        return
    privacy.erase_files(ctx.settings.data_dir, ctx.contact.id)
    ctx.contact = await privacy.erase(ctx.session, ctx.contact)
    ctx.signals.add(ERASED_SIGNAL)
    ctx.reply(ctx._(ERASED))
    show_menu(ctx)


@router.action("cw")
async def on_withdraw_confirmed(ctx: Context) -> None:
    if not ctx.confirmed("withdraw", ctx.args):
        await outdated_button(ctx)
        return
    await on_consent_withdraw(ctx)


async def on_consent_withdraw(ctx: Context) -> None:
    await privacy.withdraw(ctx.session, ctx.contact)
    record_consent(ctx, granted=False)
    ctx.reply(ctx._(CONSENT_WITHDRAWN), back_to_menu(ctx))

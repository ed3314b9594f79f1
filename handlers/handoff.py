"""Talking to a caseworker: the request, the wait, the conversation held by a human, the rating.

While a case is active the contact's step is `handoff` and a hold sees every event first:
what the person sends goes to the caseworker and the bot stays quiet, except for the way
back (/menu, /start, /forget, the "back to the bot" button), which closes the case.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.dates import day_text
from bot.dispatcher import Router
from bot.i18n import N_, Translator
from bot.types import Button, Reply
from bot.workdays import is_working_day
from content.normalise import normalise
from content.questionnaire import get_questionnaires
from handlers.menu import back_to_menu, menu_item, outdated_button, show_menu
from handlers.package import package
from handlers.profile import latest_consent
from storage import cases
from storage.models import Case, Consent, Contact, Profile, parse_id, utcnow

router = Router("handoff")
STEP, RATE_COMMENT = "handoff", "rate_comment"
CONSENT_KIND, CONSENT_VERSION = "handoff", "2026-12"
ESCAPES = frozenset({"menu", "start", "forget"})

TALK = N_("Talk to a caseworker")
menu_item(TALK, "hf", 70)

TOPIC_LABELS = {
    "documents": N_("Documents"),
    "money": N_("Payments and money"),
    "housing": N_("Housing"),
    "job": N_("Work"),
    "other": N_("Something else"),
}
NOTICE = N_(
    "A caseworker of the career centre of your region will read your last messages to me "
    "(from the past day), what you write until the conversation ends, and what you told me "
    "in your profile and assessment, in order to help you. Staff may not pass your data on "
    "without your consent. Do you agree?"
)
AGREE, CANCEL = N_("I agree"), N_("Cancel")
ASK_TOPIC = N_("What is your question about?")
ASK_REGION = N_("Which region's career centre should answer you: where you live now?")
NOT_DECIDED = N_("I do not know")
PASSED_ON = N_("I have passed your question to a caseworker of {region}.")
PASSED_ON_ANY = N_("I have passed your question to a caseworker.")
USUAL_WAIT = N_("Usually someone answers within {minutes} minutes.")
NO_ESTIMATE = N_("They will answer here as soon as they are free.")
CLOSED_NOW = N_(
    "Caseworkers work on working days from {start} to {end}. A caseworker will answer you "
    "on {day} from {start}."
)
HOW_TO_WRITE = N_(
    "Write your question here. Photos, documents and voice messages are fine too. "
    "To go back to the bot, send /menu."
)
BACK_TO_BOT = N_("Back to the bot")
ALREADY = N_(
    "You are already talking to a caseworker. Write here; to go back to the bot, send /menu."
)
BACK = N_("You are back with the bot. Your question stays with the caseworkers' history.")
ASK_RATING = N_(
    "The caseworker has finished the conversation. How would you rate the help, from 1 "
    "(bad) to 5 (very good)?"
)
THANKS_RATING = N_("Thank you! If you like, write a comment in one message, or press Menu.")
THANKS_COMMENT = N_("Thank you, I have passed your comment on.")
WORDS = [
    "оператор", "operator", "маман", "маманмен", "маманға", "специалист", "специалистом",
    "специалиста", "консультант", "менеджер", "caseworker", "human", "agent",
]  # fmt: skip
PHRASES = [
    "маманмен сөйлескім келеді",
    "адаммен сөйлескім келеді",
    "тірі адам",
    "живой человек",
    "поговорить с человеком",
    "talk to a person",
    "speak to a person",
    "real person",
]
TRIGGER_WORDS = frozenset(normalise(w) for w in WORDS)
TRIGGER_PHRASES = [frozenset(normalise(p).split()) for p in PHRASES]


def wants_person(text: str) -> bool:
    """A short message that asks for a human ("оператор", "маманмен сөйлескім келеді")."""
    words = normalise(text).split()
    if not words or len(words) > 6:
        return False
    found = set(words)
    return bool(found & TRIGGER_WORDS) or any(p <= found for p in TRIGGER_PHRASES)


def region_names(lang: str) -> dict[str, str]:
    """Every region a case can belong to: receiving (the package) and sending (the profile)."""
    names = {rid: r.name[lang] for rid, r in package().lib.regions.items()}
    for place in get_questionnaires().places.get("sending_regions", []):
        if place.id != "other":
            names[place.id] = place.name.text(lang)
    return names


@router.command("operator", "caseworker")
@router.action("hf")
async def on_request(ctx: Context) -> None:
    if await cases.active_case(ctx.session, ctx.contact.id):
        ctx.set_step(STEP, ctx.contact.step_data if ctx.contact.step == STEP else {})
        ctx.reply(ctx._(ALREADY), [Button(ctx._(BACK_TO_BOT), "hfx")])
        return
    if not await _agreed(ctx):
        ctx.reply(ctx._(NOTICE), [Button(ctx._(AGREE), "hfok"), Button(ctx._(CANCEL), "menu")])
        return
    _ask_topic(ctx)


@router.action("hfok")
async def on_agree(ctx: Context) -> None:
    ctx.session.add(
        Consent(
            contact_id=ctx.contact.id,
            kind=CONSENT_KIND,
            version=CONSENT_VERSION,
            granted=True,
            channel=ctx.contact.channel,
        )
    )
    _ask_topic(ctx)


def _ask_topic(ctx: Context) -> None:
    buttons = [Button(ctx._(label), f"hft:{topic}") for topic, label in TOPIC_LABELS.items()]
    ctx.reply(ctx._(ASK_TOPIC), [*buttons, Button(ctx._(CANCEL), "menu")])


@router.action("hft")
async def on_topic(ctx: Context) -> None:
    topic = ctx.args
    if topic not in TOPIC_LABELS or not await _agreed(ctx):
        await outdated_button(ctx)
        return
    region = await _profile_region(ctx)
    if region:
        await _open(ctx, topic, region)
        return
    names = region_names(ctx.locale)
    shorts = {rid: r.short[ctx.locale] for rid, r in package().lib.regions.items()}
    ordered = sorted(names.items(), key=lambda x: x[1])
    buttons = [Button(shorts.get(r, n), f"hfr:{topic}:{r}") for r, n in ordered]
    ctx.reply(ctx._(ASK_REGION), [*buttons, Button(ctx._(NOT_DECIDED), f"hfr:{topic}:-")])


@router.action("hfr")
async def on_region(ctx: Context) -> None:
    topic, _, region = ctx.args.partition(":")
    known = region_names(ctx.locale)
    if topic not in TOPIC_LABELS or (region != "-" and region not in known):
        await outdated_button(ctx)
        return
    if not await _agreed(ctx):
        await outdated_button(ctx)
        return
    await _open(ctx, topic, None if region == "-" else region)


async def _open(ctx: Context, topic: str, region: str | None) -> None:
    if await cases.active_case(ctx.session, ctx.contact.id):  # a second tap on an old button
        ctx.reply(ctx._(ALREADY), [Button(ctx._(BACK_TO_BOT), "hfx")])
        return
    case = await cases.open_case(ctx.session, ctx.contact, region, topic)
    ctx.set_step(STEP, {"case": case.id})
    ctx.signals.add("console")
    name = region_names(ctx.locale).get(region or "")
    lines = [ctx._(PASSED_ON, region=name) if name else ctx._(PASSED_ON_ANY)]
    lines.append(await _when(ctx, region))
    lines.append(ctx._(HOW_TO_WRITE))
    ctx.reply("\n\n".join(lines), [Button(ctx._(BACK_TO_BOT), "hfx")])


async def _when(ctx: Context, region: str | None) -> str:
    """During working hours how long the wait usually is; outside them, when it opens."""
    start, end = _hours(ctx.settings.console_hours)
    tz = ZoneInfo(ctx.settings.timezone)
    now = utcnow().astimezone(tz)
    if is_working_day(now.date()) and start <= now.time() < end:
        minutes = await cases.typical_wait(ctx.session, region, utcnow() - timedelta(days=30))
        if minutes is None:
            return ctx._(NO_ESTIMATE)
        return ctx._(USUAL_WAIT, minutes=max(1, round(minutes)))
    day = now.date() if now.time() < start and is_working_day(now.date()) else None
    probe = now.date()
    while day is None:
        probe += timedelta(days=1)
        day = probe if is_working_day(probe) else None
    return ctx._(
        CLOSED_NOW, start=start.strftime("%H:%M"), end=end.strftime("%H:%M"), day=_day(ctx, day)
    )


def _day(ctx: Context, day: date) -> str:
    return day_text(day, ctx.locale)


def _hours(spec: str) -> tuple[time, time]:
    start, _, end = spec.partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


async def _agreed(ctx: Context) -> bool:
    """Agreed to what the notice says now: a consent to an older wording is asked again."""
    latest = await latest_consent(ctx, CONSENT_KIND)
    return bool(latest and latest.granted and latest.version == CONSENT_VERSION)


async def _profile_region(ctx: Context) -> str | None:
    """Before moving, the centre where the person lives answers; after, the receiving one."""
    profile = await ctx.session.get(Profile, ctx.contact.id)
    if profile is None:
        return None
    known = region_names("kk")
    first = (profile.destination, profile.origin_region)
    if profile.stage != "after":
        first = first[::-1]
    return next((r for r in first if r in known), None)


@router.hold(STEP)
async def while_held(ctx: Context) -> bool:
    """Everything goes to the caseworker, except the way back."""
    case = await cases.active_case(ctx.session, ctx.contact.id)
    if case is None:  # closed from the console meanwhile
        ctx.set_step(None)
        return False
    inc = ctx.incoming
    command = inc.command[0] if inc.command else None
    if command in ESCAPES or inc.action in ("menu", "hfx"):
        cases.close(case, "withdrawn" if case.first_response_at is None else "left", "person")
        ctx.set_step(None)
        ctx.signals.add("console")
        if inc.action == "hfx":
            show_menu(ctx, ctx._(BACK))
            return True
        return False
    case.last_inbound_at = utcnow()
    ctx.signals.add("console")
    return True


def closing(contact: Contact, case: Case, default_locale: str) -> Reply:
    """What the person hears when a caseworker closes the case: the question for a rating.
    The caller sets the contact's step and buttons in the same transaction."""
    t = Translator(contact.locale or contact.locale_hint or default_locale)
    buttons = [Button(str(n), f"rt:{case.id}:{n}") for n in range(1, 6)]
    return Reply(text=t.gettext(ASK_RATING), buttons=buttons)


@router.action("rt")
async def on_rating(ctx: Context) -> None:
    case_id, _, value = ctx.args.partition(":")
    case = await ctx.session.get(Case, cid) if (cid := parse_id(case_id)) else None
    if (
        case is None
        or case.contact_id != ctx.contact.id
        or case.status != "closed"
        or case.rating is not None
        or value not in {"1", "2", "3", "4", "5"}
    ):
        await outdated_button(ctx)
        return
    case.rating = int(value)
    ctx.signals.add("console")
    ctx.set_step(RATE_COMMENT, {"case": case.id})
    ctx.reply(ctx._(THANKS_RATING), back_to_menu(ctx))


@router.step(RATE_COMMENT)
async def on_comment(ctx: Context) -> None:
    case = await ctx.session.get(Case, int(ctx.contact.step_data.get("case", 0)))
    ctx.set_step(None)
    if ctx.incoming.kind != "text" or not ctx.incoming.text or case is None:
        show_menu(ctx)
        return
    case.rating_comment = ctx.incoming.text[:1000]
    show_menu(ctx, ctx._(THANKS_COMMENT))

"""News a person chose to receive: /subscriptions, and "stop" in any language, anywhere.

Each topic is a consent of its own (kind `news:<topic>`), separate from the profile consent:
agreeing to a profile is not agreeing to be written to. A campaign's buttons come back here
as `nw:<campaign>:<action>`, are counted, then do what they say.
"""

from __future__ import annotations

from sqlalchemy import update

from bot.campaigns import opt_out_everywhere
from bot.context import Context
from bot.dispatcher import Router
from bot.i18n import N_
from bot.types import Button
from handlers.menu import back_to_menu, outdated_button
from handlers.profile import latest_consent
from storage.models import Campaign, Consent, Delivery, parse_id, utcnow
from storage.segments import TOPICS, consent_kind

router = Router("subscriptions")
VERSION = "2026-12"  # of the texts below: a change asks people again
STOP_WORDS = ("stop", "стоп", "тоқта", "токта", "отписаться", "unsubscribe")

TOPIC_LABELS = {
    "women": N_("For women"),
    "youth": N_("For youth"),
    "programme": N_("Programme news"),
}
TOPIC_TEXTS = {
    "women": N_("support for women and families, courses, childcare, help in villages"),
    "youth": N_("grants, studies and first jobs for people up to 35"),
    "programme": N_("changes in payments, quotas and deadlines of the programme"),
}
INTRO = N_(
    "News from the programme, written for you. Choose what you want to receive: each "
    "topic is your separate consent, and you can change it at any time.\n\n"
    "I write only between 09:00 and 21:00. To stop everything at once, send STOP."
)
ON, OFF = N_("subscribed"), N_("not subscribed")


async def subscribed(ctx: Context) -> set[str]:
    out = set()
    for topic in TOPICS:
        latest = await latest_consent(ctx, consent_kind(topic))
        if latest and latest.granted:
            out.add(topic)
    return out


def record(ctx: Context, topic: str, granted: bool) -> None:
    ctx.session.add(
        Consent(
            contact_id=ctx.contact.id,
            kind=consent_kind(topic),
            version=VERSION,
            granted=granted,
            channel=ctx.contact.channel,
        )
    )


@router.command("subscriptions", "news")
@router.action("subs")
async def on_subscriptions(ctx: Context) -> None:
    await show(ctx, await subscribed(ctx))


async def show(ctx: Context, current: set[str], note: str | None = None) -> None:
    """Each topic with what it brings and whether it is on; a button switches it."""
    lines, buttons = [], []
    for topic in TOPICS:
        label, on = ctx._(TOPIC_LABELS[topic]), topic in current
        state = ctx._(ON) if on else ctx._(OFF)
        lines.append(f"{'✅' if on else '▫️'} {label}: {ctx._(TOPIC_TEXTS[topic])} ({state})")
        buttons.append(
            Button(f"{'✅' if on else '➕'} {label}", f"sb:{topic}:{'off' if on else 'on'}")
        )
    head = f"{note}\n\n" if note else ""
    ctx.reply(f"{head}{ctx._(INTRO)}\n\n" + "\n".join(lines), [*buttons, *back_to_menu(ctx)])


@router.action("sb")
async def on_switch(ctx: Context) -> None:
    topic, _, switch = ctx.args.partition(":")
    if topic not in TOPICS or switch not in ("on", "off"):
        await outdated_button(ctx)
        return
    current = await subscribed(ctx)
    wanted = switch == "on"
    if (topic in current) != wanted:  # a second press of an old button records nothing
        record(ctx, topic, wanted)
        current = current | {topic} if wanted else current - {topic}
    label = ctx._(TOPIC_LABELS[topic])
    if wanted:
        note = ctx._('Subscribed to "{topic}".', topic=label)
    else:
        note = ctx._('Unsubscribed from "{topic}".', topic=label)
    await show(ctx, current, note)


@router.command("stop")
@router.keyword(*STOP_WORDS)
async def on_stop(ctx: Context) -> None:
    for topic in await subscribed(ctx):
        record(ctx, topic, False)
    await opt_out_everywhere(ctx.session, ctx.contact.id)
    ctx.reply(
        ctx._(
            "Done: I will send you no more news. Everything else works as before: ask me "
            "anything. To receive news again, send /subscriptions."
        ),
        [Button(ctx._("My subscriptions"), "subs"), *back_to_menu(ctx)],
    )


@router.action("nw")
async def on_campaign_button(ctx: Context) -> None:
    """A button of a campaign message: counted for the campaign's results, then followed."""
    campaign_id, _, action = ctx.args.partition(":")
    campaign = await ctx.session.get(Campaign, cid) if (cid := parse_id(campaign_id)) else None
    if campaign is None or action not in campaign.buttons:
        await outdated_button(ctx)  # a forged or stale button does nothing
        return
    await ctx.session.execute(
        update(Delivery)
        .where(Delivery.campaign_id == campaign.id, Delivery.contact_id == ctx.contact.id)
        .values(clicks=Delivery.clicks + 1, clicked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    ctx.incoming.action = action
    await ctx.redispatch()

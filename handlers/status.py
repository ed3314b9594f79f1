"""/status: where an application stands, for its owner only.

The person sends the application number. If the phone their messenger confirmed is the one on
the application, that is proof enough; otherwise they send their IIN (checksum checked first,
never stored: only a keyed hash lives in the step, and the message itself is masked in the
transcript) and date of birth. Wrong answers are counted per person and per number; after
LOOKUP_ATTEMPTS in LOOKUP_WINDOW_MINUTES both are locked until the oldest ages out. An unknown
number and a wrong IIN get the same answer, so nobody learns which numbers exist.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import iin as iins
from bot import phones
from bot.context import Context
from bot.dates import date_text
from bot.dispatcher import Router
from bot.i18n import N_, Translator
from bot.settings import Settings
from bot.types import Button, Reply
from bot.workdays import add_working_days, working_days_between
from content.package import get_package
from content.procedures import get_procedures, source_line
from content.render import format_text
from handlers.menu import back_to_menu, menu_item, outdated_button
from storage import applications
from storage.models import (
    Application,
    Contact,
    LookupAttempt,
    Profile,
    StatusSubscription,
    parse_id,
    utcnow,
)

router = Router("status")
menu_item(N_("Where is my application?"), "st", 34)

NUMBER = re.compile(r"^[A-Za-z0-9\-/.]{3,40}$")
MASK = "••••••"
NO_MATCH = N_(
    "I could not confirm this application with these details. Check the application number, "
    "your IIN and your date of birth. Attempts left: {left}."
)
LOCKED = N_(
    "Too many wrong attempts. For your safety, checking is paused until {time}. If you have "
    "lost your application number, ask the centre where you applied."
)
PROGRAMMES = {"resettler": N_("Resettlement"), "kandas": N_("Kandas")}


@router.command("status")
@router.action("st")
async def on_status(ctx: Context) -> None:
    if until := await locked_until(ctx, None):
        say_locked(ctx, until)
        return
    ctx.set_step("st:no", {"typed": True})
    ctx.reply(
        ctx._("Send the number of your application, as it is on your receipt."),
        back_to_menu(ctx),
    )


@router.step("st:no")
async def on_number(ctx: Context) -> None:
    number = (ctx.incoming.raw_text or ctx.incoming.text or "").strip().upper()
    if ctx.incoming.kind != "text" or not NUMBER.match(number):
        ctx.reply(
            ctx._("That does not look like an application number. Send it as on your receipt."),
            back_to_menu(ctx),
        )
        return
    if until := await locked_until(ctx, number):
        ctx.set_step(None)
        say_locked(ctx, until)
        return
    app = await find(ctx.session, number)
    if app and app.phone and app.phone in await verified_phones(ctx):
        ctx.set_step(None)
        await show(ctx, app)
        return
    ctx.set_step("st:iin", {"typed": True, "no": number})
    ctx.reply(
        ctx._("To check that it is you, send your IIN (12 digits). I do not store it."),
        back_to_menu(ctx),
    )


@router.step("st:iin")
async def on_iin(ctx: Context) -> None:
    value = iins.clean(ctx.incoming.raw_text or ctx.incoming.text or "")
    ctx.incoming.text = MASK  # the transcript never holds an IIN
    if not iins.is_valid(value):
        ctx.reply(
            ctx._("This is not a valid IIN: it must be 12 digits. Check it and send it again."),
            back_to_menu(ctx),
        )
        return
    data = dict(ctx.contact.step_data or {})
    data["iin"] = iins.keyed_hash(ctx.settings.resolved_secret_key(), value)
    ctx.set_step("st:dob", data)
    ctx.reply(ctx._("Now your date of birth, for example 07.09.1985."), back_to_menu(ctx))


@router.step("st:dob")
async def on_birth_date(ctx: Context) -> None:
    born = parse_date(ctx.incoming.text or "")
    ctx.incoming.text = MASK
    if born is None:
        ctx.reply(ctx._("Write the date as day.month.year, for example 07.09.1985."))
        return
    data = ctx.contact.step_data or {}
    number, iin_hash = str(data.get("no", "")), str(data.get("iin", ""))
    ctx.set_step(None)
    if until := await locked_until(ctx, number):
        say_locked(ctx, until)
        return
    app = await find(ctx.session, number)
    if (
        app
        and app.iin_hash
        and hmac.compare_digest(app.iin_hash, iin_hash)
        and (app.birth_date == born)
    ):
        await show(ctx, app)
        return
    await record_failure(ctx, number)
    recent = await recent_failures(ctx, number)
    if until := lifts_at(ctx.settings, recent):
        say_locked(ctx, until)
        return
    left = ctx.settings.lookup_attempts - max(len(times) for times in recent)
    ctx.reply(
        ctx._(NO_MATCH, left=max(left, 1)), [Button(ctx._("Try again"), "st"), *back_to_menu(ctx)]
    )


def parse_date(text: str) -> date | None:
    parts = re.split(r"[.\-/ ]+", text.strip())
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() and len(p) <= 4 for p in parts):
        return None
    day, month, year = (int(p) for p in (reversed(parts) if len(parts[0]) == 4 else parts))
    try:
        return date(year, month, day) if 1900 <= year <= 2100 else None
    except ValueError:
        return None


async def find(s: AsyncSession, number: str) -> Application | None:
    return await s.scalar(select(Application).where(Application.number == number))


async def verified_phones(ctx: Context) -> set[str]:
    """Numbers the platform vouched for: WhatsApp's sender, Telegram's shared contact."""
    profile = await ctx.session.get(Profile, ctx.contact.id)
    vouched = [ctx.contact.phone]
    if profile and profile.phone_verified:
        vouched.append(profile.phone)
    return {k for number in vouched if number and (k := phones.key(number))}


def keys(ctx: Context, number: str | None) -> list[tuple[str, str]]:
    out = [("contact", str(ctx.contact.id))]
    if number:
        secret = ctx.settings.resolved_secret_key().encode()
        out.append(("application", hmac.new(secret, number.encode(), hashlib.sha256).hexdigest()))
    return out


async def recent_failures(ctx: Context, number: str | None) -> list[list[datetime]]:
    """Failed lookups inside the window, newest first: one list per person, per number."""
    since = utcnow() - timedelta(minutes=ctx.settings.lookup_window_minutes)
    return [
        list(
            await ctx.session.scalars(
                select(LookupAttempt.created_at)
                .where(
                    LookupAttempt.scope == scope,
                    LookupAttempt.key == key,
                    LookupAttempt.created_at > since,
                )
                .order_by(LookupAttempt.created_at.desc())
            )
        )
        for scope, key in keys(ctx, number)
    ]


def lifts_at(settings: Settings, recent: list[list[datetime]]) -> datetime | None:
    """When the lock lifts (enough attempts have aged out), or None when not locked."""
    limit, window = settings.lookup_attempts, timedelta(minutes=settings.lookup_window_minutes)
    lifts = [times[limit - 1] + window for times in recent if len(times) >= limit]
    return max(lifts, default=None)


async def locked_until(ctx: Context, number: str | None) -> datetime | None:
    return lifts_at(ctx.settings, await recent_failures(ctx, number))


def say_locked(ctx: Context, until: datetime) -> None:
    ctx.reply(ctx._(LOCKED, time=local_time(ctx.settings, until)), back_to_menu(ctx))


async def record_failure(ctx: Context, number: str) -> None:
    for scope, key in keys(ctx, number):
        ctx.session.add(LookupAttempt(scope=scope, key=key))
    await ctx.session.flush()


def local_time(settings: Settings, moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(settings.timezone)).strftime("%H:%M %d.%m.%Y")


def today(settings: Settings) -> date:
    return utcnow().astimezone(ZoneInfo(settings.timezone)).date()


def sign(settings: Settings, contact_id: int, app_id: int) -> str:
    """A short signature on button data, so a forged `ss:<id>` cannot reach another's case."""
    msg = f"{contact_id}:{app_id}".encode()
    key = ("status:" + settings.resolved_secret_key()).encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:12]


async def show(ctx: Context, app: Application) -> None:
    subscribed = await ctx.session.get(StatusSubscription, (ctx.contact.id, app.id))
    card = await status_card(ctx.session, ctx.translator, ctx.locale, app, today(ctx.settings))
    sig = sign(ctx.settings, ctx.contact.id, app.id)
    toggle = (
        Button(ctx._("Stop notifications"), f"su:{app.id}:{sig}")
        if subscribed
        else Button(ctx._("Notify me of changes"), f"ss:{app.id}:{sig}")
    )
    ctx.reply(format_text(card, ctx.fmt), [toggle, *back_to_menu(ctx)], formatted=True)


async def status_card(
    s: AsyncSession, tr: Translator, lang: str, app: Application, on: date
) -> str:
    statuses, lib = get_procedures().statuses, get_package().lib
    st = statuses.get(app.status)
    programme = tr.gettext(PROGRAMMES.get(app.programme, app.programme))
    lines = [
        tr.gettext("**Application {number}** · {programme}", number=app.number, programme=programme)
    ]
    if st is None:  # a status id retired from the content: say what we know
        lines.append(
            tr.gettext(
                "Status: {status} since {date}",
                status=app.status,
                date=app.status_date.strftime("%d.%m.%Y"),
            )
        )
        return "\n".join(lines)
    lines.append(
        tr.gettext(
            "Status: {status} since {date}",
            status=st.title.text(lang),
            date=app.status_date.strftime("%d.%m.%Y"),
        )
    )
    lines += [
        st.explain.text(lang),
        tr.gettext("What to do now: {text}", text=st.next.text(lang)),
    ]
    if st.deadline_days is not None and not st.final:
        lines.append(deadline_line(tr, app.status_date, st.deadline_days, on))
    events = await applications.history(s, app)
    if len(events) > 1:
        lines.append(tr.gettext("History:"))
        for e in events:
            title = statuses[e.status].title.text(lang) if e.status in statuses else e.status
            lines.append(f"• {e.status_date.strftime('%d.%m.%Y')}: {title}")
    lines.append(tr.gettext("Source: {source}", source=source_line(lib, st.source, lang)))
    return "\n".join(lines)


def deadline_line(tr: Translator, since: date, days: int, on: date) -> str:
    """The step's deadline under the rules (a ministry order, not a law), as a date."""
    due = add_working_days(since, days)
    when = date_text(due, tr.locale)
    if on > due:
        late = working_days_between(due, on)
        return tr.ngettext(
            "Under the rules this step had to be done by {due} ({days} working days). It is "
            "{late} working day late: ask your career centre why, and mention the deadline.",
            "Under the rules this step had to be done by {due} ({days} working days). It is "
            "{late} working days late: ask your career centre why, and mention the deadline.",
            late,
            due=when,
            days=days,
            late=late,
        )
    return tr.ngettext(
        "Under the rules this step takes up to {days} working day: expect the next step by {due}.",
        "Under the rules this step takes up to {days} working days: expect the next step by {due}.",
        days,
        days=days,
        due=when,
    )


async def _signed_app(ctx: Context) -> Application | None:
    raw_id, _, sig = ctx.args.partition(":")
    app_id = parse_id(raw_id)
    expected = sign(ctx.settings, ctx.contact.id, app_id or 0).encode()
    if app_id is None or not hmac.compare_digest(sig.encode(), expected):  # bytes: sig is free text
        return None
    return await ctx.session.get(Application, app_id)


@router.action("ss", "su")
async def on_subscription(ctx: Context) -> None:
    app = await _signed_app(ctx)
    if app is None:
        await outdated_button(ctx)
        return
    key = (ctx.contact.id, app.id)
    if ctx.incoming.action and ctx.incoming.action.startswith("ss:"):
        if not await ctx.session.get(StatusSubscription, key):
            ctx.session.add(StatusSubscription(contact_id=ctx.contact.id, application_id=app.id))
        text = ctx._(
            "Done: I will message you here when the status of {number} changes.", number=app.number
        )
    else:
        await ctx.session.execute(
            delete(StatusSubscription).where(
                StatusSubscription.contact_id == ctx.contact.id,
                StatusSubscription.application_id == app.id,
            )
        )
        text = ctx._("Notifications for {number} are off.", number=app.number)
    ctx.reply(text, back_to_menu(ctx))


async def notify_subscribers(
    s: AsyncSession, settings: Settings, app: Application
) -> list[tuple[Contact, Reply]]:
    """The message each subscriber gets about a new status, in their language and format."""
    from bot.runtime import CAPS

    out = []
    rows = await s.scalars(
        select(Contact)
        .join(StatusSubscription, StatusSubscription.contact_id == Contact.id)
        .where(StatusSubscription.application_id == app.id)
    )
    for contact in rows:
        lang = contact.locale or contact.locale_hint or settings.default_locale
        tr = Translator(lang)
        fmt = "html" if CAPS.get(contact.channel) and CAPS[contact.channel].html else "plain"
        card = await status_card(s, tr, lang, app, today(settings))
        text = tr.gettext("Your application has a new status.") + "\n\n" + card
        out.append((contact, Reply(text=format_text(text, fmt), fmt=fmt)))  # type: ignore[arg-type]
    return out


def known() -> applications.Known:
    by_programme: dict[str, set[str]] = {"resettler": set(), "kandas": set()}
    for st in get_procedures().statuses.values():
        for programme in st.programmes:
            by_programme[programme].add(st.id)
    return applications.Known(statuses=by_programme, regions=set(get_package().lib.regions))

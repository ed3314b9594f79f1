"""/appointment: book a visit at a career centre or adaptation centre.

office → service → day → time, then a confirmation with the address and what to bring; the
booking can be moved or cancelled; reminders come the day before and two hours before
(bot/scheduler.py). Actions: `ap` start, `ag:<region>` offices of a region, `ao:<office>`
services, `av:<office>:<service>` days, `ad:<office>:<service>:<yyyymmdd>` times,
`ab:<slot>:<service>` book, `ax` cancel, `am` move.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.dates import day_button, day_text
from bot.dispatcher import Router
from bot.i18n import N_, Translator
from bot.types import Button, Media
from content.package import get_package
from content.procedures import get_procedures
from handlers.menu import back_to_menu, menu_item, outdated_button
from storage import appointments as appts
from storage.models import Office, Profile, Slot, parse_id, utcnow

router = Router("appointment")
menu_item(N_("Book a visit to the centre"), "ap", 36)

DAYS_AHEAD, MAX_DAYS, MAX_TIMES = 21, 7, 10


def tz(ctx: Context) -> ZoneInfo:
    return ZoneInfo(ctx.settings.timezone)


def when_text(lang: str, moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{day_text(local.date(), lang)}, {local:%H:%M}"


@router.command("appointment")
@router.action("ap")
async def on_appointment(ctx: Context) -> None:
    ctx.set_step(None)
    if slot := await appts.upcoming(ctx.session, ctx.contact.id):
        office = await ctx.session.get(Office, slot.office_id)
        ctx.reply(
            ctx._("You already have a visit booked:") + "\n\n" + details(ctx, slot, office),
            manage_buttons(ctx),
        )
        return
    await choose_office(ctx, await home_region(ctx))


async def home_region(ctx: Context) -> str | None:
    """Where the person deals with a centre now: where they live before the move, after it
    the region they moved to."""
    profile = await ctx.session.get(Profile, ctx.contact.id)
    if profile is None:
        return None
    return profile.destination if profile.stage == "after" else profile.origin_region


async def choose_office(ctx: Context, region: str | None) -> None:
    offices = await appts.offices(ctx.session, region) if region else []
    if not offices:
        await choose_region(ctx)
        return
    buttons = [Button(o.name.get(ctx.locale) or o.id, f"ao:{o.id}") for o in offices[:9]]
    ctx.reply(
        ctx._("Which centre?"),
        [*buttons, Button(ctx._("Another region"), "ag"), *back_to_menu(ctx)],
    )


@router.action("ag")
async def on_region(ctx: Context) -> None:
    if ctx.args:
        await choose_office(ctx, ctx.args)
        return
    await choose_region(ctx)


async def choose_region(ctx: Context) -> None:
    offices = await appts.offices(ctx.session)
    regions = sorted({o.region for o in offices})
    if not regions:
        ctx.reply(
            ctx._(
                "Centres have not opened online booking in Qonys yet. Call or visit the "
                "career centre of your district: its address is on egov.kz and enbek.kz."
            ),
            [Button(ctx._("Where to apply"), "p:appointment"), *back_to_menu(ctx)],
        )
        return
    names = get_package().lib.regions
    buttons = [
        Button(names[r].short[ctx.locale] if r in names else r, f"ag:{r}") for r in regions[:10]
    ]
    ctx.reply(ctx._("Which region is the centre in?"), [*buttons, *back_to_menu(ctx)])


@router.action("ao")
async def on_office(ctx: Context) -> None:
    office = await ctx.session.get(Office, ctx.args)
    if office is None or not office.active:
        await outdated_button(ctx)
        return
    services = get_procedures().services
    buttons = [
        Button(services[s].title.text(ctx.locale), f"av:{office.id}:{s}")
        for s in office.services
        if s in services
    ]
    text = office_text(ctx, office)
    ctx.reply(text + "\n\n" + ctx._("What is the visit about?"), [*buttons, *back_to_menu(ctx)])


def office_text(ctx: Context, office: Office) -> str:
    lines = [office.name.get(ctx.locale, office.id), office.address.get(ctx.locale, "")]
    if hours := office.hours.get(ctx.locale):
        lines.append(ctx._("Working hours: {hours}", hours=hours))
    if office.avg_wait_days is not None and office.avg_wait_as_of:
        wait = office.avg_wait_days
        days = f"{wait:g}"
        # A fraction of a day takes the form of "2" in Russian («4,5 дня»).
        lines.append(
            ctx.ngettext(
                "Average wait for a decision here: {days} day (the centre's figure, as of {date}).",
                "Average wait for a decision here: {days} days (the centre's figure, as of "
                "{date}).",
                int(wait) if wait == int(wait) else 2,
                days=days,
                date=day_text(office.avg_wait_as_of, ctx.locale),
            )
        )
    return "\n".join(line for line in lines if line)


async def _office_service(ctx: Context, office_id: str, service: str) -> Office | None:
    office = await ctx.session.get(Office, office_id)
    if office is None or not office.active or service not in office.services:
        return None
    return office if service in get_procedures().services else None


@router.action("av")
async def on_service(ctx: Context) -> None:
    office_id, _, service = ctx.args.partition(":")
    office = await _office_service(ctx, office_id, service)
    if office is None:
        await outdated_button(ctx)
        return
    now = utcnow()
    slots = await appts.open_slots(
        ctx.session, office.id, service, now + timedelta(minutes=30), now + timedelta(DAYS_AHEAD)
    )
    days: list[date] = []
    for slot in slots:
        day = slot.starts_at.astimezone(tz(ctx)).date()
        if day not in days:
            days.append(day)
    if not days:
        ctx.reply(
            ctx._(
                "There are no free times at this centre in the next three weeks. Try another "
                "centre or ask again in a few days."
            ),
            [Button(ctx._("Another centre"), "ag"), *back_to_menu(ctx)],
        )
        return
    buttons = [
        Button(
            day_button(d, ctx.locale),
            f"ad:{office.id}:{service}:{d:%Y%m%d}",
        )
        for d in days[:MAX_DAYS]
    ]
    ctx.reply(ctx._("Which day?"), [*buttons, *back_to_menu(ctx)])


@router.action("ad")
async def on_day(ctx: Context) -> None:
    parts = ctx.args.split(":")
    if len(parts) != 3:
        await outdated_button(ctx)
        return
    office = await _office_service(ctx, parts[0], parts[1])
    try:
        day = datetime.strptime(parts[2], "%Y%m%d").date()
    except ValueError:
        office = None
    if office is None:
        await outdated_button(ctx)
        return
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz(ctx))
    slots = await appts.open_slots(
        ctx.session, office.id, parts[1], max(start, utcnow()), start + timedelta(days=1)
    )
    if not slots:
        ctx.reply(
            ctx._("All times on this day are taken now. Choose another day."),
            [Button(ctx._("Other days"), f"av:{office.id}:{parts[1]}")],
        )
        return
    buttons = [
        Button(f"{s.starts_at.astimezone(tz(ctx)):%H:%M}", f"ab:{s.id}:{parts[1]}")
        for s in slots[:MAX_TIMES]
    ]
    ctx.reply(
        ctx._("What time?"), [*buttons, Button(ctx._("Other days"), f"av:{office.id}:{parts[1]}")]
    )


@router.action("ab")
async def on_book(ctx: Context) -> None:
    raw_id, _, service = ctx.args.partition(":")
    slot_id = parse_id(raw_id)
    if slot_id is None or service not in get_procedures().services:
        await outdated_button(ctx)
        return
    previous = await appts.upcoming(ctx.session, ctx.contact.id)
    slot = await appts.book(ctx.session, slot_id, ctx.contact.id, service)
    if slot is None:
        taken = await ctx.session.get(Slot, slot_id)
        back = f"av:{taken.office_id}:{service}" if taken else "ap"
        ctx.reply(
            ctx._("Sorry, someone has just taken this time. Please choose another."),
            [Button(ctx._("Other times"), back), *back_to_menu(ctx)],
        )
        return
    if previous and previous.id != slot.id:  # moving: the old time is freed for others
        await appts.release(ctx.session, previous)
    office = await ctx.session.get(Office, slot.office_id)
    head = ctx._("Moved. Your new time:") if previous else ctx._("Booked.")
    media = None
    if office and office.latitude is not None and office.longitude is not None:
        media = Media("location", latitude=office.latitude, longitude=office.longitude)
    ctx.reply(head + "\n\n" + details(ctx, slot, office), manage_buttons(ctx, service), media)


def details(ctx: Context, slot: Slot, office: Office | None) -> str:
    services = get_procedures().services
    service = services.get(slot.booked_service or "")
    lines = [when_text(ctx.locale, slot.starts_at, tz(ctx))]
    if office:
        lines.append(office_text(ctx, office))
    if service:
        lines.append(ctx._("Visit: {service}", service=service.title.text(ctx.locale)))
        lines.append(ctx._("Bring: {what}", what=service.bring.text(ctx.locale)))
    lines.append(ctx._("I will remind you the day before and two hours before."))
    return "\n".join(lines)


def manage_buttons(ctx: Context, service: str | None = None) -> list[Button]:
    buttons = [Button(ctx._("Move"), "am"), Button(ctx._("Cancel the visit"), "ax")]
    checklist = get_procedures().services.get(service or "")
    if checklist and checklist.checklist:
        buttons.append(Button(ctx._("My documents checklist"), f"cl:{checklist.checklist}"))
    return [*buttons, *back_to_menu(ctx)]


@router.action("ax")
async def on_cancel(ctx: Context) -> None:
    slot = await appts.upcoming(ctx.session, ctx.contact.id)
    if slot is None:
        ctx.reply(ctx._("You have no visit booked."), [Button(ctx._("Book a visit"), "ap")])
        return
    when = when_text(ctx.locale, slot.starts_at, tz(ctx))
    await appts.release(ctx.session, slot)
    ctx.reply(
        ctx._("Cancelled: {when}.", when=when),
        [Button(ctx._("Book another time"), "ap"), *back_to_menu(ctx)],
    )


@router.action("am")
async def on_move(ctx: Context) -> None:
    slot = await appts.upcoming(ctx.session, ctx.contact.id)
    if slot is None:
        await on_appointment(ctx)
        return
    # The current booking stays until a new time is taken: moving never leaves one with none.
    ctx.reply(ctx._("Choose the new time. Your current booking stays until you pick one."))
    ctx.args = f"{slot.office_id}:{slot.booked_service}"
    await on_service(ctx)


def reminder_text(lang: str, slot: Slot, office: Office | None, zone: ZoneInfo, soon: bool) -> str:
    tr = Translator(lang)
    head = (
        tr.gettext("Reminder: your visit is in two hours.")
        if soon
        else tr.gettext("Reminder: your visit is tomorrow.")
    )
    lines = [head, when_text(lang, slot.starts_at, zone)]
    if office:
        lines += [office.name.get(lang, office.id), office.address.get(lang, "")]
    service = get_procedures().services.get(slot.booked_service or "")
    if service:
        lines.append(tr.gettext("Bring: {what}", what=service.bring.text(lang)))
    return "\n".join(line for line in lines if line)

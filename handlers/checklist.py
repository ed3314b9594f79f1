"""/checklist: the documents this household needs, ticked off one by one, with what is still
missing, a PDF to print, and a nudge after some days without progress (if the person asks).

Actions: `cl` lists, `cl:<list>` a list, `ci:<list>:<key>` an item, `ck:<list>:<key>` ticks
or unticks it, `cm:<list>` what is missing, `cp:<list>` the PDF, `cr:<list>:on|off` reminders.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.context import Context
from bot.dispatcher import Router
from bot.i18n import N_
from bot.types import Button, Media
from content.package import get_package
from content.procedures import (
    Checklist,
    Household,
    PersonalItem,
    get_procedures,
    personal_items,
    source_line,
)
from content.render import format_text
from handlers.menu import back_to_menu, menu_item, outdated_button
from handlers.profile import AFTER_CONSENT
from storage.models import ChecklistProgress, Profile, utcnow

router = Router("checklist")
menu_item(N_("My documents checklist"), "cl", 32)

ITEM_BUTTONS = 6  # with the four below, ten: one WhatsApp list
FORMS = {
    "original": N_("bring the original"),
    "copy": N_("a copy is enough"),
    "original_and_copy": N_("bring the original and a copy"),
    "electronic": N_("online: nothing on paper"),
    "none": N_("nothing to bring"),
}
MEMBERS = {
    "adult": N_("adult {n}"),
    "child": N_("child {n}"),
}
AFTER_CONSENT["checklist"] = lambda ctx: after_consent(ctx)
NEXT = N_("Next document:")
ALL_DONE = N_("Everything is ready. Take the originals and copies with you to the centre.")


@router.command("checklist", "documents")
@router.action("cl")
async def on_checklists(ctx: Context) -> None:
    from handlers.profile import ask_consent, consent_in_force

    ctx.set_step(None)
    if not await consent_in_force(ctx):
        ctx.reply(
            ctx._(
                "I will make a list of documents for your family and keep track of what "
                "you already have. For that I need your consent to store a few answers."
            )
        )
        ask_consent(ctx, "checklist")
        return
    if ctx.args in get_procedures().checklists:
        await show_list(ctx, ctx.args)
        return
    await choose_list(ctx)


async def after_consent(ctx: Context) -> None:
    profile = await ctx.session.get(Profile, ctx.contact.id)
    if profile is None or not profile.answered:  # the list depends on the family
        ctx.reply(ctx._("First a few questions about your family, then your list."))
        from handlers import questionnaire as qn

        await qn.ask_next(ctx, "p")
        return
    await choose_list(ctx)


async def choose_list(ctx: Context) -> None:
    profile = await ctx.session.get(Profile, ctx.contact.id)
    lists = get_procedures().checklists_for(profile.programme if profile else None)
    if profile and profile.stage == "after":  # already moved: arrival comes first
        lists.sort(key=lambda c: c.id != "arrival")
    # Full titles in the text, short ones on the buttons (WhatsApp cuts them at 20).
    lines = [ctx._("Which list do you need?")]
    lines += [f"• {c.button.text(ctx.locale)}: {c.title.text(ctx.locale)}" for c in lists]
    buttons = [Button(c.button.text(ctx.locale), f"cl:{c.id}") for c in lists]
    ctx.reply("\n".join(lines), buttons + back_to_menu(ctx))


async def household(ctx: Context) -> tuple[Household, bool]:
    """The household from the profile, and whether the profile told us about it."""
    profile = await ctx.session.get(Profile, ctx.contact.id)
    if profile is None or (profile.adults is None and profile.children is None):
        return Household(), False
    ages = tuple(int(a) for a in (profile.children_ages or []) if str(a).isdigit())
    return Household(profile.adults or 1, profile.children or 0, ages), True


async def progress_of(ctx: Context, list_id: str) -> ChecklistProgress:
    row = await ctx.session.get(ChecklistProgress, (ctx.contact.id, list_id))
    if row is None:
        row = ChecklistProgress(contact_id=ctx.contact.id, checklist=list_id, done=[])
        ctx.session.add(row)
        await ctx.session.flush()
    return row


@dataclass
class Opened:
    """One list as this person sees it: their items, what they ticked, and whether the
    profile told us about the family."""

    checklist: Checklist
    items: list[PersonalItem]
    progress: ChecklistProgress
    known: bool

    @property
    def done(self) -> set[str]:
        return set(self.progress.done or [])

    @property
    def bring(self) -> list[PersonalItem]:
        return [i for i in self.items if not i.item.fetched]

    def item(self, key: str) -> PersonalItem | None:
        return next((i for i in self.items if i.key == key), None)


async def open_list(ctx: Context, c: Checklist) -> Opened:
    home, known = await household(ctx)
    return Opened(c, personal_items(c, home), await progress_of(ctx, c.id), known)


async def from_button(ctx: Context) -> tuple[Opened, str] | None:
    """The list and the rest of the button data (`<list>:<rest>`); an unknown list gets the
    "button no longer works" answer and None."""
    list_id, _, rest = ctx.args.partition(":")
    c = get_procedures().checklists.get(list_id)
    if c is None:
        await outdated_button(ctx)
        return None
    return await open_list(ctx, c), rest


def member_label(ctx: Context, item: PersonalItem) -> str:
    if item.member is None:
        return ""
    kind, n = item.member
    if kind == "spouse":  # the title already names the spouse («Жұбайыңыздың …»)
        return ""
    return f" ({ctx._(MEMBERS[kind], n=n)})"


def title_of(ctx: Context, item: PersonalItem) -> str:
    return item.item.title.text(ctx.locale) + member_label(ctx, item)


async def show_list(ctx: Context, list_id: str) -> None:
    o = await open_list(ctx, get_procedures().checklists[list_id])
    c, done, bring = o.checklist, o.done, o.bring
    fetched = [i for i in o.items if i.item.fetched]
    ready = sum(i.key in done for i in bring)
    lines = [f"**{c.title.text(ctx.locale)}**", c.intro.text(ctx.locale), ""]
    lines.append(ctx._("Ready: {done} of {total}", done=ready, total=len(bring)))
    lines += [
        f"{'☑' if i.key in done else '☐'} {n}. {title_of(ctx, i)}" for n, i in enumerate(bring, 1)
    ]
    if fetched:
        lines += ["", ctx._("You do not need to bring these: staff get them from state databases:")]
        lines += [f"• {title_of(ctx, i)}" for i in fetched]
    if not o.known:
        lines += ["", ctx._("Tell me about your family in /profile to add your family's items.")]
    lines += [
        "",
        ctx._("Source: {source}", source=source_line(get_package().lib, c.source, ctx.locale)),
    ]
    ctx.reply(
        format_text("\n".join(lines), ctx.fmt), list_buttons(ctx, c, bring, done), formatted=True
    )


def list_buttons(
    ctx: Context, c: Checklist, bring: list[PersonalItem], done: set[str]
) -> list[Button]:
    missing = [(n, i) for n, i in enumerate(bring, 1) if i.key not in done]
    # The number matches the list's line, where the full title and the person stand.
    buttons = [Button(f"{n}. {i.item.button.text(ctx.locale)}", f"ci:{c.id}:{i.key}")
               for n, i in missing]  # fmt: skip
    return [
        *buttons[:ITEM_BUTTONS],
        Button(ctx._("What is still missing"), f"cm:{c.id}"),
        Button(ctx._("PDF to print"), f"cp:{c.id}"),
        Button(ctx._("Reminders"), f"cr:{c.id}:ask"),
        Button(ctx._("Menu"), "menu"),
    ]


@router.action("ci")
async def on_item(ctx: Context) -> None:
    if (found := await from_button(ctx)) is None:
        return
    o, key = found
    if (item := o.item(key)) is None:
        await outdated_button(ctx)
        return
    is_done = key in o.done
    ctx.reply(
        format_text(describe(ctx, item, is_done), ctx.fmt),
        item_buttons(ctx, o.checklist, item, is_done),
        formatted=True,
    )


def describe(ctx: Context, p: PersonalItem, is_done: bool) -> str:
    it, lang = p.item, ctx.locale
    lines = [f"**{title_of(ctx, p)}**{' ☑' if is_done else ''}", it.what.text(lang)]
    if it.fetched and it.fetched_note:
        lines.append(
            ctx._("You do not need to bring this: {note}", note=it.fetched_note.text(lang))
        )
    lines += [
        ctx._("Who issues it: {text}", text=it.issuer.text(lang)),
        ctx._("Where: {text}", text=it.where.text(lang)),
        ctx._("How long: {text}", text=it.takes.text(lang)),
        ctx._("What to bring: {text}", text=ctx._(FORMS[it.form])),
        ctx._("Source: {source}", source=source_line(get_package().lib, it.source, lang)),
    ]
    return "\n".join(lines)


def item_buttons(ctx: Context, c: Checklist, p: PersonalItem, is_done: bool) -> list[Button]:
    toggle = ctx._("Not yet") if is_done else ctx._("I have it ✓")
    return [Button(toggle, f"ck:{c.id}:{p.key}"), Button(ctx._("Back to the list"), f"cl:{c.id}")]


@router.action("ck")
async def on_tick(ctx: Context) -> None:
    if (found := await from_button(ctx)) is None:
        return
    o, key = found
    item = o.item(key)
    if item is None or item.item.fetched:
        await outdated_button(ctx)
        return
    c, done, bring = o.checklist, o.done ^ {key}, o.bring
    o.progress.done, o.progress.progressed_at = sorted(done), utcnow()
    missing = [i for i in bring if i.key not in done]
    head = (
        ctx._("Marked: {item}", item=title_of(ctx, item))
        if key in done
        else ctx._("Unmarked: {item}", item=title_of(ctx, item))
    )
    ready = ctx._("Ready: {done} of {total}", done=len(bring) - len(missing), total=len(bring))
    if not missing:
        ctx.reply(f"{head}\n{ready}\n\n{ctx._(ALL_DONE)}", list_buttons(ctx, c, bring, done))
        return
    # The next missing document is the first of the list's buttons: no extra button for it
    # (one action twice in a WhatsApp list is refused by Meta).
    ctx.reply(
        f"{head}\n{ready}\n\n{ctx._(NEXT)} {title_of(ctx, missing[0])}",
        list_buttons(ctx, c, bring, done),
    )


@router.action("cm")
async def on_missing(ctx: Context) -> None:
    if (found := await from_button(ctx)) is None:
        return
    o = found[0]
    c, done = o.checklist, o.done
    missing = [i for i in o.bring if i.key not in done]
    if not missing:
        ctx.reply(ctx._(ALL_DONE), [Button(ctx._("Back to the list"), f"cl:{c.id}")])
        return
    lines = [ctx._("Still missing:")]
    lines += [f"☐ {title_of(ctx, i)}: {i.item.where.text(ctx.locale)}" for i in missing]
    ctx.reply("\n".join(lines), list_buttons(ctx, c, o.bring, done))


@router.action("cp")
async def on_pdf(ctx: Context) -> None:
    from handlers.checklist_pdf import write_pdf

    if (found := await from_button(ctx)) is None:
        return
    o = found[0]
    c = o.checklist
    path = await write_pdf(ctx, c, o.items, o.done)
    ctx.reply(
        ctx._("Your checklist as a PDF: print it or show it at the centre."),
        [Button(ctx._("Back to the list"), f"cl:{c.id}")],
        Media("document", path=str(path), caption=c.title.text(ctx.locale)),
    )


@router.action("cr")
async def on_reminders(ctx: Context) -> None:
    if (found := await from_button(ctx)) is None:
        return
    o, choice = found
    c, row = o.checklist, o.progress
    days = ctx.settings.checklist_reminder_days
    if choice in ("on", "off"):
        row.remind = choice == "on"
        text = (
            ctx.ngettext(
                "I will remind you if nothing changes on this list for {n} day.",
                "I will remind you if nothing changes on this list for {n} days.",
                days,
            )
            if row.remind
            else ctx._("Reminders for this list are off.")
        )
        ctx.reply(text, [Button(ctx._("Back to the list"), f"cl:{c.id}"), *back_to_menu(ctx)])
        return
    ctx.reply(
        ctx.ngettext(
            "Shall I remind you when nothing has changed on this list for {n} day?",
            "Shall I remind you when nothing has changed on this list for {n} days?",
            days,
        ),
        [Button(ctx._("Yes, remind me"), f"cr:{c.id}:on"), Button(ctx._("No"), f"cr:{c.id}:off")],
    )

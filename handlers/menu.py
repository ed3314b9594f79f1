"""The main menu, /help and "about". Features add their entries with `menu_item`."""

from __future__ import annotations

from dataclasses import dataclass

from bot.context import Context
from bot.dispatcher import Router
from bot.i18n import N_
from bot.types import Button

router = Router("menu")


@dataclass(frozen=True)
class MenuItem:
    label: str  # an N_() msgid, translated when shown
    action: str
    order: int


MENU_QUESTION = N_("What would you like to do? Choose below.")
HELP_TEXT = N_(
    "I answer questions about moving under the resettlement programme and about "
    "support for kandases.\n\n"
    "Press the buttons under my messages, type the number of a button, or simply write "
    "your question in your own words.\n\n"
    "Commands:\n"
    "/menu: the main menu\n"
    "/checklist: the documents you need\n"
    "/status: where your application is\n"
    "/appointment: book a visit to a centre\n"
    "/estimate: what moving will cost you\n"
    "/operator: talk to a caseworker\n"
    "/language: change the language\n"
    "/profile: your profile and needs assessment\n"
    "/subscriptions: news you chose to receive\n"
    "/stop: stop all news\n"
    "/mydata: what I store about you\n"
    "/forget: delete everything about you\n"
    "/help: this help"
)
ABOUT_TEXT = N_(
    "Qonys is an open-source assistant for people who move from the south of "
    "Kazakhstan to the north under the voluntary resettlement programme, and for "
    "kandases returning to Kazakhstan.\n\n"
    "It is being built on the findings of an IOM evaluation of the programme: people "
    "need one clear information package, help with documents, and a person to talk "
    "to. More sections are being added."
)

_ITEMS: dict[str, MenuItem] = {}


def menu_item(label: str, action: str, order: int) -> None:
    _ITEMS[action] = MenuItem(label, action, order)


ABOUT = N_("About Qonys")  # from /help: the menu keeps to ten entries, a WhatsApp list
menu_item(N_("Help"), "help", 90)
menu_item(N_("Language · Тіл · Язык"), "language", 100)


def menu_items() -> list[MenuItem]:
    return sorted(_ITEMS.values(), key=lambda i: i.order)


def menu_buttons(ctx: Context) -> list[Button]:
    """The sections that matter most for this person first (from their profile), then all."""
    from handlers.assessment import recommended_buttons

    items = [Button(ctx._(i.label), i.action) for i in menu_items()]
    return recommended_buttons(ctx) + items


def back_to_menu(ctx: Context) -> list[Button]:
    return [Button(ctx._("Menu"), "menu")]


def show_menu(ctx: Context, intro: str | None = None) -> None:
    text = ctx._(MENU_QUESTION)
    ctx.reply(f"{intro}\n\n{text}" if intro else text, menu_buttons(ctx))


@router.command("menu")
@router.action("menu")
async def on_menu(ctx: Context) -> None:
    ctx.set_step(None)
    show_menu(ctx)


@router.command("help")
@router.action("help")
async def on_help(ctx: Context) -> None:
    ctx.reply(ctx._(HELP_TEXT), [Button(ctx._(ABOUT), "about"), *back_to_menu(ctx)])


@router.action("about")
async def on_about(ctx: Context) -> None:
    ctx.reply(ctx._(ABOUT_TEXT), back_to_menu(ctx))


async def outdated_button(ctx: Context) -> None:
    ctx.reply(ctx._("This button no longer works. Here is the menu."), menu_buttons(ctx))

"""Questions typed in the person's own words: the best section of the package answers, the
next two are offered when the match is not sure, and a question nothing answers is kept for
the content team and the person is offered a caseworker."""

from __future__ import annotations

from bot.context import Context
from bot.dispatcher import Router
from bot.i18n import N_
from bot.types import Button
from content.normalise import normalise
from content.search import Result
from handlers import handoff
from handlers.handoff import wants_person
from handlers.language import ask_language
from handlers.menu import back_to_menu, menu_buttons, outdated_button
from handlers.package import MENU, ask_region, package, region_button, show_topic
from storage.models import UnansweredQuestion, parse_id

router = Router("search")

# Set from the development half of bench/queries.jsonl: 95 % of right answers score above
# FOUND, while greetings, weather in Paris or a plov recipe score below 0.16. Below SURE, or
# close to the runner-up, the next two sections are offered as well.
FOUND = 0.12
SURE = 0.25
MARGIN = 0.05
GREETINGS = frozenset(normalise(w) for w in [
    "сәлем", "салем", "сәлеметсіз", "саламатсыз", "ассалаумағалейкум", "привет",
    "здравствуйте", "добрый", "день", "вечер", "hello", "hi", "hey", "salem", "salam", "бе", "ба",
])  # fmt: skip
THANKS = frozenset(normalise(w) for w in [
    "рахмет", "рақмет", "көп", "спасибо", "большое", "благодарю", "thanks", "thank", "you",
])  # fmt: skip
GREETING = N_("Hello! Ask me anything about moving, or choose below.")
WELCOME = N_("You are welcome! Anything else? Choose below or ask.")
TELL_ME = N_("Tell me the answer")  # a WhatsApp button: at most 20 characters
WILL_TELL = N_(
    "I will write to you here once, when the answer to your question is in my information. "
    "Nothing else is sent."
)
NOT_FOUND = N_(
    "I did not find an answer to that. I have passed your question on to the people who "
    "write my answers. You can ask a caseworker, or look through the menu."
)
ALSO = N_("Or perhaps you meant:")
ALSO_ASKED = N_("You also asked about this:")
WHICH_PLACE = N_("There is more than one {place}. Which region is yours?")


@router.message("text")
async def on_text(ctx: Context) -> None:
    if ctx.contact.locale is None:  # answer in a language the person chose, not a guess
        ask_language(ctx, ctx._("Let us first choose the language we will talk in."))
        return
    query = ctx.incoming.text or ""
    if smalltalk(ctx, query):
        return
    if wants_person(query):
        await handoff.on_request(ctx)
        return
    asked = package().index.ask(query, lang=ctx.locale, k=3)
    results = asked.results
    if not results or results[0].score < FOUND:
        await _not_found(ctx, query, results)
        return
    best = results[0]
    await answer(ctx, best)
    if best.choices:
        return  # "which Аксу?" is the question now: its buttons stay the last ones
    also = [r for r in asked.also if r.score >= FOUND]
    if also:  # the other questions of the message, one button each
        ctx.reply(ctx._(ALSO_ASKED), [Button(r.title, action_for(r)) for r in also])
        return
    unsure = best.score < SURE or (len(results) > 1 and best.score - results[1].score < MARGIN)
    if unsure:
        others = [r for r in results[1:] if r.score >= FOUND]
        if others:
            ctx.reply(ctx._(ALSO), [Button(r.title, action_for(r)) for r in others])


def smalltalk(ctx: Context, query: str) -> bool:
    """ "Сәлем" or "рахмет" alone is courtesy, not a question for the content team."""
    words = set(normalise(query).split())
    if words and words <= GREETINGS:
        ctx.reply(ctx._(GREETING), menu_buttons(ctx))
    elif words and words <= THANKS:
        ctx.reply(ctx._(WELCOME), menu_buttons(ctx))
    else:
        return False
    return True


async def answer(ctx: Context, result: Result) -> None:
    if result.choices:
        which_place(ctx, result)
    elif result.key.startswith("regions/"):
        ask_region(ctx, result.topic)
    else:
        await show_topic(ctx, result.region, result.topic, place=result.place)


def which_place(ctx: Context, result: Result) -> None:
    """A town's name that several regions have ("Аксу", "Есіл"): which one, by its region."""
    places = package().lib.places.places
    name = places[result.choices[0][1]].name[ctx.locale]
    buttons = [
        Button(region_button(region, ctx.locale), f"t:{region}:{result.topic}:{place}")
        for region, place in result.choices
    ]
    ctx.reply(ctx._(WHICH_PLACE, place=name), [*buttons, Button(ctx._(MENU), "menu")])


def action_for(result: Result) -> str:
    if result.key.startswith("regions/"):
        return f"ask:{result.topic}"
    if result.region:
        place = f":{result.place}" if result.place else ""
        return f"t:{result.region}:{result.topic}{place}"
    return f"p:{result.topic}"


async def _not_found(ctx: Context, query: str, results: list[Result]) -> None:
    best = results[0] if results else None
    question = UnansweredQuestion(
        contact_id=ctx.contact.id,
        lang=ctx.locale,
        text=query[:1000],
        best_key=best.key if best else None,
        best_score=best.score if best else None,
    )
    ctx.session.add(question)
    await ctx.session.flush()
    ctx.reply(
        ctx._(NOT_FOUND),
        [
            Button(ctx._(TELL_ME), f"un:{question.id}"),
            Button(ctx._(handoff.TALK), "hf"),
            *menu_buttons(ctx),
        ],
    )


@router.action("un")
async def on_tell_me(ctx: Context) -> None:
    """The person wants to hear once when their question has an answer in the package."""
    question = (
        await ctx.session.get(UnansweredQuestion, qid) if (qid := parse_id(ctx.args)) else None
    )
    if question is None or question.contact_id != ctx.contact.id:
        await outdated_button(ctx)
        return
    question.notify = True
    ctx.reply(ctx._(WILL_TELL), back_to_menu(ctx))

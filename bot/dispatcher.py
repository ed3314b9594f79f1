"""Routing of an incoming event to a handler, in the spirit of aiogram's routers.

Order: a keyword that works everywhere ("stop"), a hold on the contact's step (a
conversation held by a caseworker), a command (`/start`), then a pressed button (its action
id, or a typed number or label of the last buttons), then the contact's dialog step, then
handlers by message kind, then the fallback.
Feature modules in `handlers/` each expose a `router`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.context import Context

Handler = Callable[[Context], Awaitable[None]]
# A hold sees every event of a contact in its step first (a person talking to a caseworker);
# it returns True when it took the event, False to let normal routing go on.
Hold = Callable[[Context], Awaitable[bool]]


@dataclass
class Router:
    name: str
    commands: dict[str, Handler] = field(default_factory=dict)
    actions: dict[str, Handler] = field(default_factory=dict)
    steps: dict[str, Handler] = field(default_factory=dict)
    kinds: dict[str, Handler] = field(default_factory=dict)
    holds: dict[str, Hold] = field(default_factory=dict)
    keywords: dict[str, Handler] = field(default_factory=dict)
    fallback_handler: Handler | None = None

    def command(self, *names: str) -> Callable[[Handler], Handler]:
        return self._register(self.commands, names)

    def action(self, *prefixes: str) -> Callable[[Handler], Handler]:
        """Match an action id `prefix` or `prefix:argument` (the argument lands in ctx.args)."""
        return self._register(self.actions, prefixes)

    def step(self, *names: str) -> Callable[[Handler], Handler]:
        return self._register(self.steps, names)

    def hold(self, step: str) -> Callable[[Hold], Hold]:
        def decorator(handler: Hold) -> Hold:
            self.holds[step] = handler
            return handler

        return decorator

    def keyword(self, *words: str) -> Callable[[Handler], Handler]:
        """A whole message that means the same in any step or conversation ("стоп")."""
        return self._register(self.keywords, tuple(w.casefold() for w in words))

    def message(self, *kinds: str) -> Callable[[Handler], Handler]:
        return self._register(self.kinds, kinds)

    def fallback(self, handler: Handler) -> Handler:
        self.fallback_handler = handler
        return handler

    @staticmethod
    def _register(table: dict[str, Handler], keys: tuple[str, ...]) -> Callable[[Handler], Handler]:
        def decorator(handler: Handler) -> Handler:
            for key in keys:
                table[key] = handler
            return handler

        return decorator


class Dispatcher:
    def __init__(self, routers: list[Router]) -> None:
        self.routers = routers

    def _find(self, table: str, key: str) -> Handler | None:
        for router in self.routers:
            handler = getattr(router, table).get(key)
            if handler:
                return handler
        return None

    def resolve(self, ctx: Context) -> Handler:
        inc = ctx.incoming
        if cmd := inc.command:
            name, ctx.args = cmd
            if handler := self._find("commands", name):
                return handler
        if inc.kind == "action" and inc.action:
            prefix, _, ctx.args = inc.action.partition(":")
            if handler := self._find("actions", prefix):
                return handler
            return self._find_fallback()
        if ctx.contact.step and (handler := self._find("steps", ctx.contact.step)):
            return handler
        return self._find("kinds", inc.kind) or self._find_fallback()

    def _find_fallback(self) -> Handler:
        for router in self.routers:
            if router.fallback_handler:
                return router.fallback_handler
        raise LookupError("no fallback handler registered")

    async def dispatch(self, ctx: Context) -> None:
        ctx.redispatch = lambda: self.resolve(ctx)(ctx)
        inc = ctx.incoming
        if inc.kind == "text" and inc.text and len(inc.text) <= 40:
            word = inc.text.strip(" .!?/").casefold()
            if handler := self._find("keywords", word):
                await handler(ctx)
                return
        step = ctx.contact.step
        hold = self._find("holds", step) if step else None
        if hold and await hold(ctx):
            return
        await self.resolve(ctx)(ctx)

"""Conversation features, one module each. Order matters: earlier routers win."""

from __future__ import annotations

from bot.dispatcher import Dispatcher, Router


def routers() -> list[Router]:
    from handlers import (
        appointment,
        assessment,
        booklet,
        checklist,
        compare,
        estimate,
        fallback,
        handoff,
        language,
        location,
        menu,
        package,
        profile,
        questionnaire,
        search,
        start,
        status,
        subscriptions,
    )

    return [
        start.router,
        language.router,
        menu.router,
        subscriptions.router,
        package.router,
        compare.router,
        estimate.router,
        booklet.router,
        profile.router,
        assessment.router,
        questionnaire.router,
        checklist.router,
        status.router,
        appointment.router,
        handoff.router,
        location.router,
        search.router,
        fallback.router,
    ]


def build_dispatcher() -> Dispatcher:
    return Dispatcher(routers())

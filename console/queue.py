"""The queue of waiting conversations, and the live stream that refreshes open consoles."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sse_starlette.sse import EventSourceResponse, ServerSentEvent

from console import auth
from console.web import SignedIn, back, render, runtime_of
from handlers.handoff import TOPIC_LABELS, region_names
from storage import cases

router = APIRouter()
VIEWS = ("waiting", "mine", "region", "closed")
POLL_SECONDS = 5.0  # a re-read even without a wake-up: other workers' changes, lost signals


@router.get("/console", response_class=HTMLResponse)
async def queue_page(request: Request, signed: SignedIn, view: str = "waiting") -> Response:
    if signed.staff.role == "editor":  # editors keep the package; they see no one's cases
        return back("/console/content")
    return await _queue(request, signed, view, "queue.html")


@router.get("/console/queue", response_class=HTMLResponse)
async def queue_fragment(request: Request, signed: SignedIn, view: str = "waiting") -> HTMLResponse:
    return await _queue(request, signed, view, "queue_rows.html")


async def _queue(request: Request, signed: SignedIn, view: str, template: str) -> HTMLResponse:
    view = view if view in VIEWS else "waiting"
    async with runtime_of(request).db.sessions() as s:
        rows = await cases.queue(s, signed.staff, view)
        waiting = await cases.waiting_count(s, signed.staff)
    return render(
        request,
        template,
        signed,
        rows=rows,
        view=view,
        views=VIEWS,
        waiting=waiting,
        topics=TOPIC_LABELS,
        regions=region_names(signed.staff.locale),
    )


@router.get("/console/events")
async def events(request: Request, signed: SignedIn) -> EventSourceResponse:
    """`changed` with the waiting count whenever a case or a message of an active case in
    this person's regions appears; the page then reloads its fragments."""
    runtime = runtime_of(request)
    token = request.cookies.get(auth.COOKIE, "")
    wake = runtime.signals.subscribe("console")

    async def stream() -> AsyncIterator[ServerSentEvent]:
        last: tuple[int, int, int] | None = None
        try:
            while True:
                async with runtime.db.transaction() as s:
                    if await auth.load_session(s, token, runtime.settings) is None:
                        return  # signed out or expired: the page will find out on reload
                    waiting = await cases.waiting_count(s, signed.staff)
                    newest_case, newest_message = await cases.latest_activity(s, signed.staff)
                now = (waiting, newest_case, newest_message)
                if now != last:
                    data = {"waiting": waiting, "case": newest_case, "message": newest_message}
                    yield ServerSentEvent(data=json.dumps(data), event="changed")
                    last = now
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=POLL_SECONDS)
        finally:
            runtime.signals.unsubscribe("console", wake)

    return EventSourceResponse(stream(), ping=15, headers={"Cache-Control": "no-store"})

"""Wake-ups in this process: a web-chat page per visitor, the open consoles.

The stream reads the messages themselves from the database, so a lost wake-up costs at most
one poll interval and a reconnecting page resumes from its Last-Event-ID.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict


class Hub:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Event]] = defaultdict(set)

    def subscribe(self, key: str) -> asyncio.Event:
        event = asyncio.Event()
        self._subscribers[key].add(event)
        return event

    def unsubscribe(self, key: str, event: asyncio.Event) -> None:
        subs = self._subscribers.get(key)
        if subs is not None:
            subs.discard(event)
            if not subs:
                del self._subscribers[key]

    def publish(self, key: str) -> None:
        for event in self._subscribers.get(key, ()):
            event.set()

    def __len__(self) -> int:
        return sum(len(s) for s in self._subscribers.values())

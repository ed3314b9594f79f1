"""The send pace: Telegram's strict one-second count, spread out, and not slowed by a busy loop."""

from __future__ import annotations

import time

from bot.ratelimit import Paced


def busiest(stamps: list[float], span: float) -> int:
    return max(sum(1 for t in stamps if s <= t < s + span) for s in stamps)


async def test_a_busy_event_loop_does_not_slow_the_pace() -> None:
    """A handler holding the loop for 60 ms makes sends start late; the ones after it catch
    up, so a campaign still goes at the platform's rate (sliding windows alone lost 6 %)."""
    limit, stamps = Paced(30), []
    began = time.monotonic()
    while time.monotonic() - began < 4.0:
        stamps.append(await limit.acquire())
        if len(stamps) % 10 == 0:
            time.sleep(0.06)  # noqa: ASYNC251 (the point: a loop blocked by someone else)
    rate = len(stamps) / (stamps[-1] - stamps[0])
    assert rate >= 0.98 * 30 / 1.01, f"{rate:.1f}/s of 30"
    assert busiest(stamps, 1.0) <= 30, "never more than the platform takes in a second"
    assert busiest(stamps, 0.1) <= 6, "and spread out: no whole second's burst at once"


async def test_a_refunded_slot_is_given_back_to_the_pace() -> None:
    limit = Paced(10)  # one send per 0.1 s
    first = await limit.acquire()
    await limit.refund(first)  # a 502 page: the platform did not count it
    began = time.monotonic()
    await limit.acquire()
    assert time.monotonic() - began < 0.02

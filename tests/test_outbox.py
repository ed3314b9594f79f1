"""The outbox and its sender: nothing written is lost, nothing is sent twice, a person's
messages arrive in order, replies go before bulk, the platform's 'slow down' is obeyed."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from sqlalchemy import select, update

from bot import outbox
from bot.channels.base import Caps, Permanent, RetryAfter, Transient, Unreachable
from bot.runtime import Runtime
from bot.senders import Sender
from bot.types import Reply
from storage.models import Contact, Message, utcnow
from tests.conftest import eventually
from tests.test_ratelimit import busiest


class ScriptedChannel:
    """Delivers rows, failing as scripted: {text: [exception, exception, ...]}."""

    name = "fake"
    caps = Caps(max_text=50)

    def __init__(self, failures: dict[str, list[Exception]] | None = None) -> None:
        self.failures = failures or {}
        self.delivered: list[tuple[str, str, float]] = []

    async def deliver(self, msg: outbox.Claimed) -> str:
        script = self.failures.get(msg.text)
        if script:
            raise script.pop(0)
        self.delivered.append((msg.chat_id, msg.text, time.monotonic()))
        return f"ext-{len(self.delivered)}"


async def enqueue(rt: Runtime, chat: str, *texts: str, priority: int = 0) -> int:
    async with rt.db.transaction() as s:
        contact = await s.scalar(
            select(Contact).where(Contact.channel == "fake", Contact.external_id == chat)
        )
        if contact is None:
            contact = Contact(channel="fake", external_id=chat, step_data={}, last_buttons=[])
            s.add(contact)
            await s.flush()
        for text in texts:
            s.add_all(
                outbox.new_rows(contact, Reply(text), ScriptedChannel.caps.max_text, priority)
            )
        return contact.id


def sender(rt: Runtime, channel: ScriptedChannel, **kw: object) -> Sender:
    return Sender(rt.db, channel, backoff=lambda attempt: 0.01, **kw)  # type: ignore[arg-type]


async def statuses(rt: Runtime) -> dict[str, tuple[str, int]]:
    async with rt.db.sessions() as s:
        rows = await s.execute(select(Message.text, Message.status, Message.attempts))
        return {text: (status, attempts) for text, status, attempts in rows}


async def drain(s: Sender, until) -> None:  # type: ignore[no-untyped-def]
    async def step() -> bool:
        await s.run_once()
        return await until()

    await eventually(step, within=15, interval=0.02)


async def test_transient_failures_are_retried_and_sent_once(runtime: Runtime) -> None:
    channel = ScriptedChannel({"hello": [Transient("502 Bad Gateway"), TimeoutError()]})
    await enqueue(runtime, "1", "hello")
    s = sender(runtime, channel)
    await drain(s, lambda: _status_is(runtime, "hello", "sent"))
    assert [t for _, t, _ in channel.delivered] == ["hello"]
    assert (await statuses(runtime))["hello"] == ("sent", 3)


async def _status_is(rt: Runtime, text: str, status: str) -> bool:
    return (await statuses(rt)).get(text, ("", 0))[0] == status


async def test_give_up_after_max_attempts(runtime: Runtime) -> None:
    channel = ScriptedChannel({"doomed": [Transient("503")] * 10})
    await enqueue(runtime, "1", "doomed")
    s = sender(runtime, channel, max_attempts=3)
    await drain(s, lambda: _status_is(runtime, "doomed", "failed"))
    assert (await statuses(runtime))["doomed"] == ("failed", 3)
    assert channel.delivered == []


async def test_refused_message_fails_without_retry(runtime: Runtime) -> None:
    channel = ScriptedChannel({"bad": [Permanent("Bad Request: message is too long")]})
    await enqueue(runtime, "1", "bad", "next")
    s = sender(runtime, channel)
    await drain(s, lambda: _status_is(runtime, "next", "sent"))
    assert (await statuses(runtime))["bad"] == ("failed", 1)


async def test_blocked_person_is_marked_unreachable(runtime: Runtime) -> None:
    channel = ScriptedChannel({"hi": [Unreachable("Forbidden: bot was blocked by the user")]})
    contact_id = await enqueue(runtime, "1", "hi")
    s = sender(runtime, channel)
    await drain(s, lambda: _status_is(runtime, "hi", "failed"))
    async with runtime.db.sessions() as session:
        assert (await session.get(Contact, contact_id)).blocked_at is not None


async def test_retry_after_pauses_the_channel_and_costs_no_attempt(runtime: Runtime) -> None:
    channel = ScriptedChannel({"a": [RetryAfter(0.5)]})
    await enqueue(runtime, "1", "a")
    await enqueue(runtime, "2", "b")
    s = sender(runtime, channel, max_attempts=1)
    began = time.monotonic()
    await drain(s, lambda: _status_is(runtime, "a", "sent"))
    sent_a = next(t for _, text, t in channel.delivered if text == "a")
    assert sent_a - began >= 0.45, "waited as told"
    assert (await statuses(runtime))["a"] == ("sent", 1), "the 429 did not use up the only attempt"


async def test_a_persons_messages_keep_their_order_through_failures(runtime: Runtime) -> None:
    channel = ScriptedChannel({"one": [Transient("502"), Transient("502")]})
    await enqueue(runtime, "1", "one", "two", "three")
    await enqueue(runtime, "2", "other")
    s = sender(runtime, channel)
    await drain(s, lambda: _status_is(runtime, "three", "sent"))
    assert [t for chat, t, _ in channel.delivered if chat == "1"] == ["one", "two", "three"]


async def test_replies_go_before_bulk(runtime: Runtime) -> None:
    channel = ScriptedChannel()
    for i in range(20):
        await enqueue(runtime, f"bulk{i}", f"news {i}", priority=outbox.PRIORITY_BULK)
    await enqueue(runtime, "asker", "your answer", priority=outbox.PRIORITY_REPLY)
    s = sender(runtime, channel, batch=5)
    await s.run_once()
    # The first batch of five holds the reply though it was queued last; the five go out
    # concurrently to five people, so their order among themselves is up to the network.
    first_batch = [text for _, text, _ in channel.delivered]
    assert len(first_batch) == 5 and "your answer" in first_batch


async def test_long_text_becomes_several_rows_sent_in_order(runtime: Runtime) -> None:
    channel = ScriptedChannel()
    text = "\n\n".join(f"Paragraph {i} with some words" for i in range(6))
    await enqueue(runtime, "1", text)
    s = sender(runtime, channel)
    await drain(s, lambda: _all_sent(runtime))
    parts = [t for _, t, _ in channel.delivered]
    assert len(parts) > 1 and all(len(p) <= 50 for p in parts)
    assert "\n\n".join(parts) == text


async def _all_sent(rt: Runtime) -> bool:
    return all(status == "sent" for status, _ in (await statuses(rt)).values())


async def test_rows_left_sending_by_a_dead_process_are_sent(runtime: Runtime) -> None:
    await enqueue(runtime, "1", "orphan")
    async with runtime.db.transaction() as s:
        await s.execute(
            update(Message).values(status="sending", claimed_at=utcnow() - timedelta(minutes=5))
        )
    channel = ScriptedChannel()
    s = sender(runtime, channel, lease_seconds=60)
    assert await outbox.release_stale(runtime.db, 60) == 1
    await drain(s, lambda: _status_is(runtime, "orphan", "sent"))
    assert [t for _, t, _ in channel.delivered] == ["orphan"]


async def test_pacing_per_chat(runtime: Runtime) -> None:
    channel = ScriptedChannel()
    await enqueue(runtime, "1", *[f"m{i}" for i in range(8)])
    s = sender(runtime, channel, per_chat_rate=10.0, per_chat_burst=2)
    await drain(s, lambda: _all_sent(runtime))
    times = [t for _, _, t in channel.delivered]
    # burst of 2, then 10 per second: 8 messages need at least (8 - 2) / 10 s
    assert times[-1] - times[0] >= 0.5


class StallingChannel(ScriptedChannel):
    """Every seventh message reaches the platform 60 ms late (a stalled network or server),
    and the platform counts it when it arrives, as Telegram's one-second limit does."""

    async def deliver(self, msg: outbox.Claimed) -> str:
        if int(msg.text) % 7 == 0:
            await asyncio.sleep(0.06)
        return await super().deliver(msg)


async def test_a_send_that_arrives_late_is_counted_late(runtime: Runtime) -> None:
    channel = StallingChannel()
    for i in range(200):  # one each: a person's own messages go one at a time anyway
        await enqueue(runtime, str(i), str(i))
    s = sender(runtime, channel, rate=50.0)
    s.start()
    try:
        await eventually(lambda: len(channel.delivered) == 200, within=15)
    finally:
        await s.stop()
    arrivals = sorted(t for _, _, t in channel.delivered)
    # Paced by when they left alone, 51 of them arrive within one second: a 429.
    assert busiest(arrivals, 1.0) <= 50


async def test_sender_loop_wakes_on_notify(runtime: Runtime) -> None:
    channel = ScriptedChannel()
    s = sender(runtime, channel, idle_poll=30)
    s.start()
    try:
        await asyncio.sleep(0.1)
        await enqueue(runtime, "1", "ping")
        s.notify()
        await eventually(lambda: channel.delivered, within=5)
    finally:
        await s.stop()


async def test_old_update_ids_are_forgotten(runtime: Runtime) -> None:
    from bot.housekeeping import forget_old_update_ids
    from storage.models import ProcessedUpdate

    async with runtime.db.transaction() as s:
        s.add(
            ProcessedUpdate(
                channel="telegram", update_id="1", created_at=utcnow() - timedelta(days=8)
            )
        )
        s.add(ProcessedUpdate(channel="telegram", update_id="2", created_at=utcnow()))
    assert await forget_old_update_ids(runtime.db, keep_days=7) == 1
    async with runtime.db.sessions() as s:
        assert [u.update_id for u in await s.scalars(select(ProcessedUpdate))] == ["2"]

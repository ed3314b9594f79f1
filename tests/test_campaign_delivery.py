"""The campaign engine under restarts, quiet hours and WhatsApp's window, and the outbox
recovery that keeps a crash from sending anyone the same news twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from bot import outbox
from bot.campaigns import CampaignRunner
from bot.clock import FakeClock, after_span
from bot.runtime import Runtime
from bot.types import Reply
from storage.models import Campaign, Consent, Contact, Delivery, Message, utcnow
from storage.segments import consent_kind

NOON = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # 12:00 in Kazakhstan (UTC+5)


async def people(rt: Runtime, n: int, channel: str = "telegram", seen=None) -> list[int]:  # type: ignore[no-untyped-def]
    async with rt.db.transaction() as s:
        contacts = [Contact(channel=channel, external_id=f"{channel}{i}", locale="kk",
                            step_data={}, last_buttons=[], last_seen_at=seen or utcnow())
                    for i in range(n)]  # fmt: skip
        s.add_all(contacts)
        await s.flush()
        s.add_all(Consent(contact_id=c.id, kind=consent_kind("youth"), version="t", granted=True,
                          channel=channel) for c in contacts)  # fmt: skip
        return [c.id for c in contacts]


async def campaign(rt: Runtime, **fields: object) -> int:
    async with rt.db.transaction() as s:
        row = Campaign(name="c", topic="youth", filters={}, texts={"kk": "Жастарға грант"},
                       buttons=["hf"], status="scheduled", starts_at=NOON - timedelta(minutes=1),
                       created_by="t", **fields)  # fmt: skip
        s.add(row)
        await s.flush()
        return row.id


async def counts(rt: Runtime, campaign_id: int) -> tuple[int, int, int]:
    async with rt.db.sessions() as s:
        deliveries = await s.scalar(select(func.count()).select_from(Delivery))
        people_with = await s.scalar(select(func.count(func.distinct(Delivery.contact_id))))
        rows = await s.scalar(
            select(func.count()).select_from(Message).where(Message.campaign_id == campaign_id)
        )
    return deliveries, people_with, rows


async def test_a_restarted_runner_goes_on_without_repeating_or_skipping(runtime: Runtime) -> None:
    await people(runtime, 25)
    campaign_id = await campaign(runtime)
    runtime.settings.campaign_ahead = 10
    first = CampaignRunner(runtime.db, runtime.settings, FakeClock(NOON))
    assert await first.run_once() == 10, "only a little ahead of the senders"
    assert await first.run_once() == 0, "nothing more while ten wait"
    async with runtime.db.transaction() as s:  # the senders send them
        await s.execute(update(Message).values(status="sent"))
    # The process dies; a new one starts from what the database says.
    second = CampaignRunner(runtime.db, runtime.settings, FakeClock(NOON))
    while await second.run_once():
        async with runtime.db.transaction() as s:
            await s.execute(update(Message).values(status="sent"))
    await second.run_once()
    assert await counts(runtime, campaign_id) == (25, 25, 25)
    async with runtime.db.sessions() as s:
        assert (await s.get(Campaign, campaign_id)).status == "done"


async def test_nothing_new_is_written_in_quiet_hours(runtime: Runtime) -> None:
    await people(runtime, 3)
    campaign_id = await campaign(runtime)
    evening = NOON + timedelta(hours=10)  # 22:00 local
    runner = CampaignRunner(runtime.db, runtime.settings, FakeClock(evening))
    assert await runner.run_once() == 0
    assert await counts(runtime, campaign_id) == (0, 0, 0)
    morning = after_span(runtime.settings.quiet_hours, evening, runner.zone)
    assert morning.astimezone(runner.zone).hour == 9
    runner.clock = FakeClock(morning)
    assert await runner.run_once() == 3


async def test_whatsapp_outside_the_window_gets_the_template_or_nothing(runtime: Runtime) -> None:
    await people(runtime, 2, "whatsapp", seen=NOON - timedelta(days=3))
    without = await campaign(runtime)
    runner = CampaignRunner(runtime.db, runtime.settings, FakeClock(NOON))
    await runner.run_once()
    assert await counts(runtime, without) == (2, 2, 0), "skipped: WhatsApp allows only templates"
    with_template = await campaign(runtime, wa_template="qonys_youth_news")
    await runner.run_once()
    async with runtime.db.sessions() as s:
        rows = list(await s.scalars(select(Message).where(Message.campaign_id == with_template)))
    assert [(r.kind, r.payload["template"]) for r in rows] == [("template", "qonys_youth_news")] * 2


async def test_an_interrupted_send_is_settled_for_news_and_repeated_for_replies(
    runtime: Runtime,
) -> None:
    [contact_id] = await people(runtime, 1)
    async with runtime.db.transaction() as s:
        contact = await s.get(Contact, contact_id)
        for priority in (outbox.PRIORITY_BULK, outbox.PRIORITY_REPLY):
            s.add_all(outbox.new_rows(contact, Reply(f"p{priority}"), 4096, priority))
    long_ago = utcnow() - timedelta(minutes=5)
    async with runtime.db.transaction() as s:  # both were on their way when the process died
        await s.execute(
            update(Message).values(status="sending", claimed_at=long_ago, dispatched_at=long_ago)
        )
    await outbox.release_stale(runtime.db, 60)
    async with runtime.db.sessions() as s:
        got = dict((await s.execute(select(Message.text, Message.status))).all())
    assert got == {"p10": "sent", "p0": "pending"}


async def test_a_chatting_person_gets_their_queued_news_first(runtime: Runtime) -> None:
    [contact_id] = await people(runtime, 1)
    async with runtime.db.transaction() as s:
        contact = await s.get(Contact, contact_id)
        s.add_all(outbox.new_rows(contact, Reply("news"), 4096, outbox.PRIORITY_BULK))
    async with runtime.db.transaction() as s:
        await outbox.promote(s, contact_id)
    async with runtime.db.sessions() as s:
        assert await s.scalar(select(Message.priority)) == outbox.PRIORITY_REPLY

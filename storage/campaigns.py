"""Campaign state and figures: the plan before sending, progress while sending, results after.

Changes of state are conditional UPDATEs (`WHERE status = …`), so two supervisors pressing
"pause" and "cancel" at once, or two workers, never both win.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Campaign, Case, Contact, Delivery, Message, utcnow
from storage.segments import members

WINDOW = timedelta(hours=24)  # WhatsApp's customer-service window
AFTER = timedelta(days=7)  # a handoff this soon after a campaign counts as started by it
QUEUED = ("pending", "sending", "held", "waiting")
SETTLED = ("sent", "delivered", "read", "failed", "cancelled")
STATUSES = ("draft", "scheduled", "running", "paused", "done", "cancelled")


@dataclass
class Plan:
    """Who gets what, and how long it takes at the configured rates."""

    channels: dict[str, int] = field(default_factory=dict)
    wa_inside: int = 0  # WhatsApp people who wrote in the last 24 hours: a normal message
    wa_template: int = 0  # outside the window, with a template
    wa_skipped: int = 0  # outside the window, no template: WhatsApp allows nothing
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.channels.values()) - self.wa_skipped


async def plan(
    s: AsyncSession,
    campaign: Campaign,
    default_locale: str,
    rates: dict[str, float],
    messages_each: int,
) -> Plan:
    ids = members(campaign.filters, default_locale, campaign.topic).subquery()
    per_channel = await s.execute(
        select(Contact.channel, func.count())
        .join(ids, ids.c.id == Contact.id)
        .group_by(Contact.channel)
    )
    result = Plan(channels=dict(per_channel.all()))  # type: ignore[arg-type]
    result.wa_inside = int(
        await s.scalar(
            select(func.count())
            .select_from(Contact)
            .join(ids, ids.c.id == Contact.id)
            .where(Contact.channel == "whatsapp", Contact.last_seen_at > utcnow() - WINDOW)
        )
        or 0
    )
    outside = result.channels.get("whatsapp", 0) - result.wa_inside
    if campaign.wa_template:
        result.wa_template = outside
    else:
        result.wa_skipped = outside
    # Every channel has its own sender, so they run side by side: the slowest decides.
    for channel, count in result.channels.items():
        if channel == "whatsapp":
            sent = result.wa_inside * messages_each + result.wa_template
        else:
            sent = count * messages_each
        result.seconds = max(result.seconds, sent / rates.get(channel, 1000.0))
    return result


async def set_status(
    s: AsyncSession, campaign_id: int, frm: tuple[str, ...], to: str, **values: object
) -> bool:
    """Move a campaign from one of `frm` to `to`; False when someone else moved it first."""
    result = await s.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.status.in_(frm))
        .values(status=to, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def hold_messages(s: AsyncSession, campaign_id: int, frm: str, to: str) -> int:
    """Pause (pending → held), resume (held → pending) or cancel the rows not yet sent."""
    values: dict[str, object] = {"status": to}
    if to == "pending":
        values["next_attempt_at"] = utcnow()
    result = await s.execute(
        update(Message)
        .where(Message.campaign_id == campaign_id, Message.status == frm)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def backlog(s: AsyncSession, campaign_id: int) -> int:
    """Rows of the campaign still in the outbox."""
    return int(
        await s.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.campaign_id == campaign_id, Message.status.in_(QUEUED))
        )
        or 0
    )


async def progress(s: AsyncSession, campaign: Campaign) -> dict[str, int]:
    """Recipients by where their message is: queued, sent, delivered, read, failed…"""
    counts = dict.fromkeys(("queued", *SETTLED, "skipped", "opted_out"), 0)
    rows = await s.execute(
        select(Message.status, func.count())
        .join(Delivery, Delivery.message_id == Message.id)
        .where(Delivery.campaign_id == campaign.id)
        .group_by(Message.status)
    )
    for status, count in rows.all():
        counts["queued" if status in QUEUED else status] += count
    counts["skipped"] = await _deliveries(s, campaign.id, Delivery.status == "skipped")
    counts["opted_out"] = await _deliveries(s, campaign.id, Delivery.opted_out_at.is_not(None))
    counts["recipients"] = await _deliveries(s, campaign.id)
    counts["total"] = max(campaign.planned, counts["recipients"])
    counts["done"] = counts["recipients"] - counts["queued"]
    return counts


async def results(s: AsyncSession, campaign: Campaign) -> dict[str, int]:
    """What people did after it: pressed a button, asked for a caseworker, blocked the bot."""
    clicked = await _deliveries(s, campaign.id, Delivery.clicks > 0)
    clicks = await s.scalar(
        select(func.coalesce(func.sum(Delivery.clicks), 0)).where(
            Delivery.campaign_id == campaign.id
        )
    )
    until = (campaign.finished_at or utcnow()) + AFTER
    handoffs = await s.scalar(
        select(func.count(func.distinct(Case.contact_id)))
        .join(Delivery, Delivery.contact_id == Case.contact_id)
        .where(
            Delivery.campaign_id == campaign.id,
            Delivery.status == "queued",
            Case.created_at >= Delivery.created_at,
            Case.created_at <= until,
        )
    )
    blocked = await s.scalar(
        select(func.count())
        .select_from(Delivery)
        .join(Message, Message.id == Delivery.message_id)
        .join(Contact, Contact.id == Delivery.contact_id)
        .where(
            Delivery.campaign_id == campaign.id,
            Message.status == "failed",
            Contact.blocked_at.is_not(None),
        )
    )
    return {
        "clicked": clicked,
        "clicks": int(clicks or 0),
        "handoffs": int(handoffs or 0),
        "blocked": int(blocked or 0),
    }


async def opt_out(s: AsyncSession, contact_id: int, now: datetime, since: timedelta) -> int:
    """A person stopped campaigns: their unsent copies are cancelled, and the campaigns they
    got lately count the opt-out. Returns how many unsent messages were cancelled."""
    recent = select(Delivery.id).where(
        Delivery.contact_id == contact_id,
        Delivery.opted_out_at.is_(None),
        Delivery.created_at >= now - since,
    )
    await s.execute(
        update(Delivery)
        .where(Delivery.id.in_(recent))
        .values(opted_out_at=now)
        .execution_options(synchronize_session=False)
    )
    result = await s.execute(
        update(Message)
        .where(
            Message.contact_id == contact_id,
            Message.campaign_id.is_not(None),
            Message.status.in_(("pending", "held", "waiting")),
        )
        .values(status="cancelled", error="the person opted out")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def _deliveries(s: AsyncSession, campaign_id: int, *where: object) -> int:
    return int(
        await s.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(and_(Delivery.campaign_id == campaign_id, *where))  # type: ignore[arg-type]
        )
        or 0
    )

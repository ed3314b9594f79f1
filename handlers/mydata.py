"""/mydata: everything stored about a person, as readable messages in their language."""

from __future__ import annotations

from bot.context import Context
from content.questionnaire import get_questionnaires
from handlers import questionnaire as qn
from handlers.handoff import TOPIC_LABELS
from handlers.profile import short_text, shown
from storage import privacy


def _when(dt) -> str:  # type: ignore[no-untyped-def]
    return dt.strftime("%d.%m.%Y %H:%M") if dt else "—"


async def describe(ctx: Context) -> list[str]:
    data = await privacy.export(ctx.session, ctx.contact)
    c, q = data["contact"], get_questionnaires()
    parts = [
        "\n".join(
            [
                ctx._("What I store about you"),
                ctx._(
                    "Channel: {channel}, your id there: {id}", channel=c.channel, id=c.external_id
                ),
                ctx._("Name: {name}", name=c.display_name or "—"),
                ctx._("Phone (from the messenger): {phone}", phone=c.phone or "—"),
                ctx._("Language: {lang}", lang=c.locale or "—"),
                ctx._("Came from: {source}", source=c.source or "—"),
                ctx._("First message: {at}", at=_when(c.created_at)),
                ctx._("Last message: {at}", at=_when(c.last_seen_at)),
            ]
        )
    ]
    consents = [
        ctx._("Consent {state}, version {v}, {at}, {channel}", state="✓" if x.granted else "✗",
              v=x.version, at=_when(x.created_at), channel=x.channel)
        for x in data["consents"]
    ]  # fmt: skip
    parts.append("\n".join([ctx._("Consents:"), *(consents or ["—"])]))
    if data["profile"] is not None:
        values = qn.profile_values(data["profile"])
        lines = [ctx._("Profile:")]
        for question in q.profile:
            value = values.get(question.field or question.id)
            text = short_text(question.text.text(ctx.locale))
            lines.append(f"• {text}: {shown(ctx, question, value)}")
        parts.append("\n".join(lines))
    if data["answers"]:
        lines = [ctx._("Needs assessment answers:")]
        given = {row.question: row.answer for row in data["answers"]}
        for question in q.assessment:  # in the order they are asked
            if question.id in given:
                label = dict(qn.options(ctx, question)).get(given[question.id] or "", "—")
                lines.append(f"• {question.text.text(ctx.locale)} — {label}")
        parts.append("\n".join(lines))
    if data["result"] is not None:
        shared = _when(data["result"].shared_at) if data["result"].shared_at else "—"
        parts.append(ctx._("Assessment finished {at}; sent to a caseworker: {shared}",
                           at=_when(data["result"].completed_at), shared=shared))  # fmt: skip
    for row in data["checklists"]:
        parts.append(ctx._("Checklist {name}: {n} items ticked; reminders: {remind}",
                           name=row.checklist, n=len(row.done or []),
                           remind=ctx._("on") if row.remind else ctx._("off")))  # fmt: skip
    if data["subscriptions"]:
        parts.append(ctx._("Status notifications for {n} applications",
                           n=len(data["subscriptions"])))  # fmt: skip
    for slot in data["visits"]:
        parts.append(ctx._("Visit booked: {when}, office {office}",
                           when=_when(slot.starts_at), office=slot.office_id))  # fmt: skip
    for case in data["cases"]:
        topic = ctx._(TOPIC_LABELS.get(case.topic, case.topic))
        state = case.status + (f", ★{case.rating}" if case.rating else "")
        line = ctx._("Request to a caseworker {at}: {topic}, {state}", at=_when(case.created_at),
                     topic=topic, state=state)  # fmt: skip
        parts.append(line)
    transcript = [ctx._("Our conversation ({n} messages):", n=len(data["messages"]))]
    for m in data["messages"]:
        who = ctx._("you") if m.direction == "in" else (m.payload or {}).get("agent") or "Qonys"
        transcript.append(f"{_when(m.created_at)} {who}: {(m.text or f'[{m.kind}]')[:500]}")
    parts.append("\n".join(transcript))
    if data["unanswered"]:
        lines = [ctx._("Questions I could not answer, kept for the content team:")]
        lines += [f"• {u.text}" for u in data["unanswered"]]
        parts.append("\n".join(lines))
    return parts

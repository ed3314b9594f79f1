"""/mydata: everything stored about a person, as readable messages in their language. Codes
kept in the database (a case's state, a checklist id, a language, a channel) are shown as the
words the person knows them by; a long conversation comes as a text file, the rest in chat."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.i18n import N_
from content.procedures import get_procedures
from content.questionnaire import get_questionnaires
from content.scripts import MARK
from handlers import questionnaire as qn
from handlers.checklist_pdf import private_dir
from handlers.handoff import TOPIC_LABELS
from handlers.profile import short_text, shown
from storage import privacy
from storage.models import Contact, Message

SHOWN_MESSAGES = 20  # the latest messages in chat; the whole conversation goes as a file
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}
# Kazakh read in another script, named as on the language buttons (MARK: not transliterated).
SCRIPT_NAMES = {"latn": f"{MARK}Qazaqşa (latyn){MARK}", "arab": f"{MARK}قازاقشا (توتە){MARK}"}
CHANNEL_NAMES = {
    "telegram": "Telegram", "whatsapp": "WhatsApp", "webchat": N_("web chat"),
    "terminal": N_("terminal"),
}  # fmt: skip
CASE_STATES = {
    "waiting": N_("waiting for a caseworker"),
    "open": N_("a caseworker is answering"),
    "closed": N_("the conversation is over"),
}
# What a message that was not text was, in the transcript.
KINDS = {
    "action": N_("(pressed a button)"), "sticker": N_("(a sticker)"), "photo": N_("(a photo)"),
    "video": N_("(a video)"), "voice": N_("(a voice message)"), "audio": N_("(audio)"),
    "document": N_("(a file)"), "location": N_("(a location)"), "contact": N_("(a contact)"),
    "too_long": N_("(a message too long to keep)"), "reaction": N_("(a reaction)"),
    "image": N_("(a picture)"), "template": N_("(a notice)"),
}  # fmt: skip


def _when(ctx: Context, dt: datetime | None) -> str:
    if dt is None:
        return "—"
    return dt.astimezone(ZoneInfo(ctx.settings.timezone)).strftime("%d.%m.%Y %H:%M")


def _channel(ctx: Context, channel: str) -> str:
    return ctx._(CHANNEL_NAMES.get(channel, channel))  # a platform's name is its own msgid


async def describe(ctx: Context) -> tuple[list[str], list[Message]]:
    """The record in parts (one message each) and the conversation's messages."""
    data = await privacy.export(ctx.session, ctx.contact)
    parts = [_about(ctx, data["contact"])]
    consents = [
        ctx._("Consent {state}, version {v}, {at}, {channel}", state="✓" if x.granted else "✗",
              v=x.version, at=_when(ctx, x.created_at), channel=_channel(ctx, x.channel))
        for x in data["consents"]
    ]  # fmt: skip
    parts.append("\n".join([ctx._("Consents:"), *(consents or ["—"])]))
    parts += _answers(ctx, data)
    parts += _services(ctx, data)
    if data["unanswered"]:
        lines = [ctx._("Questions I could not answer, kept for the content team:")]
        lines += [f"• {u.text}" for u in data["unanswered"]]
        parts.append("\n".join(lines))
    return parts, data["messages"]


def _about(ctx: Context, c) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(
        [
            ctx._("What I store about you"),
            ctx._(
                "Channel: {channel}, your id there: {id}",
                channel=_channel(ctx, c.channel),
                id=c.external_id,
            ),
            ctx._("Name: {name}", name=c.display_name or "—"),
            ctx._("Phone (from the messenger): {phone}", phone=c.phone or "—"),
            ctx._("Language: {lang}", lang=_language(c)),
            ctx._("The link you came by: {source}", source=c.source or "—"),
            ctx._("First message: {at}", at=_when(ctx, c.created_at)),
            ctx._("Last message: {at}", at=_when(ctx, c.last_seen_at)),
        ]
    )


def _answers(ctx: Context, data: dict) -> list[str]:
    q, parts = get_questionnaires(), []
    if data["profile"] is not None:
        values = qn.profile_values(data["profile"])
        lines = [ctx._("Profile:")]
        for question in q.profile:
            value = values.get(question.field or question.id)
            text = short_text(question.text.text(ctx.locale))
            lines.append(f"• {text}: {shown(ctx, question, value)}")
        parts.append("\n".join(lines))
    if data["answers"]:
        lines = [ctx._("Short survey answers:")]
        given = {row.question: row.answer for row in data["answers"]}
        for question in q.assessment:  # in the order they are asked
            if question.id in given:
                label = dict(qn.options(ctx, question)).get(given[question.id] or "", "—")
                lines.append(f"• {question.text.text(ctx.locale)} — {label}")
        parts.append("\n".join(lines))
    if data["result"] is not None:
        result = data["result"]
        shared = _when(ctx, result.shared_at) if result.shared_at else ctx._("no")
        parts.append(ctx._("Survey finished {at}; sent to a caseworker: {shared}",
                           at=_when(ctx, result.completed_at), shared=shared))  # fmt: skip
    return parts


def _services(ctx: Context, data: dict) -> list[str]:
    parts, checklists = [], get_procedures().checklists
    for row in data["checklists"]:
        known = checklists.get(row.checklist)
        name = known.title.text(ctx.locale) if known else row.checklist
        ticked = ctx.ngettext("{n} document ticked", "{n} documents ticked", len(row.done or []))
        remind = ctx._("reminders on") if row.remind else ctx._("reminders off")
        parts.append(f"«{name}»: {ticked}; {remind}")
    if data["subscriptions"]:
        n = len(data["subscriptions"])
        parts.append(ctx.ngettext("Status news for {n} application",
                                  "Status news for {n} applications", n))  # fmt: skip
    for slot in data["visits"]:
        parts.append(ctx._("Visit booked: {when}", when=_when(ctx, slot.starts_at)))
    for case in data["cases"]:
        topic = ctx._(TOPIC_LABELS.get(case.topic, TOPIC_LABELS["other"]))
        state = ctx._(CASE_STATES.get(case.status, CASE_STATES["open"]))
        state += f", ★{case.rating}" if case.rating else ""
        parts.append(ctx._("Your question to a caseworker, {at}: {topic}; {state}",
                           at=_when(ctx, case.created_at), topic=topic, state=state))  # fmt: skip
    return parts


def transcript(ctx: Context, messages: list[Message]) -> list[str]:
    """One line per message, oldest first, each as the person saw or sent it."""
    lines = []
    for m in messages:
        who = ctx._("you") if m.direction == "in" else (m.payload or {}).get("agent") or "Qonys"
        said = m.text or ctx._(KINDS.get(m.kind, KINDS["document"]))
        lines.append(f"{_when(ctx, m.created_at)} {who}: {said}")
    return lines


def write_record(ctx: Context, parts: list[str], lines: list[str]) -> Path:
    """The whole record as a text file, for a conversation too long to read in chat."""
    name = f"{ctx.contact.id}-{secrets.token_urlsafe(12)}.txt"
    path = private_dir(ctx.settings.data_dir, "records") / name
    path.write_text("\n\n".join([*parts, "\n".join(lines)]) + "\n", encoding="utf-8")
    return path


def _language(c: Contact) -> str:
    if c.locale == "kk" and c.script in SCRIPT_NAMES:
        return SCRIPT_NAMES[c.script]
    return LANGUAGE_NAMES.get(c.locale or "", "—")

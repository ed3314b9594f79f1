"""Tables. Portable between SQLite and PostgreSQL: JSON (not JSONB), text ids, tz-aware times."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, ClassVar

from annotated_types import Interval
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import (
    text as sql_text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Deterministic constraint names, so migrations behave the same on both backends.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY, so big ids fall back to Integer there.
BigId = BigInteger().with_variant(Integer(), "sqlite")
# The largest id either backend holds. Ids typed into URLs, forms and button data are checked
# against it, so a 30-digit "id" is refused as such instead of failing in the database.
MAX_ID = 2**63 - 1
RowId = Annotated[int, Interval(ge=0, le=MAX_ID)]


def parse_id(value: object) -> int | None:
    """A row id written as text, or None when it is not one: ASCII digits only (str.isdigit
    also takes "²", which int() refuses) and no more than a BIGINT holds."""
    text = "" if value is None else str(value)
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend: SQLite returns naive values, which we mark UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: use storage.models.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar = {dict[str, Any]: JSON, list[Any]: JSON}


class Contact(Base):
    """One person on one channel. Identity is (channel, external id as text)."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(160))
    display_name: Mapped[str | None] = mapped_column(String(128))
    phone: Mapped[str | None] = mapped_column(String(20))  # as the platform gives it: verified
    locale: Mapped[str | None] = mapped_column(String(8))
    locale_hint: Mapped[str | None] = mapped_column(String(8))
    # How a Kazakh reader reads: None/"cyrl", "latn" (the 2021 alphabet) or "arab" (төте жазу).
    script: Mapped[str | None] = mapped_column(String(4))
    source: Mapped[str | None] = mapped_column(String(64))
    step: Mapped[str | None] = mapped_column(String(64))
    step_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The buttons of the last message sent, so "2" or a typed label presses one.
    last_buttons: Mapped[list[Any]] = mapped_column(default=list)
    # Section keys the profile and assessment point to, most important first (menu shortcuts).
    recommended: Mapped[list[Any]] = mapped_column(default=list, server_default=sql_text("'[]'"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Message(Base):
    """The transcript and the outbox in one table: every inbound and outbound message.

    An outbound row is written in the same transaction as the state change that caused it,
    then a sender delivers it and records the outcome in `status`.
    """

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_contact", "contact_id", "id"),
        Index("ix_messages_outbox", "channel", "status", "next_attempt_at"),
        Index("ix_messages_campaign", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(3))  # "in" | "out"
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    external_id: Mapped[str | None] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Delivery (outbound only). Lower priority numbers go first: replies before bulk.
    status: Mapped[str | None] = mapped_column(String(12))
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default=sql_text("0"))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=sql_text("0"))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(String(500))
    # Who wrote an outbound message: None for the bot, else the caseworker (staff are never
    # deleted, only deactivated, so no foreign key: SQLite cannot add one to a live table).
    staff_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    # A campaign's message (paused, resumed and counted with it); None for conversation.
    campaign_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    # Set just before the platform is called: a row found `sending` with this set after a
    # crash may have arrived, one without it certainly did not.
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ProcessedUpdate(Base):
    """Platform update ids already handled, so a re-delivered webhook is handled once."""

    __tablename__ = "processed_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class UnansweredQuestion(Base):
    """A question nothing in the package answered, for the content team."""

    __tablename__ = "unanswered_questions"
    __table_args__ = (Index("ix_unanswered_created", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    lang: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    best_key: Mapped[str | None] = mapped_column(String(80))
    best_score: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The person pressed "tell me when there is an answer" (and nothing else is sent them).
    notify: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql_text("false"))
    answer: Mapped[str | None] = mapped_column(String(120))  # the page: "regions/pavlodar/housing"
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ContentRevision(Base):
    """One version of a page or a fact, edited in the console's content studio. Rows are never
    changed in substance: a save adds a draft on top of the head (the previous draft becomes
    `superseded`), review and publishing change only the state. The published row with the
    highest id per document is what the bot says; documents without one say the shipped file."""

    __tablename__ = "content_revisions"
    __table_args__ = (
        Index("ix_content_revisions_doc", "doc", "id"),
        Index("ix_content_revisions_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # "regions/pavlodar/housing.kk.md" (a page) or "fact:pavlodar.heating.coal_price" (a fact)
    doc: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12))  # draft|review|published|rejected|superseded
    parent_id: Mapped[int | None] = mapped_column(BigId)  # the head this edit was made on
    reason: Mapped[str] = mapped_column(String(300), default="")
    author: Mapped[str] = mapped_column(String(64))
    reviewer: Mapped[str | None] = mapped_column(String(64))
    self_approved: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Consent(Base):
    """Each time a person agrees or withdraws: the consent text version, when, on which channel.
    The latest row of a kind is in force."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_contact", "contact_id", "kind", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # "profile", "handoff", "news:<topic>"
    version: Mapped[str] = mapped_column(String(32))
    granted: Mapped[bool] = mapped_column(Boolean)
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Profile(Base):
    """What a person told about themselves, with consent. Columns used for segments; the rest
    of the questionnaire's answers in `extra`."""

    __tablename__ = "profiles"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    programme: Mapped[str | None] = mapped_column(String(20))
    origin_region: Mapped[str | None] = mapped_column(String(32))
    origin_country: Mapped[str | None] = mapped_column(String(32))
    destination: Mapped[str | None] = mapped_column(String(32))
    stage: Mapped[str | None] = mapped_column(String(10))
    settlement_before: Mapped[str | None] = mapped_column(String(10))
    settlement_after: Mapped[str | None] = mapped_column(String(10))
    adults: Mapped[int | None] = mapped_column(Integer)
    children: Mapped[int | None] = mapped_column(Integer)
    children_ages: Mapped[list[Any]] = mapped_column(default=list)
    gender: Mapped[str | None] = mapped_column(String(10))
    age_band: Mapped[str | None] = mapped_column(String(10))
    education: Mapped[str | None] = mapped_column(String(20))
    profession: Mapped[str | None] = mapped_column(String(100))
    languages: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(20))
    phone_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    answered: Mapped[list[Any]] = mapped_column(default=list)  # question ids answered or skipped
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AssessmentAnswer(Base):
    """One answer of the needs assessment; the set of rows is where the person left off."""

    __tablename__ = "assessment_answers"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    question: Mapped[str] = mapped_column(String(32), primary_key=True)
    area: Mapped[str] = mapped_column(String(20))
    answer: Mapped[str | None] = mapped_column(String(32))  # None: skipped
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AssessmentResult(Base):
    """A finished assessment: its needs flags, and whether the person sent it to a caseworker."""

    __tablename__ = "assessment_results"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    flags: Mapped[list[Any]] = mapped_column(default=list)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ChecklistProgress(Base):
    """A person's tick-offs on one document checklist. `done` holds item keys; an item that
    repeats per member is keyed `item:n`. `remind`: the person asked to be nudged."""

    __tablename__ = "checklist_progress"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    checklist: Mapped[str] = mapped_column(String(32), primary_key=True)
    done: Mapped[list[Any]] = mapped_column(default=list)
    remind: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    progressed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Application(Base):
    """An application for the programme as the state systems know it. The IIN is kept only as
    a keyed hash (bot/iin.py); the phone as digits, to recognise the person's own number."""

    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    programme: Mapped[str] = mapped_column(String(16))
    region: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(20))
    iin_hash: Mapped[str | None] = mapped_column(String(64))
    birth_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(32))
    status_date: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApplicationEvent(Base):
    """One status an application reached, and when. Unique, so re-importing is harmless."""

    __tablename__ = "application_events"
    __table_args__ = (UniqueConstraint("application_id", "status", "status_date"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(32))
    status_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(40))  # "csv", "api:<token name>", "console:<user>"
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StatusSubscription(Base):
    """A person who proved who they are and asked to hear about every status change."""

    __tablename__ = "status_subscriptions"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LookupAttempt(Base):
    """A failed status lookup, per person and per application number (hashed), for the lock."""

    __tablename__ = "lookup_attempts"
    __table_args__ = (Index("ix_lookup_attempts_key", "scope", "key", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[str] = mapped_column(String(12))  # "contact" | "application"
    key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApiToken(Base):
    """A token of one integration (a state information system); only its hash is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The regions whose applications and offices it may touch; ["*"]: every region.
    regions: Mapped[list[Any]] = mapped_column(default=list, server_default=sql_text("'[\"*\"]'"))
    read_only: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sql_text("false")
    )

    def covers(self, region: str | None) -> bool:
        return "*" in (self.regions or []) or (region is not None and region in self.regions)


class Office(Base):
    """A career centre or adaptation centre that receives people, as staff describe it."""

    __tablename__ = "offices"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # career_centre | adaptation_centre
    name: Mapped[dict[str, Any]] = mapped_column(default=dict)  # per language
    address: Mapped[dict[str, Any]] = mapped_column(default=dict)
    hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    services: Mapped[list[Any]] = mapped_column(default=list)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    avg_wait_days: Mapped[float | None] = mapped_column(Float)  # days to a decision, if known
    avg_wait_as_of: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Slot(Base):
    """A time staff opened at an office; booked when `contact_id` is set. Booking is a
    conditional UPDATE (`WHERE contact_id IS NULL`), so two people can never get one slot."""

    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("office_id", "starts_at", "service"),
        Index("ix_slots_contact", "contact_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    office_id: Mapped[str] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    service: Mapped[str] = mapped_column(String(32), default="any")  # "any": every service
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    minutes: Mapped[int] = mapped_column(Integer, default=30)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    booked_service: Mapped[str | None] = mapped_column(String(32))
    booked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_day_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_soon_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StaffUser(Base):
    """A caseworker, supervisor or admin of the console. Only an argon2 hash of the password."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))  # caseworker | supervisor | admin
    regions: Mapped[list[Any]] = mapped_column(default=list)  # a caseworker's regions
    locale: Mapped[str] = mapped_column(String(8), default="kk")
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StaffSession(Base):
    """A signed-in browser. The cookie holds a random token; only its hash is kept here."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    csrf: Mapped[str] = mapped_column(String(64))
    # A notice for the next page this browser opens ("Saved."), set by the server, never
    # taken from a URL.
    flash: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Case(Base):
    """A person's request to talk to a human: waiting → open (a caseworker holds it) → closed."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_status_region", "status", "region"),
        Index("ix_cases_contact", "contact_id", "id"),
        # Never reuse the id of an erased person's case: the audit log refers to it.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    region: Mapped[str | None] = mapped_column(String(32))  # None: not known, supervisors route
    topic: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8), default="waiting")
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_inbound_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(10))  # staff | person
    outcome: Mapped[str | None] = mapped_column(String(20))
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The first message the person agreed to share with the caseworker: the recent context
    # before the request. The case shows messages from here to its close, nothing else.
    context_from_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite")
    )


class CaseNote(Base):
    """An internal note on a case: staff only, never sent to the person."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CannedReply(Base):
    """A ready answer in one language, kept by supervisors."""

    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    locale: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditEntry(Base):
    """Who of the staff saw or changed whose data, and when. Kept after a person is erased
    (the contact id is then a dangling number), because the access itself happened."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_created", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_login: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    contact_id: Mapped[int | None] = mapped_column(BigInteger)
    case_id: Mapped[int | None] = mapped_column(BigInteger)
    detail: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Segment(Base):
    """A saved group of people for campaigns: filters over profile, assessment and activity."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Campaign(Base):
    """A message to the people of a segment who opted in to its topic.

    draft → scheduled → running ⇄ paused → done | cancelled. Recipients are written in chunks
    just ahead of the senders; `cursor` is the last contact id written, so a restart goes on
    from there and the unique (campaign, contact) key keeps anyone from getting it twice."""

    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_status", "status", "starts_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    topic: Mapped[str] = mapped_column(String(16))  # the subscription it goes to
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the segment, frozen at launch
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id", ondelete="SET NULL"))
    texts: Mapped[dict[str, Any]] = mapped_column(default=dict)  # per language
    buttons: Mapped[list[Any]] = mapped_column(default=list)  # action ids: "p:women", "hf"
    image: Mapped[str | None] = mapped_column(String(200))  # a file in the data folder
    wa_template: Mapped[str | None] = mapped_column(String(120))  # outside the 24-hour window
    status: Mapped[str] = mapped_column(String(10), default="draft")
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    planned: Mapped[int] = mapped_column(Integer, default=0)  # the segment's size at launch
    cursor: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), default=0)
    written_all: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Delivery(Base):
    """One person's copy of a campaign. Unique per (campaign, contact): never twice."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("campaign_id", "contact_id"),
        Index("ix_deliveries_contact", "contact_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    # queued (in the outbox) | skipped (WhatsApp window closed and no template)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    message_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SourceLink(Base):
    """A code printed on a poster or a QR code: people who come through it are counted."""

    __tablename__ = "source_links"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(120))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class HealthProbe(Base):
    """Scratch rows /healthz writes and deletes, to learn whether a write can succeed."""

    __tablename__ = "health_probes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    data: Mapped[str] = mapped_column(Text)

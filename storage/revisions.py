"""Versions of the package's pages and facts, as staff edit them in the console.

A document is a page (`regions/pavlodar/housing.kk.md`, its path under content/) or a fact
(`fact:pavlodar.heating.coal_price`). Its text is the published revision with the highest id,
or the file shipped with the code when there is none. An edit is a draft on top of the head
(the latest draft, review or published row); it is published only when someone other than its
author approves it (or the author, where the installation allows self-approval, recorded as
such). Two people saving on the same head: the second is told and shown the other's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from content.loader import ROOT
from content.model import LANGS
from content.overlay import fact_text
from storage.cases import Staff
from storage.models import ContentRevision, utcnow

LIVE = ("draft", "review", "published")  # what can be a document's head
EDITORS = ("editor", "supervisor", "admin")
FACT = "fact:"
SOURCE = "source:"  # a new one may be added from the studio
SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,60}$")
FACT_ID = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+){0,4}$")
NEW_PAGE = """---
title: ""
keywords: []
questions: []
sources: []
reviewed: YYYY-MM-DD
related: []
---
"""
NEW_FACT = """value: 0
unit: KZT
period: "YYYY"
source: ""
review_by: "YYYY-MM-DD"
"""
NEW_SOURCE = """publisher: {kk: "", ru: "", en: ""}
title: ""
url: https://
date: "YYYY-MM-DD"
"""


class Conflict(Exception):
    """Someone changed the document since this edit began."""

    def __init__(self, head: ContentRevision | None) -> None:
        super().__init__("the document changed since you opened it")
        # A copy: the row's session is rolled back before anyone reads this.
        self.head = Head(head.id, head.author, head.body, head.state) if head else None


@dataclass(frozen=True)
class Head:
    id: int
    author: str
    body: str
    state: str


class NotAllowed(Exception):
    """The role, the region or the review rule does not allow this."""


@dataclass(frozen=True)
class Doc:
    """Where a document lives and what it is."""

    id: str

    @property
    def is_fact(self) -> bool:
        return self.id.startswith(FACT)

    @property
    def is_source(self) -> bool:
        return self.id.startswith(SOURCE)

    @property
    def is_file(self) -> bool:
        """A whole YAML file of the package: a checklist, the statuses, a questionnaire…"""
        return not (self.is_fact or self.is_source) and self.id.endswith(".yaml")

    @property
    def is_yaml(self) -> bool:
        """Stored as YAML, not as a page's text."""
        return self.is_fact or self.is_source or self.is_file

    @property
    def lang(self) -> str | None:
        if self.is_yaml:
            return None
        stem = Path(self.id).stem
        return stem.rpartition(".")[2] if stem.rpartition(".")[2] in LANGS else None

    @property
    def page(self) -> str:
        """The page in every language: `regions/pavlodar/housing`."""
        return self.id.rsplit(".", 2)[0] if not self.is_fact else self.id

    @property
    def region(self) -> str | None:
        """The region the document belongs to (None: the whole programme)."""
        if self.is_source or self.is_file:
            return None
        if self.is_fact:
            prefix = self.id[len(FACT) :].split(".", 1)[0]
            return None if prefix in ("kz", "iom") else prefix
        parts = self.id.split("/")
        return parts[1] if parts[0] == "regions" and len(parts) > 2 else None

    def sibling(self, lang: str) -> Doc:
        return Doc(f"{self.page}.{lang}.md")

    def valid(self, root: Path = ROOT) -> bool:
        """Only pages and facts the package has (and sources, new ones too): no path outside
        content/ can be named."""
        if self.is_source:
            return bool(SOURCE_ID.match(self.id[len(SOURCE) :]))
        if self.is_file:
            return self.id in editable_files(root)
        if self.is_fact:  # an existing fact, or a new one in an existing file (2027's MCI)
            prefix, _, fid = self.id[len(FACT) :].partition(".")
            return bool(FACT_ID.match(fid)) and (root / "facts" / f"{prefix}.yaml").is_file()
        if path_of_page(self.id) is None or self.lang is None:
            return False
        # An existing page, or a new one for a topic of topics.yaml (added there first).
        if (root / self.id).is_file():
            return True
        folder, topic = self.page.rsplit("/", 1)
        scope = "programme" if folder == "programme" else "region"
        return (root / folder).is_dir() and topic in _topics(root).get(scope, {})


PAGE_ID = re.compile(r"^(programme|regions/[a-z_]+)/[a-z_]+\.(kk|ru|en)\.md$")


def path_of_page(doc_id: str) -> str | None:
    """`programme/<topic>.<lang>.md` or `regions/<region>/<topic>.<lang>.md`, nothing else."""
    return doc_id if PAGE_ID.match(doc_id) else None


def _topics(root: Path) -> dict[str, dict]:
    data = _facts_file(root / "topics.yaml") or {}
    return {scope: v for scope, v in data.items() if isinstance(v, dict)}


FILES = ("statuses.yaml", "topics.yaml", "glossary.yaml", "appointments/services.yaml",
         "checklists/*.yaml", "questionnaire/*.yaml", "places/*.yaml")  # fmt: skip


def editable_files(root: Path = ROOT) -> list[str]:
    """The package's YAML files staff may edit whole, as document ids."""
    return sorted(str(p.relative_to(root)) for pattern in FILES for p in root.glob(pattern))


def _facts_file(path: Path) -> dict | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) else None


def shipped(doc: Doc, root: Path = ROOT) -> str:
    """The document as the code ships it (a new source: a form to fill)."""
    if doc.is_source:
        sid = doc.id[len(SOURCE) :]
        for path in sorted(root.rglob("sources*.yaml")):
            spec = (_facts_file(path) or {}).get(sid)
            if spec is not None:
                return fact_text(spec)
        return NEW_SOURCE
    if doc.is_fact:
        prefix, _, fid = doc.id[len(FACT) :].partition(".")
        spec = (_facts_file(root / "facts" / f"{prefix}.yaml") or {}).get(fid)
        return fact_text(spec) if spec is not None else NEW_FACT
    path = root / doc.id
    return path.read_text(encoding="utf-8") if path.is_file() else NEW_PAGE


def may_edit(staff: Staff, doc: Doc) -> bool:
    """Editors, supervisors and admins; an editor limited to regions edits only theirs."""
    if staff.role not in EDITORS:
        return False
    if staff.all_regions or "*" in staff.regions or not staff.regions:
        return True
    return doc.region is not None and doc.region in staff.regions


async def head(s: AsyncSession, doc: Doc) -> ContentRevision | None:
    query = select(ContentRevision).where(
        ContentRevision.doc == doc.id, ContentRevision.state.in_(LIVE)
    )
    return await s.scalar(query.order_by(ContentRevision.id.desc()).limit(1))


async def published(s: AsyncSession, doc: Doc) -> ContentRevision | None:
    query = select(ContentRevision).where(
        ContentRevision.doc == doc.id, ContentRevision.state == "published"
    )
    return await s.scalar(query.order_by(ContentRevision.id.desc()).limit(1))


async def text_of(s: AsyncSession, doc: Doc, root: Path = ROOT) -> tuple[str, int | None]:
    """What an editor starts from: the head's text (or the shipped one) and the head's id."""
    top = await head(s, doc)
    return (top.body, top.id) if top else (shipped(doc, root), None)


async def save(
    s: AsyncSession, doc: Doc, body: str, staff: Staff, parent_id: int | None, reason: str = ""
) -> ContentRevision:
    """A new draft on the head the editor opened; a head that moved on is a Conflict."""
    if not may_edit(staff, doc):
        raise NotAllowed("you may not edit this document")
    top = await head(s, doc)
    if (top.id if top else None) != parent_id:
        raise Conflict(top)
    if top is not None and top.state in ("draft", "review"):
        top.state = "superseded"  # the newer text replaces it; the row stays in the history
    row = ContentRevision(
        doc=doc.id, body=body, state="draft", parent_id=parent_id, reason=reason[:300],
        author=staff.login,
    )  # fmt: skip
    s.add(row)
    await s.flush()
    return row


async def _row(s: AsyncSession, rev_id: int, state: str) -> ContentRevision:
    row = await s.get(ContentRevision, rev_id)
    if row is None or row.state != state:
        raise Conflict(None)
    return row


async def submit(s: AsyncSession, rev_id: int, staff: Staff) -> ContentRevision:
    row = await _row(s, rev_id, "draft")
    if not may_edit(staff, Doc(row.doc)):
        raise NotAllowed("you may not edit this document")
    row.state = "review"
    return row


async def approve(
    s: AsyncSession, rev_id: int, staff: Staff, self_approval: bool
) -> ContentRevision:
    """Publish a change in review: a second person's approval, or the author's own where the
    installation allows it (recorded)."""
    row = await _row(s, rev_id, "review")
    if not may_edit(staff, Doc(row.doc)):
        raise NotAllowed("you may not review this document")
    if row.author == staff.login and not self_approval:
        raise NotAllowed("a second person must approve your own change")
    row.state, row.reviewer, row.decided_at = "published", staff.login, utcnow()
    row.self_approved = row.author == staff.login
    return row


async def reject(s: AsyncSession, rev_id: int, staff: Staff, why: str) -> ContentRevision:
    row = await _row(s, rev_id, "review")
    if not may_edit(staff, Doc(row.doc)):
        raise NotAllowed("you may not review this document")
    row.state, row.reviewer, row.decided_at = "rejected", staff.login, utcnow()
    row.reason = f"{row.reason} — {why}"[:300] if why else row.reason
    return row


async def rollback(s: AsyncSession, doc: Doc, rev_id: int, staff: Staff) -> ContentRevision:
    """An old version as a new draft: it is published only after review, like any change."""
    if rev_id == 0:  # the text shipped with the code (a negative id names nothing)
        body = shipped(doc)
    else:
        old = await s.get(ContentRevision, rev_id)
        if old is None or old.doc != doc.id:
            raise Conflict(None)
        body = old.body
    top = await head(s, doc)
    return await save(s, doc, body, staff, top.id if top else None, f"rollback to #{rev_id}")


async def history(s: AsyncSession, doc: Doc) -> list[ContentRevision]:
    query = select(ContentRevision).where(ContentRevision.doc == doc.id)
    return list(await s.scalars(query.order_by(ContentRevision.id.desc())))


async def in_review(s: AsyncSession) -> list[ContentRevision]:
    query = select(ContentRevision).where(ContentRevision.state == "review")
    return list(await s.scalars(query.order_by(ContentRevision.id)))


async def version(s: AsyncSession) -> int:
    """The package's version: the newest published revision (0: as shipped)."""
    query = select(func.max(ContentRevision.id)).where(ContentRevision.state == "published")
    return int(await s.scalar(query) or 0)


async def published_docs(s: AsyncSession) -> dict[str, str]:
    """The newest published text of every edited document."""
    newest = (
        select(ContentRevision.doc, func.max(ContentRevision.id).label("id"))
        .where(ContentRevision.state == "published")
        .group_by(ContentRevision.doc)
        .subquery()
    )
    rows = await s.execute(select(ContentRevision.doc, ContentRevision.body).join(
        newest, ContentRevision.id == newest.c.id))  # fmt: skip
    return {key: value for key, value in rows}


async def stale(s: AsyncSession, doc: Doc) -> dict[str, bool]:
    """Per language, whether the page's translation is older than its Kazakh text: Kazakh is
    the source, so a Kazakh change published after a translation's own marks it stale until
    the translation is updated or confirmed unchanged (published again as it is)."""
    if doc.is_fact:
        return {}
    kk = await published(s, doc.sibling("kk"))
    out = {}
    for lang in ("ru", "en"):
        own = await published(s, doc.sibling(lang))
        out[lang] = kk is not None and (own is None or own.id < kk.id)
    return out


async def heads(s: AsyncSession) -> list[ContentRevision]:
    """The head of every edited document (for the tree's states)."""
    newest = (
        select(func.max(ContentRevision.id))
        .where(ContentRevision.state.in_(LIVE))
        .group_by(ContentRevision.doc)
    )
    return list(await s.scalars(select(ContentRevision).where(ContentRevision.id.in_(newest))))


async def confirm(s: AsyncSession, doc: Doc, staff: Staff) -> ContentRevision:
    """A translation that is still right after its Kazakh text changed: published again as
    it is. Nothing a person reads changes, so it needs no review; it is recorded."""
    if not may_edit(staff, doc) or doc.lang in (None, "kk"):
        raise NotAllowed("only a translation can be confirmed")
    top = await head(s, doc)
    if top is not None and top.state != "published":
        raise NotAllowed("a change of this page is waiting: review it instead")
    row = ContentRevision(
        doc=doc.id, body=top.body if top else shipped(doc), state="published",
        parent_id=top.id if top else None, reason="translation confirmed unchanged",
        author=staff.login, reviewer=staff.login, self_approved=True, decided_at=utcnow(),
    )  # fmt: skip
    s.add(row)
    await s.flush()
    return row


async def published_ids(s: AsyncSession) -> dict[str, int]:
    """The newest published revision's id of every edited document (for stale marks)."""
    query = (
        select(ContentRevision.doc, func.max(ContentRevision.id))
        .where(ContentRevision.state == "published")
        .group_by(ContentRevision.doc)
    )
    return {key: value for key, value in await s.execute(query)}

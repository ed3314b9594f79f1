"""`qonys content export` and `qonys content import`: the published package as files, to
review in git, and files back into the studio (as changes for review, or published)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path

import click

from bot.settings import Settings


def register(content: click.Group, settings_of: Callable[[str | None], Settings]) -> None:
    @content.command("export")
    @click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
    @click.option("--db", default=None, help="Database URL (default: DATABASE_URL).")
    def content_export(dest: Path, db: str | None) -> None:
        """Write the published package (the shipped files with every change published in the
        console) to DEST, in the layout of content/."""
        from content.overlay import write_tree

        if dest.exists() and any(dest.iterdir()):
            raise click.BadParameter(f"{dest} is not empty", param_hint="DEST")
        published = asyncio.run(_published(settings_of(db)))
        shutil.rmtree(dest, ignore_errors=True)
        write_tree(published, dest)
        click.echo(f"{dest}: {len(published)} documents changed from the shipped package")

    @content.command("import")
    @click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
    @click.option("--as", "login", required=True, help="The staff login the changes are by.")
    @click.option("--publish", is_flag=True, help="Publish at once (the files were reviewed).")
    @click.option("--db", default=None, help="Database URL (default: DATABASE_URL).")
    def content_import(source: Path, login: str, publish: bool, db: str | None) -> None:
        """Every page and fact of SOURCE that differs from the published package becomes a
        change in review (or, with --publish, a published change) by LOGIN."""
        changed = asyncio.run(_import(settings_of(db), source, login, publish))
        for doc in changed:
            click.echo(doc)
        state = "published" if publish else "sent for review"
        click.echo(f"{len(changed)} documents {state}")


async def _published(settings: Settings) -> dict[str, str]:
    from storage import revisions
    from storage.db import Database

    db = Database(settings.database_url)
    try:
        async with db.sessions() as s:
            return await revisions.published_docs(s)
    finally:
        await db.dispose()


async def _import(settings: Settings, source: Path, login: str, publish: bool) -> list[str]:
    import yaml
    from sqlalchemy import select

    from content.loader import ROOT
    from content.overlay import documents
    from storage import revisions
    from storage.cases import Staff
    from storage.db import Database
    from storage.models import StaffUser

    db, incoming, changed = Database(settings.database_url), documents(source), []
    shipped = documents(ROOT)  # also: the pages and facts there are
    try:
        async with db.transaction() as s:
            user = await s.scalar(select(StaffUser).where(StaffUser.login == login.lower()))
            if user is None:
                raise click.BadParameter(f"no staff account {login!r}", param_hint="--as")
            staff, heads = Staff.of(user), {r.doc: r for r in await revisions.heads(s)}
            for doc_id, body in incoming.items():
                if doc_id not in shipped:
                    continue  # a page or fact the package does not have: not imported
                head = heads.get(doc_id)
                current = head.body if head else shipped[doc_id]
                fact = doc_id.startswith("fact:")
                if (yaml.safe_load(current) == yaml.safe_load(body)) if fact else current == body:
                    continue
                doc, why = revisions.Doc(doc_id), f"imported from {source.name}"
                row = await revisions.save(s, doc, body, staff, head.id if head else None, why)
                await revisions.submit(s, row.id, staff)
                if publish:
                    await revisions.approve(s, row.id, staff, self_approval=True)
                changed.append(doc_id)
    finally:
        await db.dispose()
    return changed

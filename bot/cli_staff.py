"""Staff commands: `qonys statuses import`, `qonys tokens …`, `qonys offices …`, `qonys slots …`.
They run against the configured database (or --db) while the server runs: the server's
senders pick up the notifications they write."""

from __future__ import annotations

import asyncio
import csv
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import yaml
from pydantic import ValidationError
from sqlalchemy import select

from bot.settings import Settings
from storage.db import Database, upgrade


def _run(settings: Settings, job):  # type: ignore[no-untyped-def]
    async def main():  # type: ignore[no-untyped-def]
        await asyncio.to_thread(upgrade, settings.database_url)
        db = Database(settings.database_url)
        try:
            return await job(db)
        finally:
            await db.dispose()

    return asyncio.run(main())


def register(main: click.Group, settings_for) -> None:  # type: ignore[no-untyped-def]
    db_option = click.option("--db", default=None, help="Database URL (default: DATABASE_URL).")

    @main.group()
    def statuses() -> None:
        """Application statuses from the state systems."""

    @statuses.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "--update-identity",
        is_flag=True,
        help="Let the file change the phone, IIN or birth date of known applications.",
    )
    @db_option
    def statuses_import(file: Path, update_identity: bool, db: str | None) -> None:
        """Import FILE.csv (UTF-8, header row). Every row is checked first; one bad row and
        nothing is imported. Importing the same file twice changes nothing. A row whose phone,
        IIN or birth date differs from a known application's is refused unless
        --update-identity says the file is the authority for them."""
        from bot import status_updates
        from storage.applications import COLUMNS

        try:
            with file.open(encoding="utf-8-sig", newline="") as fh:
                reader = csv.DictReader(fh)
                missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
                rows = list(reader)
        except UnicodeDecodeError:
            raise click.ClickException("the file is not UTF-8 text") from None
        if missing:
            raise click.ClickException(f"missing columns: {', '.join(missing)}")
        settings = settings_for(db)
        actor = status_updates.Actor("csv", None, identity=update_identity)
        outcome = _run(settings, lambda d: status_updates.apply(d, settings, rows, actor))
        if not outcome.ok:
            for n, problems in sorted(outcome.errors.items()):
                for problem in problems:
                    click.echo(f"line {n + 1}: {problem}", err=True)
            raise click.ClickException(
                f"{len(outcome.errors)} of {len(rows)} rows have errors; nothing was imported"
            )
        click.echo(
            f"{len(rows)} rows checked; {outcome.changed} applications changed status; "
            f"{outcome.notified} people notified"
        )

    @main.group()
    def tokens() -> None:
        """API tokens of integrations (state information systems)."""

    @tokens.command("add")
    @click.argument("name")
    @click.option("--region", "regions", multiple=True, help="A region it may act on (repeat).")
    @click.option("--all-regions", is_flag=True, help="Every region (a national system).")
    @click.option("--read-only", is_flag=True, help="It may read, never write.")
    @db_option
    def tokens_add(
        name: str, regions: tuple[str, ...], all_regions: bool, read_only: bool, db: str | None
    ) -> None:
        """Create a token for integration NAME, limited to --region R (repeatable) or
        --all-regions; it is shown once."""
        from bot.api import new_token
        from handlers.status import known
        from storage.models import ApiToken

        if bool(regions) == all_regions:
            raise click.UsageError("give --region R (one or more) or --all-regions")
        unknown = sorted(set(regions) - known().regions)
        if unknown:
            raise click.UsageError(f"not a receiving region id: {', '.join(unknown)}")
        token, digest = new_token()
        scope = ["*"] if all_regions else sorted(set(regions))

        async def job(d: Database) -> None:
            async with d.transaction() as s:
                if await s.scalar(select(ApiToken).where(ApiToken.name == name)):
                    raise click.ClickException(f"a token named {name!r} exists; revoke it first")
                s.add(ApiToken(name=name, token_hash=digest, regions=scope, read_only=read_only))

        _run(settings_for(db), job)
        click.echo(token)

    @tokens.command("list")
    @db_option
    def tokens_list(db: str | None) -> None:
        """The integrations' tokens: name, regions, read-only, last used (never the token)."""
        from storage.models import ApiToken

        async def job(d: Database) -> list[ApiToken]:
            async with d.sessions() as s:
                return list(await s.scalars(select(ApiToken).order_by(ApiToken.name)))

        for t in _run(settings_for(db), job):
            used = t.last_used_at.strftime("%Y-%m-%d %H:%M") if t.last_used_at else "never"
            scope = "all regions" if "*" in t.regions else ",".join(t.regions)
            mode = "read-only" if t.read_only else "read-write"
            click.echo(f"{t.name}\t{scope}\t{mode}\tlast used {used}")

    @tokens.command("revoke")
    @click.argument("name")
    @db_option
    def tokens_revoke(name: str, db: str | None) -> None:
        """Revoke the token of integration NAME (the name is then free again)."""
        from sqlalchemy import delete

        from storage.models import ApiToken

        async def job(d: Database) -> int:
            async with d.transaction() as s:
                result = await s.execute(delete(ApiToken).where(ApiToken.name == name))
                return result.rowcount or 0

        if not _run(settings_for(db), job):
            raise click.ClickException(f"no token named {name!r}")
        click.echo(f"revoked {name}")

    @main.group()
    def offices() -> None:
        """Career centres and adaptation centres that take bookings."""

    @offices.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @db_option
    def offices_import(file: Path, db: str | None) -> None:
        """Create or update the offices in FILE.yaml (a list under `offices:`)."""
        from storage.appointments import OfficeIn, save_office

        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        try:
            items = [OfficeIn.model_validate(x) for x in data.get("offices", [])]
        except ValidationError as exc:
            raise click.ClickException(str(exc)) from None

        async def job(d: Database) -> None:
            async with d.transaction() as s:
                for item in items:
                    await save_office(s, item)

        _run(settings_for(db), job)
        click.echo(f"{len(items)} offices saved")

    @main.group()
    def slots() -> None:
        """Visit times staff open at an office."""

    @slots.command("add")
    @click.option("--office", required=True, help="Office id.")
    @click.option("--from", "date_from", required=True, type=click.DateTime(["%Y-%m-%d"]))
    @click.option("--to", "date_to", required=True, type=click.DateTime(["%Y-%m-%d"]))
    @click.option("--times", default="09:00-13:00", show_default=True, help="Local, HH:MM-HH:MM.")
    @click.option("--every", default=30, show_default=True, help="Minutes between visits.")
    @click.option("--service", default="any", show_default=True)
    @db_option
    def slots_add(office, date_from, date_to, times, every, service, db) -> None:  # type: ignore[no-untyped-def]
        """Open visit times on the working days from --from to --to."""
        from bot.api import SlotPlan, plan_times
        from storage.appointments import publish
        from storage.models import Office

        first, _, last = times.partition("-")
        try:
            plan = SlotPlan(
                date_from=date_from.date(),
                date_to=date_to.date(),
                first=time.fromisoformat(first),
                last=time.fromisoformat(last),
                every_minutes=every,
                minutes=every,
                service=service,
            )
        except (ValueError, ValidationError) as exc:
            raise click.ClickException(str(exc)) from None
        settings = settings_for(db)
        starts = plan_times(plan, ZoneInfo(settings.timezone))

        async def job(d: Database) -> int:
            async with d.transaction() as s:
                if await s.get(Office, office) is None:
                    raise click.ClickException(f"no office {office!r}; import offices first")
                return await publish(s, office, starts, every, service)

        click.echo(f"{_run(settings, job)} new visit times opened")

"""The `qonys` command line."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

import click

from bot.settings import LOCALES, Settings, async_database_url, get_settings


def _settings(db: str | None = None) -> Settings:
    settings = get_settings()
    if db:
        settings = settings.model_copy(update={"database_url": async_database_url(db)})
    return settings


@click.group()
def main() -> None:
    """Qonys: an assistant for resettlers and kandases on Telegram, WhatsApp and the web."""


@main.command()
@click.option("--host", default=None, help="Interface to listen on (HOST, default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (PORT, default 8000).")
@click.option("--workers", type=int, default=1, show_default=True, help="Worker processes.")
def run(host: str | None, port: int | None, workers: int) -> None:
    """Start the server: web chat at /, webhooks, and Telegram when a token is set."""
    import uvicorn

    from bot.app import LOG_FORMAT, SCHEMA_READY
    from storage.db import upgrade

    os.umask(0o077)  # before migrations create the database file
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format=LOG_FORMAT)
    if workers > 1 and (settings.is_sqlite or not settings.redis_url):
        raise click.UsageError(
            "--workers above 1 needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL): "
            "SQLite is for one process. See 'Scale out' in the README."
        )
    upgrade(settings.database_url)
    os.environ[SCHEMA_READY] = "1"  # the workers need not each check the schema again
    uvicorn.run(
        "bot.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
    )


@main.command()
@click.option("--user", default="local", show_default=True, help="Who you are to the bot.")
@click.option(
    "--lang", type=click.Choice(LOCALES), default=None, help="Answer the language question."
)
@click.option("--db", default=None, help="Database URL (default: the configured DATABASE_URL).")
def chat(user: str, lang: str | None, db: str | None) -> None:
    """Talk to the bot in this terminal (reads stdin line by line when it is not a terminal)."""
    from bot.channels.terminal import run_chat
    from bot.runtime import Runtime

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(run_chat(Runtime(_settings(db)), user, lang))


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.option("--db", "url", default=None, help="Database URL (default: DATABASE_URL).")
def db_upgrade(url: str | None) -> None:
    """Apply all migrations."""
    from storage.db import upgrade

    upgrade(_settings(url).database_url)
    click.echo("database is up to date")


@main.group()
def content() -> None:
    """The information package in content/."""


@content.command("check")
def content_check() -> None:
    """Validate all content: translations, sources of figures, references, freshness."""
    from content.check import run

    problems = run()
    for problem in problems:
        click.echo(str(problem), err=problem.level == "error")
    errors = sum(p.level == "error" for p in problems)
    warnings = len(problems) - errors
    click.echo(f"{errors} errors, {warnings} warnings")
    sys.exit(1 if errors else 0)


@content.command("report")
def content_report() -> None:
    """Facts per region and topic, their oldest and newest periods, and the questions that
    still have no sourced answer (Markdown)."""
    from content.loader import load
    from content.report import report

    click.echo(report(load()[0]), nl=False)


@content.command("booklets")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--region", "regions", multiple=True, help="Only these regions (repeatable).")
@click.option("--lang", "langs", multiple=True, type=click.Choice(LOCALES),
              default=("kk", "ru"), show_default=True)  # fmt: skip
@click.option("--size", "sizes", multiple=True, type=click.Choice(["A4", "A5"]),
              default=("A4", "A5"), show_default=True)  # fmt: skip
def content_booklets(out: Path, regions: tuple[str, ...], langs: tuple[str, ...],
                     sizes: tuple[str, ...]) -> None:  # fmt: skip
    """Printable booklets (PDF) per region, for a career centre to print: A4, or A5 two to a
    landscape A4 sheet to fold. The QR code leads to the bot set in the configuration."""
    from bot.booklets import bot_link
    from content import booklet
    from content.loader import load

    lib, settings = load()[0], get_settings()
    for region in regions or sorted(lib.regions):
        if region not in lib.regions:
            raise click.BadParameter(f"no region {region!r}", param_hint="--region")
        for lang in langs:
            for size in sizes:
                path = booklet.build(lib, region, lang, size, out, bot_link(settings, region))
                click.echo(str(path))


@main.command()
@click.option("--lang", type=click.Choice(LOCALES), default="kk", show_default=True)
@click.option("-k", "k", type=int, default=3, show_default=True, help="How many results.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per query.")
@click.argument("text", required=False)
def search(lang: str, k: int, as_json: bool, text: str | None) -> None:
    """The ranked answers the bot would use for TEXT (or for each line of stdin)."""
    import json

    from content.package import get_package

    index = get_package().index
    queries = [text] if text else (line.strip() for line in sys.stdin)
    for query in queries:
        if not query:
            continue
        results = index.search(query, lang=lang, k=k)
        if as_json:
            rows = [
                {
                    "id": r.key,
                    "topic": r.topic,
                    "region": r.region,
                    "title": r.title,
                    "score": r.score,
                }
                for r in results
            ]
            click.echo(json.dumps({"query": query, "results": rows}, ensure_ascii=False))
        else:
            click.echo(query)
            for r in results:
                click.echo(f"  {r.score:.3f}  {r.key:32}  {r.title}")


@main.command()
@click.option("--days", type=int, default=30, show_default=True, help="How far back to look.")
@click.option("--db", default=None, help="Database URL (default: DATABASE_URL).")
def unanswered(days: int, db: str | None) -> None:
    """Questions the package did not answer, newest first, for the content team (CSV)."""
    from bot.csvout import SafeWriter
    from storage.reports import unanswered_questions

    rows = asyncio.run(unanswered_questions(_settings(db).database_url, days))
    out = SafeWriter(sys.stdout)
    out.writerow(["asked_at", "lang", "question", "closest_section", "score"])
    for row in rows:
        out.writerow(row)


def _register_staff_commands() -> None:
    from bot.cli_content import register as register_content
    from bot.cli_staff import register
    from bot.cli_users import register as register_users

    register(main, _settings)
    register_users(main, _settings)
    register_content(content, _settings)


_register_staff_commands()

"""`qonys users …`: console accounts from the command line (the first admin comes from here)."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from bot.cli_staff import _run
from storage.cases import ROLES


def register(main: click.Group, settings_for) -> None:  # type: ignore[no-untyped-def]
    db_option = click.option("--db", default=None, help="Database URL (default: DATABASE_URL).")

    @main.group()
    def users() -> None:
        """Console accounts: caseworkers, supervisors, admins."""

    @users.command("add")
    @click.argument("login")
    @click.option("--name", default=None, help="Name shown to people (default: the login).")
    @click.option("--role", type=click.Choice(ROLES), default="caseworker", show_default=True)
    @click.option("--region", "regions", multiple=True, help="A region id; repeat for more.")
    @click.option("--locale", type=click.Choice(["kk", "ru", "en"]), default="kk")
    @click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
    @db_option
    def add(login, name, role, regions, locale, password_stdin, db) -> None:  # type: ignore[no-untyped-def]
        """Create or update an account; sets a new password."""
        from console import auth
        from handlers.handoff import region_names
        from storage.models import StaffUser

        known = region_names("en")
        unknown = [r for r in regions if r not in known]
        if unknown:
            raise click.UsageError(
                f"unknown region ids: {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        if role == "caseworker" and not regions:
            raise click.UsageError("a caseworker needs at least one --region")
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            hashed = auth.hash_password(password)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc

        async def job(database):  # type: ignore[no-untyped-def]
            async with database.transaction() as s:
                user = await s.scalar(select(StaffUser).where(StaffUser.login == login.lower()))
                if user is None:
                    user = StaffUser(login=login.lower())
                    s.add(user)
                user.name, user.role, user.regions = name or login, role, list(regions)
                user.locale, user.password_hash, user.active = locale, hashed, True
                await s.flush()
                await auth.end_all_sessions(s, user.id)

        _run(settings_for(db), job)
        click.echo(f"{login.lower()}: {role}" + (f" of {', '.join(regions)}" if regions else ""))

    @users.command("list")
    @db_option
    def list_(db) -> None:  # type: ignore[no-untyped-def]
        """Every account with its role, regions and whether it is active."""
        from storage.models import StaffUser

        async def job(database):  # type: ignore[no-untyped-def]
            async with database.sessions() as s:
                return list(await s.scalars(select(StaffUser).order_by(StaffUser.login)))

        for u in _run(settings_for(db), job):
            state = "active" if u.active else "off"
            click.echo(
                f"{u.login}\t{u.role}\t{','.join(u.regions or []) or '-'}\t{state}\t{u.name}"
            )

    @users.command("disable")
    @click.argument("login")
    @db_option
    def disable(login, db) -> None:  # type: ignore[no-untyped-def]
        """Switch an account off and end its sessions (accounts are never deleted: the audit
        log and the transcripts name them)."""
        from console import auth
        from storage.models import StaffUser

        async def job(database):  # type: ignore[no-untyped-def]
            async with database.transaction() as s:
                user = await s.scalar(select(StaffUser).where(StaffUser.login == login.lower()))
                if user is None:
                    return False
                user.active = False
                await auth.end_all_sessions(s, user.id)
                return True

        if not _run(settings_for(db), job):
            raise click.ClickException(f"no account {login!r}")
        click.echo(f"{login.lower()}: switched off")

    @users.command("unlock")
    @click.argument("login")
    @db_option
    def unlock(login, db) -> None:  # type: ignore[no-untyped-def]
        """Let LOGIN sign in again at once, from anywhere, after failed attempts locked it
        (the lock is written to the access log)."""
        from console import auth
        from storage.models import AuditEntry

        settings = settings_for(db)

        async def job(database):  # type: ignore[no-untyped-def]
            async with database.transaction() as s:
                n = await auth.unlock(s, settings.resolved_secret_key(), login)
                s.add(AuditEntry(staff_login="cli", action="sign_in_unlocked", detail=login[:64]))
                return n

        n = _run(settings, job)
        click.echo(f"{login.lower()}: unlocked ({n} failed attempts forgotten)")

"""The database handle: engine, sessions, SQLite pragmas and Alembic upgrades."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, ProgrammingError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(url, echo=echo, **_engine_options(url))
        if self.engine.dialect.name == "sqlite":
            _configure_sqlite(self.engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer. Left to its busy handler, a blocked writer sleeps in growing
        # steps (up to 100 ms each) while others keep taking the lock, so a reply could wait
        # half a second behind a campaign's bookkeeping. Writers of this process queue here
        # instead, in order, and each gets the lock the moment the previous one commits.
        self._writer = asyncio.Lock() if self.is_sqlite else None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits on success, rolls back on any error."""
        if self._writer is None:
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with self._writer, self.sessions() as session, session.begin():
            yield session

    async def after_erasure(self) -> None:
        """Erased rows are overwritten in the database file (secure_delete) but their old
        pages stay in the write-ahead log until a checkpoint copies it back and truncates it.
        On PostgreSQL, VACUUM reclaims the dead rows (see the README)."""
        if not self.is_sqlite:
            return
        assert self._writer is not None
        async with self._writer, self.engine.connect() as conn:
            # Outside any transaction (ours begin IMMEDIATE), on the driver's connection.
            raw = await conn.get_raw_connection()
            await raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def dispose(self) -> None:
        await self.engine.dispose()


def _engine_options(url: str) -> dict:
    if make_url(url).get_backend_name() == "sqlite":
        return {"connect_args": {"timeout": 30}}
    return {"pool_size": 10, "max_overflow": 10, "pool_pre_ping": True}


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL for concurrent readers; BEGIN IMMEDIATE so writers queue instead of failing."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        # Deleted content is overwritten with zeros, so an erased person's words do not
        # linger in free pages of the file.
        cur.execute("PRAGMA secure_delete=ON")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def ensure_sqlite_dir(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations (synchronous: Alembic's env runs its own event loop)."""
    ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), revision)


def unavailable(exc: BaseException) -> bool:
    """The database or Redis is away (restarting, unreachable), as opposed to a bug: the
    same work will succeed later, so it is refused for now rather than answered wrongly."""
    from redis.exceptions import RedisError

    if isinstance(exc, (OSError, RedisError, TimeoutError)):
        return True
    return isinstance(exc, DBAPIError) and not isinstance(
        exc, (IntegrityError, DataError, ProgrammingError)
    )

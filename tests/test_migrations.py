"""Migrations build the schema from an empty database on SQLite and PostgreSQL, and the
models and migrations agree (a model change without a migration fails here)."""

from __future__ import annotations

import asyncio

from alembic import command
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from storage.db import alembic_config, upgrade


async def tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    return names


async def test_upgrade_from_empty_then_check(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url)
    assert {"contacts", "messages", "processed_updates", "alembic_version"} <= await tables(
        database_url
    )
    await asyncio.to_thread(command.check, alembic_config(database_url))
    await asyncio.to_thread(upgrade, database_url)  # a second run is a no-op


async def test_downgrade_to_base_and_up_again(database_url: str) -> None:
    cfg = alembic_config(database_url)
    await asyncio.to_thread(upgrade, database_url)
    await asyncio.to_thread(command.downgrade, cfg, "base")
    assert await tables(database_url) <= {"alembic_version"}
    await asyncio.to_thread(upgrade, database_url)
    assert "messages" in await tables(database_url)

"""Periodic clean-up in the embedded mode: forget platform update ids once no platform can
re-deliver them (Telegram gives up within a day; the default keeps a week), and erase people
who have been silent longer than the retention period (RETENTION_MONTHS, default 24)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import delete

from storage import privacy
from storage.db import Database
from storage.models import ProcessedUpdate, utcnow

log = logging.getLogger(__name__)


async def forget_old_update_ids(db: Database, keep_days: int) -> int:
    cutoff = utcnow() - timedelta(days=keep_days)
    async with db.transaction() as s:
        result = await s.execute(delete(ProcessedUpdate).where(ProcessedUpdate.created_at < cutoff))
    return result.rowcount or 0


async def erase_inactive(db: Database, retention_months: int) -> int:
    async with db.transaction() as s:
        return await privacy.purge_inactive(s, retention_months)


async def run_forever(
    db: Database, keep_days: int, retention_months: int, every_seconds: float = 3600
) -> None:
    while True:
        try:
            if n := await forget_old_update_ids(db, keep_days):
                log.info("forgot %s old update ids", n)
            if n := await erase_inactive(db, retention_months):
                log.info("erased %s people silent for %s months", n, retention_months)
        except Exception:  # the next round will try again
            log.exception("housekeeping failed")
        await asyncio.sleep(every_seconds)

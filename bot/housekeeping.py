"""Periodic clean-up in the embedded mode: forget platform update ids once no platform can
re-deliver them (Telegram gives up within a day; the default keeps a week)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import delete

from storage.db import Database
from storage.models import ProcessedUpdate, utcnow

log = logging.getLogger(__name__)


async def forget_old_update_ids(db: Database, keep_days: int) -> int:
    cutoff = utcnow() - timedelta(days=keep_days)
    async with db.transaction() as s:
        result = await s.execute(delete(ProcessedUpdate).where(ProcessedUpdate.created_at < cutoff))
    return result.rowcount or 0


async def run_forever(db: Database, keep_days: int, every_seconds: float = 3600) -> None:
    while True:
        try:
            if n := await forget_old_update_ids(db, keep_days):
                log.info("forgot %s old update ids", n)
        except Exception:  # the next round will try again
            log.exception("housekeeping failed")
        await asyncio.sleep(every_seconds)

"""Periodic clean-up: forget platform update ids once no platform can re-deliver them
(Telegram gives up within a day; the default keeps a week), erase people who have been silent
longer than the retention period (RETENTION_MONTHS, default 24), and web-chat visitors who
never wrote anything once they have been gone WEBCHAT_IDLE_VISITOR_DAYS (default 7)."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete

from storage import privacy
from storage.db import Database
from storage.models import LookupAttempt, ProcessedUpdate, StaffSession, utcnow

log = logging.getLogger(__name__)


async def forget_old_update_ids(db: Database, keep_days: int) -> int:
    cutoff = utcnow() - timedelta(days=keep_days)
    async with db.transaction() as s:
        result = await s.execute(delete(ProcessedUpdate).where(ProcessedUpdate.created_at < cutoff))
    return result.rowcount or 0


async def erase_inactive(db: Database, retention_months: int, idle_visitor_days: int) -> int:
    async with db.transaction() as s:
        erased = await privacy.purge_inactive(s, retention_months)
        erased += await privacy.purge_idle_visitors(s, idle_visitor_days)
    if erased:
        await db.after_erasure()
    return erased


async def forget_old_attempts_and_files(db: Database, data_dir: Path) -> int:
    """Failed lookups older than a day lock nothing any more; checklist PDFs live a week."""
    async with db.transaction() as s:
        await s.execute(
            delete(LookupAttempt).where(LookupAttempt.created_at < utcnow() - timedelta(days=1))
        )
        # Expired console sign-ins are refused when used; this only clears their rows.
        await s.execute(
            delete(StaffSession).where(StaffSession.created_at < utcnow() - timedelta(days=14))
        )
    cutoff, removed = time.time() - 7 * 86400, 0
    for path in (data_dir / "private").glob("*/*.*"):  # checklist PDFs, /mydata records
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


async def run_forever(
    db: Database,
    keep_days: int,
    retention_months: int,
    data_dir: Path,
    idle_visitor_days: int = 7,
    every_seconds: float = 3600,
) -> None:
    while True:
        try:
            if n := await forget_old_update_ids(db, keep_days):
                log.info("forgot %s old update ids", n)
            if n := await erase_inactive(db, retention_months, idle_visitor_days):
                log.info("erased %s people silent for %s months or idle visitors", n,
                         retention_months)  # fmt: skip
            await forget_old_attempts_and_files(db, data_dir)
        except Exception:  # the next round will try again
            log.exception("housekeeping failed")
        await asyncio.sleep(every_seconds)

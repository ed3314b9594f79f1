"""Periodic clean-up in the embedded mode: forget platform update ids once no platform can
re-deliver them (Telegram gives up within a day; the default keeps a week), and erase people
who have been silent longer than the retention period (RETENTION_MONTHS, default 24)."""

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


async def erase_inactive(db: Database, retention_months: int) -> int:
    async with db.transaction() as s:
        return await privacy.purge_inactive(s, retention_months)


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
    for path in (data_dir / "private" / "checklists").glob("*.pdf"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


async def run_forever(
    db: Database,
    keep_days: int,
    retention_months: int,
    data_dir: Path,
    every_seconds: float = 3600,
) -> None:
    while True:
        try:
            if n := await forget_old_update_ids(db, keep_days):
                log.info("forgot %s old update ids", n)
            if n := await erase_inactive(db, retention_months):
                log.info("erased %s people silent for %s months", n, retention_months)
            await forget_old_attempts_and_files(db, data_dir)
        except Exception:  # the next round will try again
            log.exception("housekeeping failed")
        await asyncio.sleep(every_seconds)

"""Staff sign-in: argon2 password hashes, server-side sessions, CSRF tokens, throttling.

The session cookie holds a random token; the database keeps only its SHA-256, so a copy of
the database does not sign anyone in. A new session is made at every sign-in (no fixation),
and it ends after `CONSOLE_IDLE_MINUTES` unused or `CONSOLE_SESSION_HOURS` in all.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from storage.models import LookupAttempt, StaffSession, StaffUser, utcnow

COOKIE = "qonys_console"
hasher = PasswordHasher()
# Verifying against this when the login is unknown takes as long as a real check.
_DUMMY = hasher.hash(secrets.token_urlsafe(16))
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must have at least {MIN_PASSWORD} characters")
    return hasher.hash(password)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def check_password(s: AsyncSession, login: str, password: str) -> StaffUser | None:
    user = await s.scalar(select(StaffUser).where(StaffUser.login == login.strip().lower()))
    try:
        hasher.verify(user.password_hash if user else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


async def start_session(s: AsyncSession, user: StaffUser) -> str:
    token = secrets.token_urlsafe(32)
    s.add(StaffSession(token_hash=_digest(token), user_id=user.id, csrf=secrets.token_urlsafe(32)))
    await s.flush()
    return token


async def load_session(
    s: AsyncSession, token: str, settings: Settings
) -> tuple[StaffUser, StaffSession] | None:
    if not token or len(token) > 100:
        return None
    session = await s.get(StaffSession, _digest(token))
    if session is None:
        return None
    now = utcnow()
    expired = now - session.created_at > timedelta(
        hours=settings.console_session_hours
    ) or now - session.seen_at > timedelta(minutes=settings.console_idle_minutes)
    user = await s.get(StaffUser, session.user_id)
    if expired or user is None or not user.active:
        await s.delete(session)
        return None
    if now - session.seen_at > timedelta(seconds=30):  # not a write on every request
        session.seen_at = now
    return user, session


async def end_session(s: AsyncSession, token: str) -> None:
    await s.execute(delete(StaffSession).where(StaffSession.token_hash == _digest(token)))


async def end_all_sessions(s: AsyncSession, user_id: int) -> None:
    """After a password change or deactivation: every browser of this person signs in again."""
    await s.execute(delete(StaffSession).where(StaffSession.user_id == user_id))


def csrf_ok(session: StaffSession, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf.encode(), (sent or "").encode())


# ---- throttling: failed sign-ins per login and per address ----------------------------


def throttle_keys(secret: str, login: str, address: str) -> list[tuple[str, str]]:
    def key(value: str) -> str:
        return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()

    return [("login", key(login.strip().lower())), ("login_ip", key(address))]


async def locked_for(
    s: AsyncSession, keys: list[tuple[str, str]], settings: Settings
) -> timedelta | None:
    """How long until another try is allowed, or None when it is allowed now."""
    window = timedelta(minutes=settings.console_login_window_minutes)
    since = utcnow() - window
    longest = None
    for scope, key in keys:
        count, oldest = (
            await s.execute(
                select(func.count(), func.min(LookupAttempt.created_at)).where(
                    LookupAttempt.scope == scope,
                    LookupAttempt.key == key,
                    LookupAttempt.created_at >= since,
                )
            )
        ).one()
        if count >= settings.console_login_attempts and oldest is not None:
            wait = oldest + window - utcnow()
            longest = max(longest or wait, wait)
    return longest


def record_failure(s: AsyncSession, keys: list[tuple[str, str]]) -> None:
    s.add_all(LookupAttempt(scope=scope, key=key) for scope, key in keys)

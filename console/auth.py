"""Staff sign-in: argon2 password hashes, server-side sessions, CSRF tokens, throttling.

The session cookie holds a random token; the database keeps only its SHA-256, so a copy of
the database does not sign anyone in. A new session is made at every sign-in (no fixation),
and it ends after `CONSOLE_IDLE_MINUTES` unused or `CONSOLE_SESSION_HOURS` in all.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from storage.db import Database
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


def _verify(stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


async def check_password(db: Database, login: str, password: str) -> int | None:
    """The account's id when the password is right. argon2 takes ~0.1 s of CPU on purpose:
    it runs in a thread and outside any transaction, so a sign-in holds up neither the event
    loop nor the database's writers."""
    async with db.sessions() as s:
        user = await s.scalar(select(StaffUser).where(StaffUser.login == login.strip().lower()))
    stored = user.password_hash if user else _DUMMY
    if not await asyncio.to_thread(_verify, stored, password) or user is None or not user.active:
        return None
    return user.id


async def rehash_if_needed(s: AsyncSession, user: StaffUser, password: str) -> None:
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(hasher.hash, password)


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


# ---- throttling ----------------------------------------------------------------------
#
# Every attempt is counted before its password is checked, in a transaction of its own, and
# may go on only while its key has at most the allowed number of attempts in the window:
# the k-th attempt to commit sees at least k rows, so concurrent guesses cannot slip past
# the count on either database. A successful sign-in takes its own rows back.
#
# Keys: the login from this address (the limit), the address over all logins (four times
# it, for spraying), and the login from anywhere (ten times it, for guessing spread over
# many addresses). A browser that signed in as this login before carries a device cookie and
# is exempt from the last, so nobody can lock a colleague (or the admin) out of their own
# browser; `qonys users unlock LOGIN` is the way back for a new browser.

DEVICE_COOKIE = "qonys_device"


@dataclass(frozen=True)
class Key:
    scope: str
    key: str
    limit: int


def _mac(secret: str, value: str) -> str:
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()


def device_cookie(secret: str, login: str) -> str:
    token = secrets.token_urlsafe(16)
    return f"{token}.{_mac(secret, f'device:{login.strip().lower()}:{token}')[:32]}"


def known_device(secret: str, login: str, cookie: str | None) -> bool:
    token, _, mac = (cookie or "").partition(".")
    expected = _mac(secret, f"device:{login.strip().lower()}:{token}")[:32]
    return bool(token) and hmac.compare_digest(mac.encode(), expected.encode())


def throttle_keys(
    secret: str, login: str, address: str, settings: Settings, device: bool = False
) -> list[Key]:
    login, n = login.strip().lower(), settings.console_login_attempts
    # Keys of a login start with the login's own hash, so `unlock` finds them all.
    prefix = login_key(secret, login)[:32]
    keys = [
        Key("login_ip", prefix + _mac(secret, f"{login}|{address}")[:32], n),
        Key("ip", _mac(secret, address), 4 * n),
    ]
    if not device:
        keys.append(Key("login", login_key(secret, login), 10 * n))
    return keys


def login_key(secret: str, login: str) -> str:
    return _mac(secret, login.strip().lower())


async def unlock(s: AsyncSession, secret: str, login: str) -> int:
    """Forget every counted attempt of this login (from any address): the way back for
    someone locked out in a new browser."""
    prefix = login_key(secret, login)[:32]
    result = await s.execute(
        delete(LookupAttempt).where(
            LookupAttempt.scope.in_(("login", "login_ip")), LookupAttempt.key.startswith(prefix)
        )
    )
    return result.rowcount or 0


def count_attempt(s: AsyncSession, keys: list[Key]) -> list[LookupAttempt]:
    rows = [LookupAttempt(scope=k.scope, key=k.key) for k in keys]
    s.add_all(rows)
    return rows


async def over_limit(
    s: AsyncSession, keys: list[Key], settings: Settings
) -> tuple[list[Key], timedelta | None]:
    """The keys past their limit (this attempt included), and how long until the oldest
    counted attempt ages out."""
    since = utcnow() - timedelta(minutes=settings.console_login_window_minutes)
    over, longest = [], None
    for k in keys:
        count, oldest = (
            await s.execute(
                select(func.count(), func.min(LookupAttempt.created_at)).where(
                    LookupAttempt.scope == k.scope,
                    LookupAttempt.key == k.key,
                    LookupAttempt.created_at >= since,
                )
            )
        ).one()
        if count > k.limit and oldest is not None:
            over.append(k)
            wait = oldest + timedelta(minutes=settings.console_login_window_minutes) - utcnow()
            longest = max(longest or wait, wait)
    return over, longest


async def reached_limit(s: AsyncSession, keys: list[Key], settings: Settings) -> list[Key]:
    """The keys this (failed) attempt brought exactly to their limit: a lock begins."""
    since = utcnow() - timedelta(minutes=settings.console_login_window_minutes)
    reached = []
    for k in keys:
        count = await s.scalar(
            select(func.count()).where(
                LookupAttempt.scope == k.scope,
                LookupAttempt.key == k.key,
                LookupAttempt.created_at >= since,
            )
        )
        if count == k.limit:
            reached.append(k)
    return reached


async def forget_attempts(s: AsyncSession, rows: list[LookupAttempt]) -> None:
    ids = [r.id for r in rows if r.id is not None]
    if ids:
        await s.execute(delete(LookupAttempt).where(LookupAttempt.id.in_(ids)))

"""Settings from the environment or `.env`; every field is documented in the README."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ("kk", "ru", "en")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = f"sqlite+aiosqlite:///{ROOT / 'data' / 'qonys.db'}"
    redis_url: str | None = None
    secret_key: str = ""
    public_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    default_locale: str = "kk"
    data_dir: Path = ROOT / "data"
    locales_dir: Path = ROOT / "locales"

    telegram_bot_token: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_api_base: str | None = None
    telegram_rate_global: float = Field(30.0, gt=0)
    telegram_rate_per_chat: float = Field(1.0, gt=0)
    telegram_burst_per_chat: int = Field(3, ge=1)

    whatsapp_phone_number_id: str | None = None
    whatsapp_access_token: str | None = None
    whatsapp_app_secret: str | None = None
    whatsapp_verify_token: str | None = None
    whatsapp_api_base: str | None = None
    whatsapp_rate: float = Field(80.0, gt=0)
    whatsapp_rate_per_recipient: float = Field(1.0, gt=0)
    whatsapp_burst_per_recipient: int = Field(3, ge=1)

    send_timeout: float = Field(10.0, gt=0)
    outbox_max_attempts: int = Field(20, ge=1)  # with back-off: about two hours of outage
    outbox_lease_seconds: int = Field(60, ge=5)
    outbox_retry_cap_seconds: float = Field(300.0, gt=0)  # longest wait between two retries
    max_message_chars: int = Field(2000, ge=100)
    keep_update_ids_days: int = Field(7, ge=1)
    retention_months: int = Field(24, ge=1)
    timezone: str = "Asia/Almaty"  # the whole country is on UTC+5 since March 2024
    checklist_reminder_days: int = Field(7, ge=1)
    lookup_attempts: int = Field(5, ge=1)
    lookup_window_minutes: int = Field(60, ge=1)
    quiet_hours: str = "21:00-09:00"  # local time; reminders wait until it ends
    scheduler_interval_seconds: float = Field(60.0, gt=0)

    console_hours: str = "09:00-18:00"  # caseworkers' hours on working days, local time
    # A one-person office may let an editor publish their own change (recorded as such).
    content_self_approval: bool = False
    console_session_hours: float = Field(12.0, gt=0)  # a sign-in lasts at most this long
    console_idle_minutes: float = Field(60.0, gt=0)  # and ends after this long unused
    console_login_attempts: int = Field(5, ge=1)  # failed sign-ins per login or address…
    console_login_window_minutes: int = Field(15, ge=1)  # …within this window, then a wait
    console_alert_minutes: int = Field(0, ge=0)  # 0: off; else alert when a case waits longer
    console_alert_chat_id: str | None = None  # the Telegram staff chat that gets the alert
    media_max_mb: int = Field(20, ge=1)  # largest file a caseworker can open from a chat

    # The public web chat's limits (per minute, or streams open at once); see bot/throttle.py.
    webchat_new_visitors_per_minute: int = Field(60, ge=1)  # per address
    webchat_messages_per_minute: int = Field(20, ge=1)  # per visitor
    webchat_address_messages_per_minute: int = Field(600, ge=1)  # per address
    webchat_streams_per_visitor: int = Field(5, ge=1)
    webchat_streams_per_address: int = Field(100, ge=1)
    webchat_idle_visitor_days: int = Field(7, ge=1)  # visitors who only pressed buttons

    campaign_tick_seconds: float = Field(2.0, gt=0)  # how often campaigns are moved along
    campaign_ahead: int = Field(1000, ge=10)  # campaign rows queued ahead of the senders
    telegram_bot_username: str | None = None  # for t.me links; asked from Telegram if unset
    whatsapp_phone_number: str | None = None  # the business number, digits, for wa.me links

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        return async_database_url(url)

    @field_validator("console_hours", "quiet_hours")
    @classmethod
    def _hours_span(cls, value: str) -> str:
        from datetime import time

        start, sep, end = value.partition("-")
        try:
            time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
        except ValueError:
            sep = ""
        if not sep:
            raise ValueError("expected HH:MM-HH:MM")
        return value

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in LOCALES:
            raise ValueError(f"default_locale must be one of {LOCALES}")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def telegram_mode(self) -> str | None:
        """`webhook` when a public URL is known, `polling` otherwise, None without a token."""
        if not self.telegram_bot_token:
            return None
        return "webhook" if self.public_url else "polling"

    @property
    def whatsapp_enabled(self) -> bool:
        return bool(self.whatsapp_phone_number_id and self.whatsapp_access_token)

    def resolved_secret_key(self) -> str:
        """SECRET_KEY, or a random key kept in the data folder so sessions survive restarts."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            try:  # created owner-only from the first byte, never readable by others
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another worker wrote it a moment ago
            else:
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_urlsafe(48))
        return path.read_text().strip()

    def resolved_webhook_secret(self) -> str:
        """Telegram allows 1-256 chars of [A-Za-z0-9_-]; derive one from SECRET_KEY if unset."""
        if self.telegram_webhook_secret:
            return self.telegram_webhook_secret
        import hashlib

        return hashlib.sha256(("tg-webhook:" + self.resolved_secret_key()).encode()).hexdigest()


def async_database_url(url: str) -> str:
    """Accept plain `sqlite:///x` or `postgresql://…` and pick the async driver."""
    if url.startswith("sqlite:"):
        return "sqlite+aiosqlite:" + url.removeprefix("sqlite:")
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    return url


@lru_cache
def get_settings() -> Settings:
    return Settings()

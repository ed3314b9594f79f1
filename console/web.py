"""What every console page shares: the signed-in staff member, the CSRF check, the audit log,
and rendering with Jinja2 (autoescaping on) in the staff member's language."""

from __future__ import annotations

import hmac
import html
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.runtime import Runtime
from bot.textsplit import clean_text
from console import auth
from storage.cases import Staff
from storage.models import AuditEntry, utcnow

HERE = Path(__file__).resolve().parent
env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape())
# The bot's own messages carry <b> for messengers; the console shows them as plain text.
env.filters["plain"] = lambda text: html.unescape(re.sub(r"</?[a-z]+[^>]*>", "", text or ""))
# A page preview as Telegram shows it: content.render.format_text escapes the text and adds
# only these tags; anything else that looks like a tag is shown as text.
PREVIEW_TAGS = re.compile(r"&lt;(/?(?:b|i|u|s|code|pre|blockquote))&gt;")
env.filters["safe_preview"] = lambda text: Markup(
    PREVIEW_TAGS.sub(r"<\1>", str(escape(html.unescape(text or ""))))
)
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; "
        "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class LoginRequired(Exception):
    """No valid session: pages redirect to the sign-in form, everything else gets 401."""


@dataclass(frozen=True, slots=True)
class Signed:
    staff: Staff
    csrf: str
    session: str = ""  # the session row's key, for notices to the next page


def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


async def signed_in(request: Request) -> Signed:
    runtime = runtime_of(request)
    token = request.cookies.get(auth.COOKIE, "")
    async with runtime.db.transaction() as s:
        found = await auth.load_session(s, token, runtime.settings)
        if found is None:
            raise LoginRequired
        user, session = found
        return Signed(Staff.of(user), session.csrf, session.token_hash)


async def flash(request: Request, signed: Signed, text: str) -> None:
    """A notice for the next page this browser opens: kept server-side, so no URL can make
    the console show words someone else chose."""
    from storage.models import StaffSession

    async with runtime_of(request).db.transaction() as s:
        session = await s.get(StaffSession, signed.session)
        if session is not None:
            session.flash = text[:500]


async def take_flash(request: Request, signed: Signed) -> str:
    from storage.models import StaffSession

    async with runtime_of(request).db.transaction() as s:
        session = await s.get(StaffSession, signed.session)
        if session is None or not session.flash:
            return ""
        text, session.flash = session.flash, None
    return text


def role(*roles: str):  # type: ignore[no-untyped-def]
    async def check(signed: Annotated[Signed, Depends(signed_in)]) -> Signed:
        if signed.staff.role not in roles:
            raise HTTPException(403, "not allowed for your role")
        return signed

    return check


async def form(request: Request, signed: Annotated[Signed, Depends(signed_in)]) -> dict[str, Any]:
    """The posted form, after its CSRF token (field or X-CSRF-Token header) is checked; texts
    without control characters (PostgreSQL refuses NUL even in a lookup)."""
    data = await request.form()
    sent = data.get("csrf") or request.headers.get("x-csrf-token")
    if not isinstance(sent, str) or not _same(signed.csrf, sent):
        raise HTTPException(403, "the form is outdated or forged: reload the page")
    return {k: clean_text(v) if isinstance(v, str) else v for k, v in data.items()}


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


SignedIn = Annotated[Signed, Depends(signed_in)]
Supervisor = Annotated[Signed, Depends(role("supervisor", "admin"))]
Admin = Annotated[Signed, Depends(role("admin"))]
Form = Annotated[dict[str, Any], Depends(form)]


def audit(
    s: AsyncSession,
    staff: Staff,
    action: str,
    *,
    contact_id: int | None = None,
    case_id: int | None = None,
    detail: str | None = None,
) -> None:
    s.add(
        AuditEntry(
            staff_login=staff.login,
            action=action,
            contact_id=contact_id,
            case_id=case_id,
            detail=(detail or None) and detail[:300],
        )
    )


def render(request: Request, name: str, signed: Signed | None, **context: Any) -> HTMLResponse:
    runtime = runtime_of(request)
    locale = signed.staff.locale if signed else runtime.settings.default_locale
    t = Translator(locale)
    zone = ZoneInfo(runtime.settings.timezone)

    def local(value: datetime | None, pattern: str = "%d.%m.%Y %H:%M") -> str:
        return value.astimezone(zone).strftime(pattern) if value else ""

    html = env.get_template(name).render(
        _=t.gettext,
        ngettext=t.ngettext,
        locale=locale,
        staff=signed.staff if signed else None,
        csrf=signed.csrf if signed else "",
        local=local,
        ago=lambda value: ago(t, value),
        path=request.url.path,
        **context,
    )
    return HTMLResponse(html, headers=HEADERS)


def ago(t: Translator, value: datetime | None) -> str:
    if value is None:
        return ""
    minutes = int((utcnow() - value).total_seconds() // 60)
    if minutes < 60:
        return t.ngettext("{count} min", "{count} min", minutes, count=minutes)
    hours = minutes // 60
    if hours < 48:
        return t.ngettext(
            "{count} h {m} min", "{count} h {m} min", hours, count=hours, m=minutes % 60
        )
    return t.ngettext("{count} day", "{count} days", hours // 24, count=hours // 24)


def back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=HEADERS)

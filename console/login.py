"""Signing in and out, and the console's language."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.i18n import N_, Translator
from bot.settings import LOCALES
from console import auth
from console.web import HEADERS, Form, SignedIn, audit, back, render, runtime_of
from storage.cases import Staff
from storage.models import StaffUser

router = APIRouter()
LOGIN_CSRF = "qonys_console_login"
WRONG = N_("Wrong login or password.")
WAIT = N_("Too many failed attempts. Try again in {minutes} min.")


def _secure(request: Request) -> bool:
    return (runtime_of(request).settings.public_url or "").startswith("https://")


def _safe_next(value: str | None) -> str:
    """Only a path of this console, never another site."""
    if value and value.startswith("/console") and "//" not in value and "\\" not in value:
        return value
    return "/console"


@router.get("/console/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str | None = None) -> Response:
    return _login_page(request, _safe_next(next))


def _login_page(request: Request, next: str, error: str = "", status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)  # double-submit: a login form cannot be posted from away
    response = render(request, "login.html", None, token=token, next=next, error=error)
    response.status_code = status
    response.set_cookie(
        LOGIN_CSRF, token, httponly=True, samesite="strict", secure=_secure(request), max_age=3600
    )
    return response


@router.post("/console/login")
async def login(request: Request) -> Response:
    data = await request.form()
    sent, cookie = str(data.get("csrf") or ""), request.cookies.get(LOGIN_CSRF, "")
    if not sent or not hmac.compare_digest(sent.encode(), cookie.encode()):
        return HTMLResponse("the form is outdated: reload the page", 403, headers=HEADERS)
    runtime = runtime_of(request)
    settings, secret = runtime.settings, runtime.settings.resolved_secret_key()
    login, password = str(data.get("login") or "")[:64], str(data.get("password") or "")[:200]
    address = request.client.host if request.client else "-"
    nxt = _safe_next(str(data.get("next") or ""))
    t = Translator(settings.default_locale)
    device = auth.known_device(secret, login, request.cookies.get(auth.DEVICE_COOKIE))
    keys = auth.throttle_keys(secret, login, address, settings, device)
    async with runtime.db.transaction() as s:  # counted before anything is checked
        attempt = auth.count_attempt(s, keys)
    async with runtime.db.sessions() as s:
        over, wait = await auth.over_limit(s, keys, settings)
    user_id = None if over else await auth.check_password(runtime.db, login, password)
    async with runtime.db.transaction() as s:
        user = await s.get(StaffUser, user_id) if user_id is not None else None
        if over or user is not None:  # a refused try does not prolong the wait
            await auth.forget_attempts(s, attempt)
        if user is not None:
            await auth.rehash_if_needed(s, user, password)
            token = await auth.start_session(s, user)
            audit(s, Staff.of(user), "sign_in")
        elif not over:
            for k in await auth.reached_limit(s, keys, settings):
                # Every lock is in the access log: whose login, which limit, from where.
                audit(s, _nobody(login), "sign_in_locked", detail=f"{k.scope} {address}")
    if over:
        minutes = max(1, int((wait or timedelta()).total_seconds() // 60) + 1)
        return _login_page(request, nxt, t.gettext(WAIT, minutes=minutes), 429)
    if user is None:
        return _login_page(request, nxt, t.gettext(WRONG), 401)
    response = RedirectResponse(nxt, 303, headers=HEADERS)
    response.set_cookie(
        auth.COOKIE, token, httponly=True, samesite="lax", secure=_secure(request), path="/console"
    )
    response.delete_cookie(LOGIN_CSRF)
    # This browser is now known for this login: others' failed guesses cannot lock it out.
    response.set_cookie(
        auth.DEVICE_COOKIE,
        auth.device_cookie(secret, login),
        max_age=180 * 24 * 3600,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/console/login",
    )
    return response


def _nobody(login: str) -> Staff:
    """The access log's author for an event of a login that may not even exist."""
    return Staff(0, login.strip().lower()[:64] or "-", "", "", (), "en")


@router.post("/console/logout")
async def logout(request: Request, signed: SignedIn, _: Form) -> Response:
    async with runtime_of(request).db.transaction() as s:
        await auth.end_session(s, request.cookies.get(auth.COOKIE, ""))
    response = back("/console/login")
    response.delete_cookie(auth.COOKIE, path="/console")
    return response


@router.post("/console/locale")
async def set_locale(request: Request, signed: SignedIn, data: Form) -> Response:

    locale = str(data.get("locale") or "")
    if locale in LOCALES:
        async with runtime_of(request).db.transaction() as s:
            user = await s.get(StaffUser, signed.staff.id)
            if user:
                user.locale = locale
    return back(_safe_next(str(data.get("next") or "")))

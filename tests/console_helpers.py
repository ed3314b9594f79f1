"""Staff accounts and a signed-in console client for the handoff and console tests."""

from __future__ import annotations

import re

import httpx

from bot.runtime import Runtime
from console import auth
from storage.models import StaffUser

PASSWORD = "correct horse battery"


async def add_staff(
    runtime: Runtime, login: str, role: str = "caseworker", regions: tuple[str, ...] = ()
) -> int:
    async with runtime.db.transaction() as s:
        user = StaffUser(
            login=login,
            name=login.title(),
            role=role,
            regions=list(regions),
            locale="ru",
            password_hash=auth.hash_password(PASSWORD),
        )
        s.add(user)
        await s.flush()
        return user.id


def csrf_of(html: str) -> str:
    found = re.search(r'data-csrf="([^"]+)"', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


class Console:
    """A browser-like client: signs in through the form and posts forms with their token."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)
        self.csrf = ""

    async def login(self, login: str, password: str = PASSWORD) -> httpx.Response:
        form = await self.http.get("/console/login")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token
        r = await self.http.post(
            "/console/login",
            data={"login": login, "password": password, "csrf": token.group(1)},
        )
        if r.status_code == 303:
            self.csrf = csrf_of((await self.http.get("/console", follow_redirects=True)).text)
        return r

    async def get(self, path: str, **kw) -> httpx.Response:  # type: ignore[no-untyped-def]
        return await self.http.get(path, **kw)

    async def post(self, path: str, data: dict | None = None, **kw) -> httpx.Response:  # type: ignore[no-untyped-def]
        return await self.http.post(path, data={"csrf": self.csrf, **(data or {})}, **kw)

    async def aclose(self) -> None:
        await self.http.aclose()

"""The caseworker and supervisor console at /console: server-rendered pages (FastAPI, Jinja2
with autoescaping, htmx served from here), live updates over Server-Sent Events."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from console.web import HERE, LoginRequired


def install(app: FastAPI) -> None:
    from console import (
        admin,
        booklets,
        campaigns,
        casework,
        links,
        login,
        queue,
        records,
        reports,
        studio,
        unanswered,
    )

    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
    modules = (
        login, queue, casework, reports, admin, records, campaigns, links, booklets, studio,
        unanswered,
    )  # fmt: skip
    for module in modules:
        app.include_router(module.router, include_in_schema=False)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        page = request.method == "GET" and "hx-request" not in request.headers
        if page and request.url.path != "/console/events":
            target = quote(
                request.url.path + (f"?{request.url.query}" if request.url.query else "")
            )
            return RedirectResponse(f"/console/login?next={target}", 303)
        return JSONResponse(
            {"error": "sign in first"}, 401, headers={"HX-Redirect": "/console/login"}
        )

"""What the fake platform servers share: an aiohttp app on 127.0.0.1 that starts, stops and
works as an async context manager. Subclasses add their routes in `routes(app)`."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Self

from aiohttp import web


class LoopbackServer:
    max_body = 1024**2

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.base_url = ""
        self._host, self._port = host, port
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()  # set on stop: cuts pending delays and long polls short

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def on_stop(self) -> None:
        """Wake anything the server keeps waiting, before it shuts down."""

    async def start(self) -> None:
        app = web.Application(client_max_size=self.max_body)
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"

    async def stop(self) -> None:
        self._closing.set()
        self.on_stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

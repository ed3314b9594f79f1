"""The baseline of bench/webhooks.py: a bare aiogram 3 echo bot behind aiogram's own aiohttp
webhook handler, sending each text (or pressed button's data) back with `send_message`.

    python -m bench.echo_bot --port P    (TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE,
                                          TELEGRAM_WEBHOOK_SECRET from the environment)

It answers callback queries as Qonys does and, like Qonys under uvicorn, runs on uvloop.
"""

from __future__ import annotations

import argparse
import os

import uvloop
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

PATH = "/webhooks/telegram"


def build() -> web.Application:
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_BASE"]))
    bot = Bot(os.environ["TELEGRAM_BOT_TOKEN"], session=session)
    dp = Dispatcher()

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await message.bot.send_message(message.chat.id, message.text or "")  # type: ignore[union-attr]

    @dp.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        await query.bot.send_message(query.from_user.id, query.data or "")  # type: ignore[union-attr]
        await query.answer()

    app = web.Application()
    secret = os.environ["TELEGRAM_WEBHOOK_SECRET"]
    SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=secret).register(app, path=PATH)
    setup_application(app, dp, bot=bot)
    app.router.add_get("/healthz", lambda _: web.json_response({"status": "ok"}))
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    loop = uvloop.new_event_loop()
    web.run_app(build(), host="127.0.0.1", port=args.port, print=None, access_log=None,
                loop=loop)  # fmt: skip


if __name__ == "__main__":
    main()

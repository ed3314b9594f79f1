"""A campaign to 10 000 people over a fake Telegram Bot API at Telegram's limits.

`python -m bench.broadcast [--recipients N] [--kill]` starts `qonys run` as a separate process
against a fake Bot API on loopback that answers 429 with retry_after above 30 accepted
messages in any second overall or 1 per second in one chat, and a 502 page to 2 % of sends.
Twenty people chat with the bot (one message every 2.5 s each) while the campaign runs.

Reported: the campaign's rate as a ratio of 30 msg/s, duplicates, missed recipients, 429s
received, and the p99 time from a chatting person's message to the bot's reply. With
`--kill` the process is SIGKILLed halfway and started again on the same database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx
from aiohttp import web

from storage.db import Database, upgrade
from storage.models import Campaign, Consent, Contact, Profile, utcnow
from tests.fakes.telegram_api import ApiError, FakeBotAPI, _nginx_page

TEXT = "Әйелдерге арналған жаңа пакет: балабақша, курстар, ауылдағы көмек."
LIMIT = 30
CHATTERS = 20
FIRST_CHAT = 500_000_000
CHATTER = 400_000_000


class StrictTelegram(FakeBotAPI):
    """The fake Bot API with Telegram's limits on, 2 % of sends failing, and a send log."""

    def __init__(self) -> None:
        super().__init__()
        self.rate_limit(per_chat_per_second=1, global_per_second=LIMIT)
        self.log: list[tuple[float, int, str]] = []  # accepted sendMessage: time, chat, text
        self.by_chat: defaultdict[int, list[tuple[float, str]]] = defaultdict(list)
        self.arrived: defaultdict[int, asyncio.Event] = defaultdict(asyncio.Event)
        self.answers: Counter[int] = Counter()
        self.random = random.Random(7)

    def _check_chat_access(self, method: str, params: dict) -> list:
        try:
            return super()._check_chat_access(method, params)
        except ApiError as error:
            if error.error_code == 429:  # which limit: the whole bot's, or one chat's
                whole = self._global_window and self._global_window.retry_after(time.monotonic())
                self.answers["429 overall" if whole else "429 one chat"] += 1
            raise

    async def _respond(self, token: str, method: str, params: dict) -> web.Response:
        if method == "sendMessage" and self.random.random() < 0.02:
            self.answers[502] += 1
            return web.Response(status=502, text=_nginx_page(502), content_type="text/html")
        response = await super()._respond(token, method, params)
        if method == "sendMessage":
            self.answers[response.status] += 1
            if response.status == 200:
                at, chat, text = time.monotonic(), int(params["chat_id"]), str(params["text"])
                self.log.append((at, chat, text.split("\n\n")[0]))
                self.by_chat[chat].append((at, text.split("\n\n")[0]))
                self.arrived[chat].set()
        return response


def seed(url: str, recipients: int) -> None:
    """People who subscribed to women's news, and a campaign due now."""
    upgrade(url)

    async def write() -> None:
        db = Database(url)
        async with db.transaction() as s:
            contacts = [
                Contact(channel="telegram", external_id=str(FIRST_CHAT + i), locale="kk",
                        step_data={}, last_buttons=[])
                for i in range(recipients)
            ]  # fmt: skip
            s.add_all(contacts)
            await s.flush()
            ids = [c.id for c in contacts]
            s.add_all(Profile(contact_id=cid, gender="female") for cid in ids)
            s.add_all(
                Consent(contact_id=cid, kind="news:women", version="b", granted=True,
                        channel="telegram")
                for cid in ids
            )  # fmt: skip
            s.add(Campaign(name="bench", topic="women", filters={"gender": ["female"]},
                           texts={"kk": TEXT}, buttons=[], status="scheduled",
                           starts_at=utcnow(), created_by="bench"))  # fmt: skip
        await db.dispose()

    asyncio.run(write())


def start_app(env: dict[str, str], port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "qonys"), "run", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(Path(env["DATA_DIR"]) / "app.log", "ab"),
    )


class Up:
    """Whether the app answers; chatters pause while it restarts (that wait is not latency)."""

    def __init__(self) -> None:
        self.event, self.generation = asyncio.Event(), 0

    def down(self) -> None:
        self.event.clear()
        self.generation += 1


async def wait_healthy(port: int, up: Up) -> None:
    async with httpx.AsyncClient() as http:
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    up.event.set()
                    return
            await asyncio.sleep(0.1)


async def chatter(
    fake: StrictTelegram, chat: int, up: Up, stop: asyncio.Event, waits: list[float]
) -> None:
    """One person asking for the menu every 2.5 s; the time to each reply is recorded."""
    await asyncio.sleep(random.uniform(0, 2.5))
    while not stop.is_set():
        await up.event.wait()
        began, generation = time.monotonic(), up.generation
        fake.push_update(fake.make_message(chat, "/menu", language_code="kk"))
        while not stop.is_set():
            replies = [at for at, text in fake.by_chat[chat] if at >= began and text != TEXT]
            if replies:
                if generation == up.generation:  # not interrupted by the kill
                    waits.append(replies[0] - began)
                break
            fake.arrived[chat].clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(fake.arrived[chat].wait(), 1.0)
        await asyncio.sleep(2.5)


async def run(recipients: int, kill: bool) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="qonys-bench-"))
    url = f"sqlite+aiosqlite:///{folder / 'qonys.db'}"
    await asyncio.to_thread(seed, url, recipients)
    async with StrictTelegram() as fake:
        env = {**os.environ, "DATABASE_URL": url, "DATA_DIR": str(folder), "SECRET_KEY": "bench",
               "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE": fake.base_url,
               "TELEGRAM_BURST_PER_CHAT": "1", "QUIET_HOURS": "00:00-00:00",
               "CAMPAIGN_TICK_SECONDS": "0.5", "LOG_LEVEL": "WARNING"}  # fmt: skip
        port = 18_000 + random.randint(0, 1000)
        app, up = start_app(env, port), Up()
        await wait_healthy(port, up)
        stop, waits = asyncio.Event(), []
        chats = [CHATTER + i for i in range(CHATTERS)]  # people outside the campaign's audience
        people = [asyncio.create_task(chatter(fake, c, up, stop, waits)) for c in chats]
        killed_at, restart = None, 0.0
        deadline = time.monotonic() + recipients / LIMIT * 3 + 60
        while time.monotonic() < deadline:
            got = {c for _, c, t in fake.log if t == TEXT}
            if kill and killed_at is None and len(got) >= recipients // 2:
                up.down()
                app.send_signal(signal.SIGKILL)
                app.wait()
                killed_at = time.monotonic()
                app = start_app(env, port)
                await wait_healthy(port, up)
                restart = time.monotonic() - killed_at
            if len(got) >= recipients:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(3)  # anything sent twice after the last one arrives now
        stop.set()
        await asyncio.gather(*people)
        app.terminate()
        app.wait(timeout=30)
    campaign = [(at, c) for at, c, t in fake.log if t == TEXT]
    per_chat = Counter(c for _, c in campaign)
    begin, end = campaign[0][0], campaign[-1][0]
    span = end - begin if len(campaign) > 1 else float("inf")
    # The limit is the bot's, shared by the campaign and the replies to people chatting.
    everything = sum(1 for at, _, _ in fake.log if begin <= at <= end)
    if os.environ.get("BENCH_TRACE"):  # the slowest replies, to see what the tail is made of
        slowest = sorted(round(w * 1000) for w in waits)[-15:]
        print(slowest, "over 300 ms:", sum(w > 0.3 for w in waits))
    return {
        "recipients": recipients,
        "rate_ratio": round(everything / span / LIMIT, 3),
        "campaign_share": round(len(campaign) / span / LIMIT, 3),
        "duplicates": sum(n - 1 for n in per_chat.values()),
        "missed": recipients - len(per_chat),
        "answers_429": fake.answers[429],
        "answers_502": fake.answers[502],
        "429_overall": fake.answers["429 overall"],
        "429_one_chat": fake.answers["429 one chat"],
        "replies": len(waits),
        "reply_p50_ms": round(statistics.median(waits) * 1000) if waits else -1,
        "reply_p99_ms": round(statistics.quantiles(waits, n=100)[98] * 1000) if waits else -1,
        "seconds": round(span, 1),
        "restart_seconds": round(restart, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--kill", action="store_true", help="SIGKILL halfway and restart")
    args = parser.parse_args()
    result = asyncio.run(run(args.recipients, args.kill))
    print(("kill and restart: " if args.kill else "") + str(result))


if __name__ == "__main__":
    main()

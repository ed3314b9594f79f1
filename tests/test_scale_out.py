"""Scale-out on PostgreSQL and Redis: the shared pieces one by one, then `qonys run --workers 2`
as separate processes under load while a worker is SIGKILLed and while PostgreSQL and Redis
go away and come back. Needs TEST_DATABASE_URL and TEST_REDIS_URL (`.ci/run` sets both)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.hub import RedisHub
from bot.i18n import Translator
from bot.leader import RedisJobs
from bot.locks import RedisLocks
from bot.ratelimit import RedisWindows
from bot.settings import LOCALES, async_database_url
from bot.throttle import StreamSlots, Throttle, per_minute
from storage.db import Database
from storage.models import Message, ProcessedUpdate
from tests.conftest import PG_URL, eventually, free_port
from tests.delivery_helpers import text_replies, unsent
from tests.fakes.telegram_api import FakeBotAPI, parse_html

REDIS_URL = os.environ.get("TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(
    not REDIS_URL, reason="scale-out tests need TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0)"
)
needs_pg = pytest.mark.skipif(not PG_URL, reason="workers need TEST_DATABASE_URL (PostgreSQL)")
TEST_REDIS_DB = 11  # its own database, flushed before each test
SORRY = "Sorry, something went wrong on my side. Please try again in a minute."


def redis_url() -> str:
    return f"{REDIS_URL.rsplit('/', 1)[0]}/{TEST_REDIS_DB}"  # type: ignore[union-attr]


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url())
    await client.flushdb()
    yield client
    await client.aclose()


async def clients(n: int) -> list[Redis]:
    """One client per simulated worker: nothing shared but the Redis server."""
    return [Redis.from_url(redis_url()) for _ in range(n)]


# --- the shared pieces ----------------------------------------------------------------------


async def test_workers_together_stay_under_the_rate_limit(redis: Redis) -> None:
    workers = [RedisWindows.paced(c, "qonys:rate:test", 20) for c in await clients(3)]
    stamps: list[float] = []

    async def send(limit: RedisWindows, until: float) -> None:
        while time.monotonic() < until:
            await limit.acquire()
            stamps.append(time.monotonic())

    until = time.monotonic() + 2.5
    await asyncio.gather(*(send(w, until) for w in workers for _ in range(4)))
    stamps.sort()
    busiest = max(sum(1 for t in stamps if s <= t < s + 1.0) for s in stamps)
    assert busiest <= 20, f"{busiest} sends in one second from three workers sharing 20/s"
    assert len(stamps) >= 45, "and they used the limit, not a fraction of it"

    await workers[0].pause(0.6)  # a 429 seen by one worker stops all of them
    began = time.monotonic()
    await workers[2].acquire()
    assert time.monotonic() - began >= 0.5


async def test_a_refunded_slot_is_free_again(redis: Redis) -> None:
    a, b = (RedisWindows.window(c, "qonys:rate:chat:1", 1.0, 2) for c in await clients(2))
    first, _ = await a.acquire(), await a.acquire()
    await a.refund(first)  # a 502 page: the platform did not count it
    began = time.monotonic()
    await b.acquire()
    assert time.monotonic() - began < 0.2

    c, d = (RedisWindows.paced(c, "qonys:rate:paced", 5) for c in await clients(2))
    slot = await c.acquire()  # one send per 0.2 s: the next would wait for the pace
    await c.refund(slot)
    began = time.monotonic()
    await d.acquire()
    assert time.monotonic() - began < 0.1, "the refund gave the pace back too"


async def test_a_slot_counted_late_frees_late(redis: Redis) -> None:
    a, b = (RedisWindows.window(c, "qonys:rate:chat:2", 2.0, 1) for c in await clients(2))
    slot = await a.acquire()  # one send per 0.5 s in this chat
    await a.postpone(slot, 0.3)  # its answer came back 0.3 s late: counted from then
    began = time.monotonic()
    await b.acquire()
    assert time.monotonic() - began >= 0.75, "the other worker waits for the later count"


async def test_one_person_is_handled_by_one_worker_at_a_time(redis: Redis) -> None:
    a, b = (RedisLocks(c, "secret") for c in await clients(2))
    counter = {"value": 0}

    async def increment(locks: RedisLocks) -> None:
        async with locks.hold("telegram:42"):
            seen = counter["value"]
            await asyncio.sleep(0.002)  # a handler's database round trips
            counter["value"] = seen + 1

    await asyncio.gather(*(increment(locks) for locks in (a, b) for _ in range(25)))
    assert counter["value"] == 50, "no update of the person was lost to a concurrent one"
    keys = [k.decode() async for k in redis.scan_iter("*")]
    assert not any("42" in k for k in keys), "no ids in Redis keys, only keyed hashes"


async def test_web_chat_limits_hold_across_workers(redis: Redis) -> None:
    """Two workers count one address's messages and streams together, keyed by hashes."""
    a, b = (Throttle("secret", redis_url()) for _ in range(2))
    rule = per_minute(5)
    allowed = [await (a if n % 2 else b).hit(rule, a.key("msg-addr", "10.0.0.7")) for n in range(7)]
    assert allowed[:5] == [None] * 5 and all(w and w >= 1 for w in allowed[5:])
    keys = [k.decode() for k in await redis.keys("*")]
    assert keys and not any("10.0.0.7" in k for k in keys), "addresses are hashed"
    slots_a, slots_b = (StreamSlots(c) for c in await clients(2))
    first = await slots_a.enter("stream-addr:x", 2)
    second = await slots_b.enter("stream-addr:x", 2)
    assert first and second and await slots_a.enter("stream-addr:x", 2) is None
    await slots_b.leave("stream-addr:x", second)
    assert await slots_a.enter("stream-addr:x", 2) is not None


async def test_a_page_on_another_worker_is_woken(redis: Redis) -> None:
    a, b = (RedisHub(c, "qonys:hub:test", "secret") for c in await clients(2))
    b.start()
    spy = redis.pubsub()
    await spy.subscribe("qonys:hub:test")
    await asyncio.sleep(0.2)
    wake = b.subscribe("visitor-token-123")
    a.publish("visitor-token-123")
    await asyncio.wait_for(wake.wait(), 2)
    seen = await spy.get_message(ignore_subscribe_messages=True, timeout=1)
    seen = seen or await spy.get_message(ignore_subscribe_messages=True, timeout=1)
    assert seen and b"visitor-token-123" not in seen["data"], "a keyed hash, not the key"
    await b.stop()
    await spy.aclose()


async def test_each_job_runs_on_one_worker_and_moves_when_it_dies(redis: Redis) -> None:
    a, b = (RedisJobs(c, ttl=1.0) for c in await clients(2))
    running: Counter[str] = Counter()
    overlaps: list[float] = []
    ran_on: list[str] = []

    def job(name: str):  # type: ignore[no-untyped-def]
        async def run() -> None:
            running[name] += 1
            ran_on.append(name)
            if sum(running.values()) > 1:
                overlaps.append(time.monotonic())
            try:
                await asyncio.Event().wait()
            finally:
                running[name] -= 1

        return run

    task_a = asyncio.create_task(a.run("reminders", job("a")))
    await asyncio.sleep(0.1)
    task_b = asyncio.create_task(b.run("reminders", job("b")))
    await asyncio.sleep(2.0)
    assert ran_on == ["a"], "the second worker waits while the first holds the lease"

    async def no_release(**_: object) -> None:  # SIGKILL: no goodbye, the lease just lapses
        return None

    a._release = no_release  # type: ignore[method-assign,assignment]
    task_a.cancel()
    died = time.monotonic()
    await eventually(lambda: running["b"] == 1, within=3.0)
    assert time.monotonic() - died >= 0.5, "not before the dead worker's lease ran out"
    assert not overlaps
    task_b.cancel()
    await asyncio.gather(task_a, task_b, return_exceptions=True)


# --- workers as separate processes ----------------------------------------------------------

SCALE_DB = "qonys_scale"
CHATS, QUESTIONS = 24, ("Қостанайда қыс қандай?", "көмір пеш қалай жағады", "құжаттар тізімі")


@pytest.fixture
async def scale_db() -> str:
    """A database of its own, so the workers never race the schema resets of other tests."""
    admin = create_async_engine(async_database_url(PG_URL or ""), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f"DROP DATABASE IF EXISTS {SCALE_DB} WITH (FORCE)"))
        await conn.execute(text(f"CREATE DATABASE {SCALE_DB}"))
    await admin.dispose()
    return async_database_url(PG_URL or "").rsplit("/", 1)[0] + f"/{SCALE_DB}"


class Workers:
    """`qonys run --workers N` in a process group of its own, on loopback."""

    def __init__(self, tmp_path: Path, database_url: str, fake: FakeBotAPI, n: int) -> None:
        self.port, self.n = free_port(), n
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / "workers.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url(),
            "DATA_DIR": str(tmp_path),
            "SECRET_KEY": "scale-secret",
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_BASE": fake.base_url,
            "TELEGRAM_WEBHOOK_SECRET": "hook-secret",
            "PUBLIC_URL": self.url,
            "TELEGRAM_RATE_PER_CHAT": "50",
            "OUTBOX_LEASE_SECONDS": "5",
            "SEND_TIMEOUT": "2",
            "LOG_LEVEL": "WARNING",
            "WEBCHAT_NEW_VISITORS_PER_MINUTE": "1000",
        }
        self.proc: subprocess.Popen | None = None

    async def __aenter__(self) -> Workers:
        self.start()
        try:
            await eventually(self.healthy, within=60, interval=0.2)
            await eventually(lambda: len(self.children()) == self.n, within=30)
        except BaseException:
            await self.__aexit__()  # no leftover workers when they fail to come up
            raise
        return self

    def start(self) -> None:
        qonys = str(Path(sys.executable).parent / "qonys")
        self.proc = subprocess.Popen(
            [qonys, "run", "--workers", str(self.n), "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("ab"),
            start_new_session=True,
        )

    async def __aexit__(self, *exc: object) -> None:
        if self.proc:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def children(self) -> list[int]:
        """The worker processes (not multiprocessing's resource tracker)."""
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")  # type: ignore[union-attr]
        pids = [int(p) for p in path.read_text().split()] if path.exists() else []
        return [pid for pid in pids if b"spawn_main" in _cmdline(pid)]

    async def health(self) -> int:
        try:
            async with httpx.AsyncClient(timeout=5) as http:
                return (await http.get(f"{self.url}/healthz")).status_code
        except httpx.HTTPError:
            return 0

    async def healthy(self) -> bool:
        return await self.health() == 200


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # gone meanwhile
        return b""


class Telegram:
    """Posts updates the way Telegram does: one chat's updates one after the other, and the
    same update again after anything but a 200 (Telegram retries for up to a day)."""

    def __init__(self, fake: FakeBotAPI, url: str) -> None:
        self.fake, self.url = fake, f"{url}/webhooks/telegram"
        self.statuses: Counter[int] = Counter()
        self.posted = 0

    async def deliver(self, update: dict) -> None:
        while True:
            try:
                status, _ = await self.fake.post_webhook(self.url, update, "hook-secret")
            except Exception:  # connection reset by a dying worker: Telegram tries again
                status = 0
            self.statuses[status] += 1
            if status == 200:
                self.posted += 1
                return
            await asyncio.sleep(0.2)

    async def chat(self, chat: int, pause: float = 0.0) -> None:
        updates = [self.fake.make_message(chat, "/start"), self.fake.make_callback(chat, "lang:kk")]
        updates += [self.fake.make_message(chat, q) for q in QUESTIONS]
        for update in updates:
            await self.deliver(update)
            await asyncio.sleep(pause)


async def settled(db: Database) -> bool:
    return await unsent(db) == 0


async def check_everything_once(db: Database, fake: FakeBotAPI, updates: int) -> int:
    """Every update handled once, every reply sent, in order per person; returns how many
    replies reached the person twice (possible only for sends in flight at a SIGKILL)."""
    await eventually(lambda: settled(db), within=60, interval=0.3)
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(ProcessedUpdate)) == updates
        assert await s.scalar(select(func.count()).where(Message.direction == "in")) == updates, (
            "each update was recorded once"
        )
    rows = await text_replies(db)
    assert {status for _, _, status in rows} == {"sent"}
    sorry = [Translator(lang).gettext(SORRY) for lang in LOCALES]
    assert not [t for _, t, _ in rows if any(s in t for s in sorry)], "an outage is no bug"
    duplicates = 0
    for chat in {int(ext) for ext, _, _ in rows}:
        expected = [parse_html(t)[0] for ext, t, _ in rows if int(ext) == chat]
        got = [m["text"] for m in fake.sent_messages(chat) if "text" in m]
        # A reply sent twice (in flight at a SIGKILL) shows up as a repeat right after itself.
        assert _collapse(got) == _collapse(expected), f"chat {chat}: every reply, in order"
        assert len(got) >= len(expected)
        duplicates += len(got) - len(expected)
    return duplicates


def _collapse(texts: list[str]) -> list[str]:
    return [t for i, t in enumerate(texts) if i == 0 or t != texts[i - 1]]


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as api:
        yield api


@needs_pg
async def test_a_killed_worker_loses_nothing_and_repeats_nothing(
    tmp_path: Path, scale_db: str, fake: FakeBotAPI, redis: Redis
) -> None:
    db = Database(scale_db)
    async with Workers(tmp_path, scale_db, fake, 2) as workers:
        telegram = Telegram(fake, workers.url)
        load = asyncio.gather(*(telegram.chat(900_000 + i, pause=0.1) for i in range(CHATS)))
        await asyncio.sleep(2.0)
        victim = workers.children()[0]
        os.kill(victim, signal.SIGKILL)
        async with db.sessions() as s:  # sends that may have left without being recorded
            in_flight = await s.scalar(
                select(func.count()).where(
                    Message.status == "sending", Message.dispatched_at.is_not(None)
                )
            )
        await asyncio.wait_for(load, 120)
        await eventually(lambda: victim not in workers.children() and
                         len(workers.children()) == 2, within=30)  # fmt: skip
        duplicates = await check_everything_once(db, fake, telegram.posted)
        assert duplicates <= in_flight
        assert telegram.posted == CHATS * (2 + len(QUESTIONS))
    await db.dispose()


@needs_pg
async def test_postgres_and_redis_going_away_lose_nothing(
    tmp_path: Path, scale_db: str, fake: FakeBotAPI, redis: Redis
) -> None:
    db = Database(scale_db)
    admin = create_async_engine(async_database_url(PG_URL or ""), isolation_level="AUTOCOMMIT")
    async with Workers(tmp_path, scale_db, fake, 2) as workers:
        telegram = Telegram(fake, workers.url)
        load = asyncio.gather(*(telegram.chat(910_000 + i, pause=0.3) for i in range(CHATS)))
        await asyncio.sleep(1.5)

        async with admin.connect() as conn:  # the database stops taking connections
            await conn.execute(text(f"ALTER DATABASE {SCALE_DB} ALLOW_CONNECTIONS false"))
            await conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
                {"d": SCALE_DB},
            )
        await eventually(lambda: _is(workers.health(), 503), within=10)
        await asyncio.sleep(2.0)
        async with admin.connect() as conn:
            await conn.execute(text(f"ALTER DATABASE {SCALE_DB} ALLOW_CONNECTIONS true"))
        await eventually(workers.healthy, within=20)

        await redis.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
        pause = asyncio.create_task(redis.execute_command("CLIENT", "PAUSE", "3000", "ALL"))
        await eventually(lambda: _is(workers.health(), 503), within=5)
        await pause
        await eventually(workers.healthy, within=20)

        await asyncio.wait_for(load, 180)
        assert telegram.statuses[503] > 0, "some updates were refused while a service was away"
        assert telegram.statuses[500] == 0
        duplicates = await check_everything_once(db, fake, telegram.posted)
        assert duplicates == 0, "no worker died: nothing may arrive twice"
    await admin.dispose()
    await db.dispose()


async def _is(status: asyncio.Future | object, expected: int) -> bool:
    return await status == expected  # type: ignore[misc]


@needs_pg
async def test_a_publish_reaches_every_worker_within_seconds(
    tmp_path: Path, scale_db: str, fake: FakeBotAPI, redis: Redis
) -> None:
    """Two `qonys run` workers: a change published in the console on whichever worker takes
    the request is what both answer with seconds later (the other learns of it over Redis)."""
    from console import auth
    from storage.models import StaffUser
    from tests.console_helpers import PASSWORD, Console
    from tests.test_studio import FIRST_LINE, PAGE, edited, opened

    async with Workers(tmp_path, scale_db, fake, 2) as workers:
        db = Database(scale_db)
        async with db.transaction() as s:
            for login in ("aigerim", "bolat"):
                s.add(StaffUser(login=login, name=login, role="editor", regions=[], locale="kk",
                                password_hash=auth.hash_password(PASSWORD)))  # fmt: skip
        aigerim, bolat = Console(workers.url), Console(workers.url)
        assert (await aigerim.login("aigerim")).status_code == 303
        assert (await bolat.login("bolat")).status_code == 303
        text, parent = await opened(aigerim)
        form = {"doc": PAGE, "text": edited(text), "parent": parent, "submit": "1"}
        assert (await aigerim.post("/console/content/save", form)).status_code == 303
        review = (await bolat.get("/console/content/review")).text
        rev_id = review.split('name="id" value="', 1)[1].split('"', 1)[0]
        assert (
            await bolat.post("/console/content/decide", {"id": rev_id, "approve": "1"})
        ).status_code == 303
        began = time.monotonic()

        async def answer() -> str:
            async with httpx.AsyncClient(base_url=workers.url, timeout=30) as person:
                for body in (
                    {"text": "/start"},
                    {"action": "lang:kk"},
                    {"action": "t:pavlodar:housing"},
                ):
                    await person.post("/api/chat/messages", json=body)
                got = (await person.get("/api/chat/messages")).json()["messages"]
            return "\n".join(m["text"] for m in got if m["from"] != "user")

        async def everyone_sees_it() -> bool:
            return all(
                FIRST_LINE in a for a in await asyncio.gather(*(answer() for _ in range(12)))
            )

        await eventually(everyone_sees_it, within=20, interval=0.5)
        assert time.monotonic() - began < 20
        await aigerim.aclose()
        await bolat.aclose()
        await db.dispose()

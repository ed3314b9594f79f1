"""The load side of bench/webhooks.py: realistic Telegram updates, a fake Bot API that clocks
the bot's replies, and open-loop and bounded-concurrency webhook senders.

Each simulated person follows a short script: `/start`, a language button, then free-text
questions (from bench/queries.jsonl, in the person's language) alternating with menu button
presses (callback queries). A person gets their next update only after the previous one was
answered and their chat has been quiet for `QUIET` seconds, so the replies to one update are
never mistaken for the replies to the next, and Qonys's per-chat pacing (Telegram's ~1 msg/s
in one chat, a burst of 3) never delays a reply. When nobody is ready, a new person starts.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import random
import statistics
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.telegram_api import FakeBotAPI

JSONDict = dict[str, Any]
SECRET = "bench-webhook-secret_0123456789abcdef"
QUIET = 4.0  # > the per-chat window of 3 messages at 1/s (3.02 s)
CONNECTIONS = 40  # Telegram's default max_connections for a webhook
SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "sendLocation"})
QUERIES = Path(__file__).with_name("queries.jsonl")
# Which spellings a person who chose this language types in.
VARIANTS = {"kk": ("kk", "kk_ru", "kk_lat", "mixed"), "ru": ("ru",), "en": ("en",)}
LOCALE_WEIGHTS = {"kk": 0.5, "ru": 0.4, "en": 0.1}
REGIONS = ("akmola", "abai", "kostanay", "pavlodar", "north_kazakhstan", "east_kazakhstan",
           "karaganda", "ulytau", "atyrau", "west_kazakhstan")  # fmt: skip
REGION_TOPICS = ("overview", "climate", "housing", "schools", "jobs", "heating", "land")
PROGRAMME_TOPICS = ("eligibility", "steps", "documents", "subsidies", "kandas", "women")
EXTRA_QUESTIONS = {
    "kk": ["Қостанайда қыс қандай?", "Павлодарда пәтер қанша тұрады?"],
    "ru": ["сколько стоит квартира в Павлодаре", "какая зима в Костанае"],
    "en": ["how cold is winter in Petropavl", "what documents do I need"],
}


def load_questions() -> dict[str, list[str]]:
    """Questions by the language a person chose, spelt every way people type them."""
    rows = [json.loads(x) for x in QUERIES.read_text(encoding="utf-8").splitlines() if x.strip()]
    return {
        lang: [r["q"] for r in rows if r["variant"] in variants] + EXTRA_QUESTIONS[lang]
        for lang, variants in VARIANTS.items()
    }


def menu_press(rng: random.Random) -> str:
    """A button of the main menu or of an answer, as people press them."""
    region, topic = rng.choice(REGIONS), rng.choice(REGION_TOPICS)
    return rng.choice([
        "regions", "prog", "p:heating", "menu", f"r:{region}", f"t:{region}:{topic}",
        f"p:{rng.choice(PROGRAMME_TOPICS)}", "help",
    ])  # fmt: skip


@dataclass
class Chat:
    id: int
    locale: str
    step: int = 0
    pending: float | None = None  # when the unanswered update was (to be) sent
    kind: str = ""
    last_reply: float = 0.0


@dataclass
class Sample:
    sent: float
    kind: str
    latency: float | None = None  # None: not answered (yet)
    status: int = 0


class Updates:
    """Builds the next update of a person's script as Telegram would deliver it."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.questions = load_questions()
        self.update_ids = itertools.count(700_000_001)
        self.message_ids = itertools.count(1)
        self.callback_ids = itertools.count(5_000_000_000_000_000_001)

    def next_for(self, chat: Chat) -> tuple[str, JSONDict]:
        """(kind, update) for this person's next step; advances the script."""
        step, chat.step = chat.step, chat.step + 1
        if step == 0:
            return "start", self.message(chat, "/start")
        if step == 1:
            return "language", self.callback(chat, f"lang:{chat.locale}")
        if step % 2 == 0:
            return "question", self.message(chat, self.rng.choice(self.questions[chat.locale]))
        return "button", self.callback(chat, menu_press(self.rng))

    def user(self, chat: Chat) -> JSONDict:
        return {"id": chat.id, "is_bot": False, "first_name": "Айгүл",
                "language_code": chat.locale}  # fmt: skip

    def message(self, chat: Chat, text: str) -> JSONDict:
        message: JSONDict = {
            "message_id": next(self.message_ids),
            "from": self.user(chat),
            "chat": {"id": chat.id, "type": "private", "first_name": "Айгүл"},
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return {"update_id": next(self.update_ids), "message": message}

    def callback(self, chat: Chat, data: str) -> JSONDict:
        """A press on the bot's last message; the message carries the pressed button."""
        pressed_on = {
            "message_id": next(self.message_ids),
            "from": {"id": 123456789, "is_bot": True, "first_name": "Qonys"},
            "chat": {"id": chat.id, "type": "private", "first_name": "Айгүл"},
            "date": int(time.time()),
            "text": "…",
            "reply_markup": {"inline_keyboard": [[{"text": data, "callback_data": data}]]},
        }
        query = {
            "id": str(next(self.callback_ids)),
            "from": self.user(chat),
            "message": pressed_on,
            "chat_instance": str(chat.id * 7919),
            "data": data,
        }
        return {"update_id": next(self.update_ids), "callback_query": query}


class ClockedBotAPI(FakeBotAPI):
    """The fake Bot API, with no rate limits and no request log, noting when each chat gets a
    message. What it keeps of sent messages and files is dropped now and then (`prune`), so
    100 000 updates do not fill the benchmark's own memory."""

    def __init__(self) -> None:
        super().__init__()
        self.on_reply: Any = None  # callable(chat_id, monotonic time)
        self.answers: Counter[str] = Counter()

    def _record(self, method: str, params: JSONDict) -> None:
        self.answers[method] += 1

    async def _respond(self, token: str, method: str, params: JSONDict) -> web.Response:
        at = time.monotonic()
        response = await super()._respond(token, method, params)
        if response.status != 200:
            self.answers[f"{method} {response.status}"] += 1
        elif method in SEND_METHODS and self.on_reply is not None:
            self.on_reply(int(params["chat_id"]), at)
        return response

    def open_callback(self, query_id: str) -> None:
        self._open_callbacks.add(query_id)

    def prune(self) -> None:
        self._sent.clear()
        self._messages.clear()
        self._files.clear()
        self._file_objects.clear()
        self._photo_sets.clear()
        self._last_bot_message.clear()


class People:
    """The people writing to the bot: who is ready for their next update, and their replies."""

    def __init__(self, fake: ClockedBotAPI, first_chat: int, seed: int = 11) -> None:
        self.rng = random.Random(seed)
        self.updates = Updates(seed)
        self.chats: dict[int, Chat] = {}
        self.ready: deque[Chat] = deque()  # answered, in the order their first reply came
        self.ids = itertools.count(first_chat)
        self.samples: dict[int, Sample] = {}  # by update id
        self.by_chat: dict[int, int] = {}  # chat -> update id of its unanswered update
        self.waiters: dict[int, asyncio.Future[None]] = {}
        self.fake = fake
        fake.on_reply = self.replied

    def replied(self, chat_id: int, at: float) -> None:
        chat = self.chats.get(chat_id)
        if chat is None:
            return
        chat.last_reply = at
        if chat.pending is None:
            return  # a second message of the same answer
        update_id = self.by_chat.pop(chat_id)
        self.samples[update_id].latency = at - chat.pending
        chat.pending = None
        self.ready.append(chat)
        if (waiter := self.waiters.pop(chat_id, None)) and not waiter.done():
            waiter.set_result(None)

    def next_chat(self, now: float) -> Chat:
        while self.ready and self.ready[0].pending is not None:
            self.ready.popleft()  # queued again by the warm-up, which drives its own people
        if self.ready and now - self.ready[0].last_reply >= QUIET:
            return self.ready.popleft()
        locale = self.rng.choices(list(LOCALE_WEIGHTS), list(LOCALE_WEIGHTS.values()))[0]
        return self.new_chat(locale)

    def new_chat(self, locale: str) -> Chat:
        chat = Chat(id=next(self.ids), locale=locale)
        self.chats[chat.id] = chat
        return chat

    def next_update(
        self, at: float, chat: Chat | None = None, press: str = ""
    ) -> tuple[int, JSONDict]:
        """The next update of whoever is ready (or of `chat`, pressing `press`), marked as
        sent at `at`."""
        chat = chat or self.next_chat(at)
        if press:
            kind, update = "button", self.updates.callback(chat, press)
        else:
            kind, update = self.updates.next_for(chat)
        if query := update.get("callback_query"):
            self.fake.open_callback(query["id"])  # so answerCallbackQuery accepts it
        chat.pending, chat.kind = at, kind
        self.by_chat[chat.id] = update["update_id"]
        self.samples[update["update_id"]] = Sample(sent=at, kind=kind)
        return chat.id, update


async def warm_up(people: People, poster: Poster, wait: float = 30.0) -> int:
    """Ask for every region's climate in every language once, so the charts a fresh data
    folder lacks are drawn before anything is measured; these people then stay on as
    regulars. Returns how many of the warm-up updates went unanswered."""
    loop = asyncio.get_running_loop()
    lost = 0

    async def one(locale: str, region: str) -> None:
        nonlocal lost
        chat = people.new_chat(locale)
        for press in ("", "", f"t:{region}:climate"):  # /start, language, the climate button
            answered = loop.create_future()
            people.waiters[chat.id] = answered
            _, update = people.next_update(loop.time(), chat, press)
            await poster.post(update)
            try:
                await asyncio.wait_for(answered, wait)
            except TimeoutError:
                lost += 1
                return

    await asyncio.gather(*(one(lang, region) for lang in LOCALE_WEIGHTS for region in REGIONS))
    return lost


class Poster:
    """Posts updates to a webhook the way Telegram does: JSON, the secret header, at most
    `CONNECTIONS` requests at a time (the rest wait for a connection)."""

    def __init__(self, url: str, secret: str = SECRET) -> None:
        self.url = url
        self.headers = {"X-Telegram-Bot-Api-Secret-Token": secret,
                        "Content-Type": "application/json"}  # fmt: skip
        self.session: aiohttp.ClientSession | None = None
        self.tasks: set[asyncio.Task] = set()

    async def __aenter__(self) -> Poster:
        connector = aiohttp.TCPConnector(limit=CONNECTIONS)
        timeout = aiohttp.ClientTimeout(total=60)
        self.session = aiohttp.ClientSession(connector=connector, timeout=timeout)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.gather(*self.tasks, return_exceptions=True)
        assert self.session is not None
        await self.session.close()

    async def post(self, update: JSONDict) -> int:
        """The HTTP status (0: no answer)."""
        assert self.session is not None
        try:
            async with self.session.post(
                self.url, data=json.dumps(update).encode(), headers=self.headers
            ) as response:
                await response.read()
                return response.status
        except (aiohttp.ClientError, TimeoutError):
            return 0

    def fire(self, update: JSONDict, sample: Sample) -> None:
        async def go() -> None:
            sample.status = await self.post(update)

        task = asyncio.create_task(go())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


@dataclass
class Step:
    """One fixed-rate run and what came of it."""

    rate: float
    seconds: float
    sent: int = 0
    answered: int = 0
    lost: int = 0
    errors: int = 0  # webhook answers other than 200
    p50_ms: float = math.inf
    p99_ms: float = math.inf
    achieved: float = 0.0  # updates/s actually sent
    lag_ms: float = 0.0  # how late the generator was, p99
    aborted: bool = False
    kinds: dict[str, int] = field(default_factory=dict)
    p99_by_kind_ms: dict[str, float] = field(default_factory=dict)
    cpu_ms_per_update: float = 0.0  # the target's processes, user + system

    def passed(self, p99_target_ms: float) -> bool:
        return (
            not self.aborted
            and self.lost == 0
            and self.errors == 0
            and self.p99_ms <= p99_target_ms
            and self.achieved >= 0.95 * self.rate
        )


async def open_loop(
    people: People,
    poster: Poster,
    rate: float,
    seconds: float,
    warmup: float,
    drain: float = 10.0,
    give_up_s: float = 3.0,
) -> Step:
    """Send `rate` updates/s, evenly spaced, for `seconds`, whatever the answers; statistics
    over the updates sent after `warmup`. A run whose oldest unanswered update is older than
    `give_up_s` stops early: it has failed, and piling on only slows the next run down."""
    loop = asyncio.get_running_loop()
    begin = loop.time() + 0.05
    total = int(rate * seconds)
    mine: list[Sample] = []
    lags: list[float] = []
    sent: list[Sample] = []  # all of this run's, for the give-up check
    waiting = 0  # index of the oldest of them that may still be unanswered
    step = Step(rate=rate, seconds=seconds)
    for i in range(total):
        due = begin + i / rate
        if (wait := due - loop.time()) > 0:
            await asyncio.sleep(wait)
        now = loop.time()
        lags.append(now - due)
        _, update = people.next_update(due)
        sample = people.samples[update["update_id"]]
        poster.fire(update, sample)
        sent.append(sample)
        if due - begin >= warmup:
            mine.append(sample)
        while waiting < len(sent) and sent[waiting].latency is not None:
            waiting += 1
        if waiting < len(sent) and now - sent[waiting].sent > give_up_s:
            step.aborted = True
            break
    elapsed = loop.time() - begin
    step.sent = len(lags)
    step.achieved = step.sent / max(elapsed, 1e-9)
    await settle(sent, poster, drain)
    summarise(step, mine, lags)
    return step


async def settle(samples: list[Sample], poster: Poster, drain: float) -> None:
    """Wait until these updates were answered and acknowledged, or `drain` seconds passed."""
    deadline = time.monotonic() + drain
    while time.monotonic() < deadline:
        if not poster.tasks and all(s.latency is not None for s in samples):
            return
        await asyncio.sleep(0.05)


def summarise(step: Step, samples: list[Sample], lags: list[float]) -> None:
    done = [s.latency for s in samples if s.latency is not None]
    step.answered, step.lost = len(done), len(samples) - len(done)
    step.errors = sum(1 for s in samples if s.status != 200)
    step.kinds = dict(Counter(s.kind for s in samples))
    for kind in step.kinds:
        of_kind = sorted(math.inf if s.latency is None else s.latency for s in samples
                         if s.kind == kind)  # fmt: skip
        step.p99_by_kind_ms[kind] = round(1000 * percentile(of_kind, 0.99), 1)
    if done:
        # Unanswered updates count as infinitely late: a lost update can never meet the target.
        ordered = sorted(done) + [math.inf] * step.lost
        step.p50_ms = round(1000 * statistics.median(ordered), 1)
        step.p99_ms = round(1000 * percentile(ordered, 0.99), 1)
    step.lag_ms = round(1000 * percentile(sorted(lags), 0.99), 1) if lags else 0.0
    step.achieved = round(step.achieved, 1)


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not ordered:
        return math.inf
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


async def bounded(people: People, poster: Poster, count: int, in_flight: int,
                  on_progress: Any = None, every: int = 10_000) -> int:  # fmt: skip
    """Send `count` updates keeping `in_flight` unanswered at most (as fast as the bot goes);
    `on_progress(n)` after every `every` answered updates. Returns how many were lost."""
    loop = asyncio.get_running_loop()
    slots = asyncio.Semaphore(in_flight)
    lost = 0

    async def one() -> None:
        nonlocal lost
        try:
            chat_id, update = people.next_update(loop.time())
            answered = loop.create_future()
            people.waiters[chat_id] = answered
            poster.fire(update, people.samples[update["update_id"]])
            try:
                await asyncio.wait_for(answered, 30)
            except TimeoutError:
                lost += 1
                people.waiters.pop(chat_id, None)
        finally:
            slots.release()

    tasks: set[asyncio.Task] = set()
    for n in range(1, count + 1):
        await slots.acquire()
        task = asyncio.create_task(one())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        if n % every == 0 and on_progress is not None:
            await asyncio.gather(*tasks)
            on_progress(n)
    await asyncio.gather(*tasks)
    return lost

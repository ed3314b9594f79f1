"""Telegram webhooks end to end: throughput at a latency target, memory, cold start (issue #9).

    python -m bench.webhooks [--quick] [--only throughput|memory|coldstart] [--workers 1,2,4]
                             [--targets echo,sqlite,postgres] [--rate R] [--seconds S] [--json]

`--rate R` replaces the search by one run at R updates/s; BENCH_PROFILE=FILE runs one
`qonys run` under cProfile and writes its statistics there. PostgreSQL runs use the database
`bench` (created if missing, its schema reset; never `test`) and Redis database 13 (flushed).

Everything runs on loopback. This process is both Telegram sides: a load generator that
posts real webhook updates (JSON, X-Telegram-Bot-Api-Secret-Token, at most 40 connections as
Telegram's default `max_connections`) and the fake Bot API of tests/fakes with its rate limits
off, which notes when each chat gets its first message back. The bot under test is a separate
process: `qonys run` in webhook mode (PUBLIC_URL set), so each update takes the whole path:
secret check, parsing, dedupe by update id, dispatch, the handler with its database
transaction, the outbox row, the sender, sendMessage/sendPhoto to the fake. Qonys keeps its
per-chat pacing; its overall pacing (Telegram's 30 msg/s) is lifted, or the benchmark would
measure that limit instead of Qonys.

Updates (see bench/webhook_load.py): each person sends `/start`, presses a language button,
then alternates a free-text question from bench/queries.jsonl in their language (kk, ru, en,
Kazakh typed in Russian or Latin letters, mixed) with a menu or answer button (regions, a
region's topic, the programme, heating, help, menu). A person's next update waits until the
previous one is answered and their chat has been quiet 4 s; new people start as needed.

Latency of an update: from the moment it is due to be posted (open loop, so time spent
waiting for a free connection counts) until the fake Bot API receives the bot's first message
to that chat. An update never answered counts as infinitely late.

Throughput search: fixed-rate runs, arrivals evenly spaced, for `seconds` each (statistics
leave out the first `warmup` seconds). A run passes when p99 ≤ 200 ms, every update was
answered, every webhook answered 200, and the generator kept up (≥ 95 % of the rate). The
rate starts at 20/s and doubles while runs pass; then the gap between the last pass and the
first failure is bisected (2 times in --quick, 4 times in the full run). A run stops early
when an update waits more than 3 s (overload); the bot gets up to 30 s to catch up before the
next run. Reported: the highest passing rate with its p50/p99, for the aiogram echo bot
(bench/echo_bot.py, the baseline, same generator and search), embedded SQLite (1 process) and
PostgreSQL+Redis with each `--workers` count, and Qonys / echo.

Memory: one embedded `qonys run`, updates sent as fast as it answers them (32 unanswered at
most); VmRSS from /proc every 10 000 updates up to 100 000 (--quick: every 1 000 to 10 000);
the RSS at half and at the end and the least-squares slope over the second half.

Cold start: from spawning `qonys run` (embedded SQLite, new data folder, so migrations run)
until the fake Bot API receives the answer to a `/start` posted (every 20 ms until the
webhook answers) to it; 5 times (--quick: 3), median and maximum.

Targets: p99 ≤ 200 ms at the reported rate, Qonys / echo ≥ 0.5, RSS ≤ 200 MB with no growth
over the second half, cold start ≤ 3 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
import uvloop

from bench import webhook_apps as apps
from bench.webhook_load import (
    ClockedBotAPI,
    People,
    Poster,
    Step,
    bounded,
    open_loop,
    warm_up,
)

P99_TARGET_MS = 200.0
TARGETS = {"ratio": 0.5, "rss_mb": 200.0, "cold_s": 3.0}


@dataclass
class Mode:
    seconds: float
    warmup: float
    bisections: int
    memory_updates: int
    memory_every: int
    cold_runs: int
    start_rate: float = 20.0
    max_rate: float = 5000.0


QUICK = Mode(seconds=5, warmup=1, bisections=2, memory_updates=10_000, memory_every=1_000,
             cold_runs=3)  # fmt: skip
FULL = Mode(seconds=30, warmup=5, bisections=4, memory_updates=100_000, memory_every=10_000,
            cold_runs=5)  # fmt: skip


@dataclass
class Search:
    """The throughput search of one configuration."""

    config: str
    rate: float = 0.0  # the highest passing rate
    p50_ms: float = math.inf
    p99_ms: float = math.inf
    steps: list[Step] = field(default_factory=list)
    failure: str = ""  # why the configuration could not be measured
    log_problems: list[str] = field(default_factory=list)
    fake_errors: dict[str, int] = field(default_factory=dict)


def say(*parts: object) -> None:
    print(*parts, flush=True)


class Bench:
    """One fake Bot API and one target process at a time."""

    def __init__(self, mode: Mode, fixed_rate: float = 0.0) -> None:
        self.mode, self.fixed_rate = mode, fixed_rate
        self.chat_base = 600_000_000

    def people(self, fake: ClockedBotAPI) -> People:
        self.chat_base += 10_000_000  # new people for each target
        return People(fake, self.chat_base)

    async def search(self, config: str, make: Callable[[str, str], apps.Target]) -> Search:
        result = Search(config)
        async with ClockedBotAPI() as fake:
            pruner = asyncio.create_task(prune_forever(fake))
            target = make(fake.token, fake.base_url)
            try:
                target.start()
                await apps.wait_up(target)
                people = self.people(fake)
                async with Poster(target.url) as poster:
                    if await first_answer(people, poster):
                        if lost := await warm_up(people, poster):
                            say(f"  warm-up: {lost} update(s) unanswered")
                        await self.find_rate(result, people, poster, target)
                    else:
                        result.failure = "the first update got no answer in 15 s"
            except RuntimeError as exc:
                result.failure = str(exc)[:500]
            finally:
                pruner.cancel()
                target.stop()
                result.log_problems = summarise_problems(target.problems())
                result.fake_errors = {k: v for k, v in fake.answers.items() if " " in k}
                apps.remove(target)
        return result

    async def find_rate(
        self, result: Search, people: People, poster: Poster, target: apps.Target
    ) -> None:
        if self.fixed_rate:  # one run at a given rate, to look at it closely
            await self.step(result, people, poster, target, self.fixed_rate)
            return
        lo, hi, rate = 0.0, math.inf, self.mode.start_rate
        while rate <= self.mode.max_rate:  # doubling
            if await self.step(result, people, poster, target, rate):
                lo, rate = rate, rate * 2
            else:
                hi = rate
                break
        for _ in range(self.mode.bisections if hi < math.inf else 0):
            rate = round((lo + hi) / 2)
            if rate in (round(lo), round(hi)):
                break
            if await self.step(result, people, poster, target, rate):
                lo = rate
            else:
                hi = rate

    async def step(
        self, result: Search, people: People, poster: Poster, target: apps.Target, rate: float
    ) -> bool:
        m = self.mode
        cpu = target.cpu_seconds()
        step = await open_loop(people, poster, rate, m.seconds, m.warmup, drain=30)
        # Over the whole run and its drain: what one update costs the bot's processes.
        step.cpu_ms_per_update = round(1000 * (target.cpu_seconds() - cpu) / max(step.sent, 1), 2)
        result.steps.append(step)
        ok = step.passed(P99_TARGET_MS)
        say(f"  {result.config}: {rate:.0f}/s -> p50 {step.p50_ms} ms, p99 {step.p99_ms} ms, "
            f"lost {step.lost}, errors {step.errors}, sent {step.achieved}/s, "
            f"lag p99 {step.lag_ms} ms{' (aborted)' if step.aborted else ''}, "
            f"CPU {step.cpu_ms_per_update} ms/update, p99 by kind {step.p99_by_kind_ms} "
            f"{'PASS' if ok else 'fail'}")  # fmt: skip
        if ok and rate >= result.rate:
            result.rate, result.p50_ms, result.p99_ms = rate, step.p50_ms, step.p99_ms
        await asyncio.sleep(1)
        return ok

    async def memory(self) -> dict[str, Any]:
        m = self.mode
        samples: list[tuple[int, float]] = []
        echo_mb = await idle_rss(apps.echo)
        async with ClockedBotAPI() as fake:
            pruner = asyncio.create_task(prune_forever(fake))
            target = apps.qonys(fake.token, fake.base_url)
            try:
                target.start()
                await apps.wait_up(target)
                people = self.people(fake)
                samples.append((0, round(target.rss_mb(), 1)))
                began = time.monotonic()

                def sample(n: int) -> None:
                    samples.append((n, round(target.rss_mb(), 1)))
                    say(f"  memory: {n} updates, RSS {samples[-1][1]} MB")

                async with Poster(target.url) as poster:
                    lost = await bounded(people, poster, m.memory_updates, 32, sample,
                                         m.memory_every)  # fmt: skip
                seconds = time.monotonic() - began
            finally:
                pruner.cancel()
                target.stop()
                problems = summarise_problems(target.problems())
                apps.remove(target)
        return {**memory_report(samples, lost, seconds, problems), "echo_idle_mb": echo_mb}

    async def cold_start(self) -> dict[str, Any]:
        times: list[float] = []
        for _ in range(self.mode.cold_runs):
            async with ClockedBotAPI() as fake:
                target = apps.qonys(fake.token, fake.base_url)
                try:
                    times.append(await answered_after_spawn(target, self.people(fake)))
                finally:
                    target.stop()
                    apps.remove(target)
            say(f"  cold start: {times[-1]:.2f} s")
        web: list[float] = []
        for _ in range(self.mode.cold_runs):  # the default `make run`: no token, web chat only
            async with ClockedBotAPI() as fake:
                target = apps.qonys(fake.token, fake.base_url)
                for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE", "PUBLIC_URL"):
                    target.env.pop(name, None)
                try:
                    web.append(await web_answered_after_spawn(target))
                finally:
                    target.stop()
                    apps.remove(target)
            say(f"  cold start, web chat: {web[-1]:.2f} s")
        return {
            "runs": [round(t, 2) for t in times],
            "median_s": round(statistics.median(times), 2),
            "max_s": round(max(times), 2),
            "web_runs": [round(t, 2) for t in web],
            "web_median_s": round(statistics.median(web), 2),
            "web_max_s": round(max(web), 2),
        }


async def idle_rss(make: Callable[[str, str], apps.Target]) -> float:
    """RSS of a target that has started and answered nothing (for scale: what aiogram alone
    takes)."""
    async with ClockedBotAPI() as fake:
        target = make(fake.token, fake.base_url)
        try:
            target.start()
            await apps.wait_up(target)
            await asyncio.sleep(1)
            return round(target.rss_mb(), 1)
        finally:
            target.stop()
            apps.remove(target)


async def prune_forever(fake: ClockedBotAPI) -> None:
    while True:
        await asyncio.sleep(5)
        fake.prune()


async def first_answer(people: People, poster: Poster) -> bool:
    """One update answered: the target works at all before it is loaded."""
    chat_id, update = people.next_update(asyncio.get_running_loop().time())
    await poster.post(update)
    deadline = time.monotonic() + 15
    while chat_id in people.by_chat and time.monotonic() < deadline:  # noqa: ASYNC110 (polled)
        await asyncio.sleep(0.02)
    return chat_id not in people.by_chat


async def answered_after_spawn(target: apps.Target, people: People) -> float:
    """Seconds from spawning the process to the fake receiving the answer to `/start`."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    target.start()
    chat_id, update = people.next_update(began)
    async with Poster(target.url) as poster:
        while await poster.post(update) != 200:
            if (code := target.exited()) is not None:
                raise RuntimeError(f"qonys exited with {code}: {apps.tail(target.log)}")
            if loop.time() - began > 60:
                raise RuntimeError(f"no webhook after 60 s: {apps.tail(target.log)}")
            await asyncio.sleep(0.02)
    while chat_id in people.by_chat:
        if loop.time() - began > 60:
            raise RuntimeError("no answer 60 s after spawning")
        await asyncio.sleep(0.005)
    return people.samples[update["update_id"]].latency + 0  # type: ignore[operator]


async def web_answered_after_spawn(target: apps.Target) -> float:
    """Seconds from spawning the process to the web chat showing the answer to `/start`."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    target.start()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{target.port}", timeout=5) as http:
        while True:
            with contextlib.suppress(httpx.HTTPError):
                sent = await http.post("/api/chat/messages", json={"text": "/start"})
                if sent.status_code == 202:
                    break
            if (code := target.exited()) is not None:
                raise RuntimeError(f"qonys exited with {code}: {apps.tail(target.log)}")
            await asyncio.sleep(0.02)
        while loop.time() - began < 60:
            history = (await http.get("/api/chat/messages")).json()
            if any(m.get("from") == "bot" for m in history.get("messages", [])):
                return loop.time() - began
            await asyncio.sleep(0.005)
    raise RuntimeError("no answer 60 s after spawning")


def memory_report(
    samples: list[tuple[int, float]], lost: int, seconds: float, problems: list[str]
) -> dict[str, Any]:
    end, rss_end = samples[-1]
    half = [s for s in samples if s[0] >= end / 2]
    return {
        "samples": samples,
        "updates": end,
        "rss_half_mb": half[0][1],
        "rss_end_mb": rss_end,
        "slope_mb_per_10k": round(slope(half) * 10_000, 2),
        "lost": lost,
        "updates_per_s": round(end / seconds, 1),
        "log_problems": problems,
    }


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of RSS (MB) per update."""
    if len(points) < 2:
        return 0.0
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def summarise_problems(lines: list[str], keep: int = 5) -> list[str]:
    """Distinct error lines (timestamps dropped) with how often each came."""
    counts: dict[str, int] = {}
    for line in lines:
        key = line.split(" ", 2)[-1] if line[:2].isdigit() else line
        counts[key] = counts.get(key, 0) + 1
    return [f"{n}× {text}" for text, n in list(counts.items())[:keep]]


# ------------------------------------------------------------------ report


def throughput_table(results: list[Search], echo_rate: float) -> str:
    rows = ["| configuration | updates/s at p99 ≤ 200 ms | p50 | p99 | Qonys / echo | notes |",
            "|---|---|---|---|---|---|"]  # fmt: skip
    for r in results:
        if r.failure:
            rows.append(f"| {r.config} | — | — | — | — | failed: {r.failure[:160]} |")
            continue
        ratio = f"{r.rate / echo_rate:.2f}" if echo_rate and "echo" not in r.config else ""
        failed = [s for s in r.steps if not s.passed(P99_TARGET_MS)]
        first_fail = f"fails at {min(s.rate for s in failed):.0f}/s" if failed else ""
        notes = "; ".join(x for x in [first_fail, *r.log_problems[:2]] if x)
        rows.append(f"| {r.config} | **{r.rate:.0f}** | {r.p50_ms:.0f} ms | {r.p99_ms:.0f} ms "
                    f"| {ratio} | {notes[:200]} |")  # fmt: skip
    return "\n".join(rows)


def memory_table(mem: dict[str, Any]) -> str:
    n = mem["updates"]
    head = f"| RSS idle | RSS at {n // 2:,} | RSS at {n:,} | slope over the 2nd half | lost "
    return "\n".join([
        head + "| updates/s | echo bot idle |",
        "|---|---|---|---|---|---|---|",
        f"| {mem['samples'][0][1]} MB | {mem['rss_half_mb']} MB | {mem['rss_end_mb']} MB | "
        f"{mem['slope_mb_per_10k']} MB per 10 000 | {mem['lost']} | {mem['updates_per_s']} "
        f"| {mem['echo_idle_mb']} MB |",
    ])  # fmt: skip


def cold_table(cold: dict[str, Any]) -> str:
    rows = ["| first answer | runs (s) | median | max |", "|---|---|---|---|"]
    for label, key in (("Telegram webhook", ""), ("web chat, no token", "web_")):
        runs = ", ".join(f"{t:.2f}" for t in cold[f"{key}runs"])
        rows.append(f"| {label} | {runs} | {cold[f'{key}median_s']:.2f} s | "
                    f"{cold[f'{key}max_s']:.2f} s |")  # fmt: skip
    return "\n".join(rows)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    mode = QUICK if args.quick else FULL
    if args.seconds:
        mode.seconds = args.seconds
    bench = Bench(mode, args.rate)
    report: dict[str, Any] = {"mode": "quick" if args.quick else "full"}
    parts = set(args.only.split(",")) if args.only else {"throughput", "memory", "coldstart"}
    if "throughput" in parts:
        report["throughput"] = await throughput(bench, args.targets.split(","), args.workers)
    if "memory" in parts:
        say("memory of one embedded process:")
        report["memory"] = await bench.memory()
    if "coldstart" in parts:
        say("cold start:")
        report["coldstart"] = await bench.cold_start()
    return report


async def throughput(bench: Bench, targets: list[str], workers: list[int]) -> list[Search]:
    configs: list[tuple[str, Callable[[str, str], apps.Target]]] = []
    if "echo" in targets:
        configs.append(("aiogram echo (baseline)", apps.echo))
    if "sqlite" in targets:
        configs.append(("Qonys, SQLite, 1 process", lambda t, b: apps.qonys(t, b)))
    for n in workers if "postgres" in targets else []:
        name = f"Qonys, PostgreSQL+Redis, {n} worker{'s' if n > 1 else ''}"
        configs.append((name, lambda t, b, n=n: apps.qonys(t, b, backend="postgres", workers=n)))
    results = []
    for name, make in configs:
        say(f"throughput: {name}")
        if "PostgreSQL" in name:
            await apps.reset_postgres_and_redis()
        results.append(await bench.search(name, make))
    return results


def markdown(report: dict[str, Any]) -> str:
    out = [f"Webhook benchmark ({report['mode']} mode)", ""]
    if results := report.get("throughput"):
        echo = next((r.rate for r in results if "echo" in r.config and not r.failure), 0.0)
        out += [throughput_table(results, echo), ""]
    if mem := report.get("memory"):
        out += [memory_table(mem), *(f"log: {p}" for p in mem["log_problems"]), ""]
    if cold := report.get("coldstart"):
        out += [cold_table(cold), ""]
    return "\n".join(out)


def plain(value: Any) -> Any:
    """JSON-ready: dataclasses as dicts, infinity (never answered) as null."""
    if isinstance(value, Step | Search):
        value = asdict(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--quick", action="store_true", help="short runs, a few minutes in all")
    parser.add_argument("--only", help="throughput, memory or coldstart (comma-separated)")
    parser.add_argument("--workers", default="1,2,4",
                        help="PostgreSQL+Redis worker counts, e.g. 1,2 ('' for none)")  # fmt: skip
    parser.add_argument(
        "--targets",
        default="echo,sqlite,postgres",
        help="which bots to load: echo, sqlite, postgres (comma-separated)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="one run at this rate instead of the search (to look closely)",
    )
    parser.add_argument("--seconds", type=float, default=0.0, help="length of each run")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    args = parser.parse_args()
    args.workers = [int(n) for n in args.workers.split(",") if n.strip()]
    report = uvloop.run(run(args))
    if args.json:
        print(json.dumps(plain(report), ensure_ascii=False, indent=1))
    else:
        print(markdown(report))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()

"""The processes bench/webhooks.py measures: `qonys run` in webhook mode (embedded SQLite, or
PostgreSQL and Redis with N workers) and the bare aiogram echo bot, each on loopback against
the fake Bot API; their logs, health and memory."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg
from redis.asyncio import Redis

from bench.webhook_load import SECRET

BIN = Path(sys.executable).parent
PG_SERVER = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
PG_DATABASE = "bench"  # never `test`, which the test suite resets
REDIS_URL = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/13")
WEBHOOK_PATH = "/webhooks/telegram"
PROBLEM = re.compile(r"\b(ERROR|CRITICAL|Traceback)\b")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Target:
    """Something that answers Telegram webhooks: how to start it and where it listens."""

    name: str
    argv: list[str]
    env: dict[str, str]
    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{WEBHOOK_PATH}"

    @property
    def log(self) -> Path:
        return self.folder / "app.log"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [*self.argv, "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.log, "ab"),  # noqa: SIM115 (the child owns it)
            start_new_session=True,  # uvicorn's workers go down with their supervisor
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def problems(self) -> list[str]:
        """Log lines that report errors (the first of each kind, with counts)."""
        if not self.log.exists():
            return []
        lines = self.log.read_text(errors="replace").splitlines()
        return [line[:300] for line in lines if PROBLEM.search(line)]

    def pids(self) -> list[int]:
        """The process and its children (uvicorn's workers)."""
        assert self.process is not None
        found = [self.process.pid]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    found.append(int(stat.parent.name))
        return found

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by the process and its children."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def rss_mb(self) -> float:
        """Resident memory of the process (one-process runs), from /proc."""
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kb = int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))  # type: ignore[union-attr]
        return kb / 1024


# `qonys run` under cProfile; uvicorn re-raises SIGTERM after its shutdown, which would kill
# the process before the statistics are written.
PROFILED = """import cProfile, signal, sys
from bot.cli import main
signal.raise_signal = lambda _: None
profile = cProfile.Profile()
profile.enable()
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    profile.disable()
    profile.dump_stats({path!r})
"""


def fake_env(fake_token: str, fake_base: str) -> dict[str, str]:
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake_token,
        "TELEGRAM_API_BASE": fake_base,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
    }


def qonys(
    fake_token: str, fake_base: str, *, backend: str = "sqlite", workers: int = 1,
    redis_url: str = REDIS_URL,
) -> Target:  # fmt: skip
    """`qonys run` in webhook mode. Qonys's own pacing stays at Telegram's per-chat limit, but
    its overall 30 msg/s is lifted: at that limit the benchmark would measure the limit."""
    folder = Path(tempfile.mkdtemp(prefix="qonys-bench-webhooks-"))
    database = (
        f"sqlite+aiosqlite:///{folder / 'qonys.db'}"
        if backend == "sqlite"
        else f"postgresql+asyncpg://{PG_SERVER.split('://', 1)[1]}/{PG_DATABASE}"
    )
    env = {
        **fake_env(fake_token, fake_base),
        "DATABASE_URL": database,
        "DATA_DIR": str(folder),
        "SECRET_KEY": "bench",
        "TELEGRAM_RATE_GLOBAL": "100000",
        "LOG_LEVEL": "WARNING",
    }
    if backend != "sqlite":
        env["REDIS_URL"] = redis_url
    name = "SQLite, 1 process" if backend == "sqlite" else f"PostgreSQL+Redis, {workers} worker(s)"
    argv = [str(BIN / "qonys"), "run", "--workers", str(workers)]
    if profile := os.environ.get("BENCH_PROFILE"):  # where one process's cProfile stats go
        argv = [sys.executable, "-c", PROFILED.format(path=profile), "run", "--workers", "1"]
    target = Target(name=name, argv=argv, env=env, folder=folder)
    target.env["PUBLIC_URL"] = f"http://127.0.0.1:{target.port}"
    return target


def echo(fake_token: str, fake_base: str) -> Target:
    folder = Path(tempfile.mkdtemp(prefix="qonys-bench-echo-"))
    argv = [sys.executable, "-m", "bench.echo_bot"]
    return Target("aiogram echo (baseline)", argv, fake_env(fake_token, fake_base), folder)


async def reset_postgres_and_redis(redis_url: str = REDIS_URL) -> None:
    """A fresh `bench` database (created if missing) and an empty Redis database."""
    server = await asyncpg.connect(f"{PG_SERVER}/postgres")
    try:
        if not await server.fetchval("SELECT 1 FROM pg_database WHERE datname=$1", PG_DATABASE):
            await server.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    finally:
        await server.close()
    bench = await asyncpg.connect(f"{PG_SERVER}/{PG_DATABASE}")
    try:
        await bench.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    finally:
        await bench.close()
    redis = Redis.from_url(redis_url)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()


async def wait_up(target: Target, limit: float = 120.0) -> None:
    """Until the target answers /healthz; raises if it exits or takes longer than `limit`."""
    deadline = time.monotonic() + limit
    health = f"http://127.0.0.1:{target.port}/healthz"
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if (code := target.exited()) is not None:
                raise RuntimeError(f"{target.name} exited with {code}: {tail(target.log)}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(health) as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{target.name} not up after {limit:.0f} s: {tail(target.log)}")


def tail(path: Path, lines: int = 8) -> str:
    if not path.exists():
        return ""
    return " | ".join(path.read_text(errors="replace").splitlines()[-lines:])


def remove(target: Target) -> None:
    shutil.rmtree(target.folder, ignore_errors=True)

"""A smoke run of bench/webhooks.py's machinery against its aiogram echo baseline: the load
generator, the fake Bot API that clocks replies and the rate search work together (about 10 s)."""

from __future__ import annotations

import math

from bench import webhook_apps as apps
from bench.webhooks import Bench, Mode


async def test_the_echo_baseline_answers_every_update_and_the_search_finds_a_rate() -> None:
    tiny = Mode(seconds=1.5, warmup=0.5, bisections=0, memory_updates=0, memory_every=1,
                cold_runs=0, start_rate=40, max_rate=80)  # fmt: skip
    result = await Bench(tiny).search("echo", apps.echo)

    assert not result.failure, result.failure
    assert result.steps[0].rate == 40
    for step in result.steps:  # a busy machine may fail the latency target, never these
        assert step.sent > 0 and step.lost == 0 and step.errors == 0
        assert step.answered == sum(step.kinds.values())
        assert math.isfinite(step.p50_ms) and math.isfinite(step.p99_ms)
    assert not result.log_problems  # the echo bot logged no error

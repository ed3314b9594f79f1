"""Search quality and speed on the labelled questions in bench/queries.jsonl.

For each spelling variant (kk, kk_ru, kk_lat, ru, en, mixed): top-1 and top-3 accuracy (the
right topic and region), for Qonys's index and for a plain rapidfuzz WRatio baseline over
the same sections (title and questions), run in the same process. Then query latency of the
index with the whole package loaded.

The even-numbered questions are the development half: search and content were tuned by
looking at their misses (`--misses`). The odd-numbered half was never looked at; its
accuracy is reported separately as "held-out".

    .venv/bin/python -m bench.search_quality [--json | --misses]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from content.loader import load
from content.search import Index

QUERIES = Path(__file__).with_name("queries.jsonl")
# The questions from here on (2026-12) were written for towns, scripts and long messages by
# someone who had not read the content; they keep the same even/odd halves.
FIRST_NEW = 554
TARGETS = {"top1": 0.90, "top3": 0.97, "p99_ms": 5.0}


def load_queries() -> list[dict]:
    return [
        json.loads(line)
        for line in QUERIES.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def label(q: dict) -> tuple[str, str | None]:
    return q["topic"], q["region"]


def qonys_ranker(index: Index):  # type: ignore[no-untyped-def]
    """The handler's own entry point: a whole message, its questions and their places."""

    def rank(text: str) -> list[tuple[str, str | None]]:
        return [(r.topic, r.region) for r in index.ask(text, k=3).results]

    return rank


def also_offered(index: Index, q: dict) -> bool:
    """A two-question message: its second question is offered as a button."""
    asked = index.ask(q["q"], k=3)
    want = (q["also"]["topic"], q["also"]["region"])
    return want in [(r.topic, r.region) for r in asked.also]


def wratio_ranker(index: Index):  # type: ignore[no-untyped-def]
    lib = index.lib
    choices = {}
    for (key, lang), e in lib.entries.items():
        choices[(key, lang)] = " ".join([e.title, *e.questions])

    def rank(text: str) -> list[tuple[str, str | None]]:
        found = process.extract(
            text, choices, scorer=fuzz.WRatio, processor=utils.default_process, limit=30
        )
        out: list[tuple[str, str | None]] = []
        for _, _, (key, _lang) in found:
            scope, topic = key.split("/", 1)
            item = (topic, None if scope == "programme" else scope)
            if item not in out:
                out.append(item)
        return out[:3]

    return rank


def accuracy(rank, queries: list[dict]) -> dict[str, dict[str, float]]:  # type: ignore[no-untyped-def]
    """Top-1 and top-3 per variant and per half; `places`: the region of the first answer
    is right when the question names a town (the 2026-12 set)."""
    hits: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for n, q in enumerate(queries):
        ranked = rank(q["q"])
        hit = (ranked[:1] == [label(q)], label(q) in ranked[:3])
        half = "held-out" if n % 2 else "dev"
        groups = [q["variant"], "all", half]
        groups.append(f"{'new' if n >= FIRST_NEW else 'first'} {half}")
        if q.get("place"):
            region_right = bool(ranked) and ranked[0][1] == q["region"]
            hits[f"places {half}"].append((region_right, region_right))
        for group in groups:
            hits[group].append(hit)
    return {
        v: {
            "n": len(h),
            "top1": sum(a for a, _ in h) / len(h),
            "top3": sum(b for _, b in h) / len(h),
        }
        for v, h in sorted(hits.items())
    }


def latency_ms(index: Index, queries: list[dict], rounds: int = 5) -> dict[str, float]:
    times = []
    for _ in range(rounds):
        for q in queries:
            start = time.perf_counter()
            index.ask(q["q"], k=3)
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "p50_ms": statistics.median(times),
        "p99_ms": times[int(len(times) * 0.99) - 1],
        "queries": len(times),
    }


def misses(index: Index, queries: list[dict]) -> list[str]:
    rank = qonys_ranker(index)
    out = []
    for q in queries[::2]:  # the development half only
        ranked = rank(q["q"])
        if "also" in q and not also_offered(index, q):
            out.append(f"{q['variant']:6} {q['q']!r}: second question {q['also']} not offered")
        if ranked[:1] != [label(q)]:
            out.append(f"{q['variant']:6} {q['q']!r}: want {label(q)}, got {ranked[:3]}")
    return out


def main() -> None:
    lib, _ = load()
    start = time.perf_counter()
    index = Index(lib)
    build_ms = (time.perf_counter() - start) * 1000
    queries = load_queries()
    report = {
        "queries": len(queries),
        "sections": len(lib.entries),
        "index_build_ms": round(build_ms, 1),
        "qonys": accuracy(qonys_ranker(index), queries),
        "wratio_baseline": accuracy(wratio_ranker(index), queries),
        "latency": latency_ms(index, queries),
        "also": {
            half: sum(also_offered(index, q) for q in two) / max(1, len(two))
            for half, two in (
                ("dev", [q for q in queries[::2] if "also" in q]),
                ("held-out", [q for q in queries[1::2] if "also" in q]),
            )
        },
    }
    if "--json" in sys.argv:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    if "--misses" in sys.argv:
        print("\n".join(misses(index, queries)))
        return
    n, sections = report["queries"], report["sections"]
    print(f"{n} queries, {sections} sections, index built in {build_ms:.0f} ms")
    print(f"{'variant':8} {'n':>4}  {'top-1':>7} {'top-3':>7}   {'WRatio top-1':>12} {'top-3':>7}")
    order = ["all", "dev", "held-out", "first dev", "first held-out", "new dev", "new held-out"]
    order += ["kk", "kk_ru", "kk_lat"]
    order += ["ru", "en", "mixed", "kk_arab", "long", "two"]
    for variant in order:
        row = report["qonys"][variant]
        base = report["wratio_baseline"][variant]
        print(
            f"{variant:8} {row['n']:>4}  {row['top1']:>7.1%} {row['top3']:>7.1%}   "
            f"{base['top1']:>12.1%} {base['top3']:>7.1%}"
        )
    for half in ("dev", "held-out"):
        places = report["qonys"][f"places {half}"]
        print(f"town named, region right ({half}): {places['top1']:.1%} of {places['n']}")
        print(f"second question offered ({half}): {report['also'][half]:.1%}")
    lat = report["latency"]
    p50, p99 = lat["p50_ms"], lat["p99_ms"]
    print(f"latency: p50 {p50:.2f} ms, p99 {p99:.2f} ms over {lat['queries']} queries")


if __name__ == "__main__":
    main()

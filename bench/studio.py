"""The content studio: how long checking an edited page takes (what an editor waits for as
they type: every Kazakh page of the package, p50/p95/max), checking a whole checklist file,
and how long a publish takes to become what the bot answers from (write the version's folder,
build the package, search index included), against the time of a question in the same run.

    .venv/bin/python -m bench.studio
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from content import validate
from content.loader import ROOT
from content.overlay import materialise
from content.package import get_package, install


def _ms(samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    return f"p50 {statistics.median(samples):.0f} ms, p95 {p95:.0f} ms, max {samples[-1]:.0f} ms"


def main() -> None:
    package = get_package()
    lib = package.lib
    pages = [(str(e.path.relative_to(ROOT)), e.path.read_text(encoding="utf-8"))
             for e in lib.entries.values() if e.lang == "kk"]  # fmt: skip
    checks = []
    for doc, text in pages:
        start = time.perf_counter()
        validate.page(doc, text, lib)
        checks.append((time.perf_counter() - start) * 1000)
    print(f"check one page as typed ({len(pages)} Kazakh pages): {_ms(checks)}")
    text = (ROOT / "checklists" / "arrival.yaml").read_text(encoding="utf-8")
    start = time.perf_counter()
    validate.tree_file("checklists/arrival.yaml", text, lib)
    took = (time.perf_counter() - start) * 1000
    print(f"check a checklist file in a copy of the package: {took:.0f} ms")
    doc, page = pages[0]
    start = time.perf_counter()
    for _ in range(20):
        package.index.search("Павлодарда пәтер жалдау қанша тұрады?", "kk")
    question = (time.perf_counter() - start) / 20 * 1000
    folder = Path(tempfile.mkdtemp(prefix="studio-"))
    start = time.perf_counter()
    root = materialise({doc: page.replace("\n---\n", "\n---\nӨзгерген сөйлем.\n\n", 1)}, 1, folder)
    written = time.perf_counter() - start
    start = time.perf_counter()
    install(root)
    built = time.perf_counter() - start
    install(ROOT)
    print(f"publish to live: write the version {written:.2f} s, build the package {built:.2f} s")
    print(f"(questions meanwhile answered from the previous one; a search takes {question:.1f} ms)")


if __name__ == "__main__":
    main()

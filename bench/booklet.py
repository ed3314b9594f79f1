"""The printed booklet: how long one takes to draw (A4, and A5 imposed for folding), its pages
and size, and how long finding an already drawn one takes. One region in Kazakh by default.

    .venv/bin/python -m bench.booklet [--region north_kazakhstan] [--lang kk]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

from pypdf import PdfReader

from content import booklet
from content.loader import load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", default="north_kazakhstan")
    parser.add_argument("--lang", default="kk", choices=booklet.LANGS)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    lib = load()[0]
    link = f"https://t.me/qonys_bot?start=booklet_{args.region}"
    folder = Path(tempfile.mkdtemp(prefix="booklets-"))
    print(f"{args.region}, {args.lang}")
    print("size  draw s  pages  sheet sides  KB    found again ms")
    for size in booklet.SIZES:
        start = time.perf_counter()
        path = booklet.build(lib, args.region, args.lang, size, folder, link)
        drawn = time.perf_counter() - start
        start = time.perf_counter()
        booklet.build(lib, args.region, args.lang, size, folder, link)
        again = (time.perf_counter() - start) * 1000
        sides = len(PdfReader(path).pages)
        pages = sides * 2 if size == "A5" else sides
        kb = path.stat().st_size // 1024
        print(f"{size:4}  {drawn:6.2f}  {pages:5}  {sides:11}  {kb:4}  {again:14.0f}")


if __name__ == "__main__":
    main()

"""What reading Kazakh in Latin or Arabic letters costs: every Kazakh page of the package,
rendered as the bot sends it, transliterated to each script (content.scripts.render), and
the round trip of every page's words through each script.

    .venv/bin/python -m bench.scripts
"""

from __future__ import annotations

import statistics
import time

from content.package import get_package
from content.scripts import from_arabic, from_latin, render


def main() -> None:
    p = get_package()
    pages = [
        p.renderer.render(e, part, "html")
        for (_, lang), e in sorted(p.lib.entries.items())
        if lang == "kk"
        for part in ("short", "more")
    ]
    chars = sum(len(t) for t in pages)
    print(f"{len(pages)} Kazakh page parts, {chars} characters")
    for script in ("cyrl", "latn", "arab"):
        times = []
        for text in pages:
            start = time.perf_counter()
            render(text, script)
            times.append((time.perf_counter() - start) * 1000)
        per_k = sum(times) / chars * 1000
        print(
            f"{script}: median {statistics.median(times):.3f} ms a part, "
            f"max {max(times):.2f} ms, {per_k:.3f} ms per 1 000 characters"
        )
    words = {w for text in pages for w in text.split() if w.isalpha() and w.islower()}
    cyrillic = [w for w in words if all("а" <= c <= "я" or c in "әғқңөұүһіё" for c in w)]
    for script, back in (("latn", from_latin), ("arab", from_arabic)):
        same = sum(back(render(w, script)) == w for w in cyrillic)
        print(f"{script}: {same / len(cyrillic):.1%} of {len(cyrillic)} words come back the same")


if __name__ == "__main__":
    main()

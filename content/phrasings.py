"""People's own words added to a page's `questions:` (the search learns from them), written
into the front matter as lines, so the rest of the file stays exactly as it was."""

from __future__ import annotations

import json


def add_questions(text: str, questions: list[str]) -> str:
    """The page with `questions` appended to its front matter's list (new ones only)."""
    head, sep, body = text[4:].partition("\n---\n")
    lines = head.split("\n")
    have = {line.strip()[2:].strip().strip('"') for line in lines if line.startswith("  - ")}
    new = [q.strip() for q in dict.fromkeys(questions) if q.strip() and q.strip() not in have]
    if not new:
        return text
    items = [f"  - {json.dumps(q, ensure_ascii=False)}" for q in new]  # JSON strings are YAML
    if "questions:" in lines:
        at = lines.index("questions:") + 1
        while at < len(lines) and lines[at].startswith("  - "):
            at += 1
        lines[at:at] = items
    else:
        lines += ["questions:", *items]
    return "---\n" + "\n".join(lines) + sep + body

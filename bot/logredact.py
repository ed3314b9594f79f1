"""Keep secrets and personal identifiers out of the server's log lines.

The access log would otherwise carry WhatsApp's verify token (`?hub.verify_token=…`),
application numbers (`/applications/KZ-PAV-1`, `?number=…`) and whatever else a URL holds.
Query strings are dropped and identifiers in paths replaced, in every access-log line and in
the app's own lines that name a path.
"""

from __future__ import annotations

import logging
import re

# Path segments that are someone's identifier: application numbers in the console and API.
_IDENTIFIERS = re.compile(r"(/applications/)[^/?#]+")


def redact_path(path: str) -> str:
    path, query = path.split("?", 1)[0], "?" in path
    return _IDENTIFIERS.sub(r"\1…", path) + ("?…" if query else "")


class RedactAccessLog(logging.Filter):
    """uvicorn.access records carry (client, method, path, http version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_path(args[2]), *args[3:])
        return True


def install() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactAccessLog) for f in access.filters):
        access.addFilter(RedactAccessLog())

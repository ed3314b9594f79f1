"""The loaded package, once per process: library, renderer and search index together."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import lru_cache

from content.loader import load
from content.model import Library
from content.render import Renderer
from content.search import Index

log = logging.getLogger(__name__)


@dataclass
class Package:
    lib: Library
    renderer: Renderer
    index: Index


_building = threading.Lock()


def get_package() -> Package:
    """The package, built once. The server builds it in a thread as it starts; a question
    that arrives meanwhile waits for that build instead of starting a second one."""
    with _building:
        return _build()


@lru_cache(maxsize=1)
def _build() -> Package:
    lib, problems = load()
    for problem in problems:  # `qonys content check` fails on these; the bot serves the rest
        log.warning("%s", problem)
    return Package(lib=lib, renderer=Renderer(lib), index=Index(lib))

"""The loaded package, once per process: library, renderer and search index together."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from content.loader import ROOT, load
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
_live: dict[str, Package] = {}  # "package": the one questions are answered from


# Within one update every call returns the package of its first call, so an answer is never
# made of two versions when a publish swaps the package meanwhile (see pin_package).
_pinned: ContextVar[list[Package] | None] = ContextVar("pinned_package", default=None)


@contextmanager
def package_pinned() -> Iterator[None]:
    """Inside: every get_package() returns the package of the first one (an update's
    handling), whatever a publish installs meanwhile."""
    token = _pinned.set([])
    try:
        yield
    finally:
        _pinned.reset(token)


def get_package() -> Package:
    """The package, built once. The server builds it in a thread as it starts; a question
    that arrives meanwhile waits for that build instead of starting a second one."""
    pinned = _pinned.get()
    if pinned:
        return pinned[0]
    with _building:
        if "package" not in _live:
            _live["package"] = build(ROOT)
        package = _live["package"]
    if pinned is not None:
        pinned.append(package)
    return package


def build(root: Path) -> Package:
    lib, problems = load(root)
    for problem in problems:  # `qonys content check` fails on these; the bot serves the rest
        log.warning("%s", problem)
    return Package(lib=lib, renderer=Renderer(lib), index=Index(lib))


def install(root: Path) -> Package:
    """Answer from the package in `root` from now on. It is built first, outside the lock:
    a question asked meanwhile is answered from the previous package, never an error."""
    from content.procedures import install_procedures
    from content.questionnaire import install_questionnaires

    package = build(root)
    install_procedures(root)
    install_questionnaires(root / "questionnaire")
    with _building:
        _live["package"] = package
    return package

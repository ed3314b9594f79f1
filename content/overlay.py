"""The package as published: the content shipped with the code, with the texts staff have
published in the console written over it, in a folder of its own per version.

Each version is written to a temporary folder and renamed into place, so a worker never
loads a half-written tree; several workers making the same version make the same folder (the
first rename wins). The last few versions are kept: a worker still answering from the
previous one keeps its files.
"""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

import yaml

from content.loader import ROOT

FACT = "fact:"
SOURCE = "source:"
KEEP = 3


def folder_for(base: Path, version: int) -> Path:
    return base / f"v{version}"


def materialise(published: dict[str, str], version: int, into: Path, root: Path = ROOT) -> Path:
    """The tree of `version`: `root` with every published document written over it."""
    target = folder_for(into, version)
    if target.is_dir():
        return target
    into.mkdir(parents=True, exist_ok=True)
    tmp = into / f".v{version}-{secrets.token_hex(4)}"
    write_tree(published, tmp, root)
    try:
        tmp.rename(target)
    except OSError:  # another worker made it first: theirs is the same tree
        shutil.rmtree(tmp, ignore_errors=True)
    prune(into, version)
    return target


def write_tree(published: dict[str, str], dest: Path, root: Path = ROOT) -> None:
    """`root` copied to `dest` (the content files only) with the published texts over it."""
    shutil.copytree(root, dest, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    facts: dict[str, dict[str, str]] = {}
    sources: dict[str, str] = {}
    for doc, body in published.items():
        if doc.startswith(SOURCE):
            sources[doc[len(SOURCE) :]] = body
        elif doc.startswith(FACT):
            prefix, _, fid = doc[len(FACT) :].partition(".")
            facts.setdefault(prefix, {})[fid] = body
        else:
            (dest / doc).write_text(body, encoding="utf-8")
    for prefix, specs in facts.items():
        path = dest / "facts" / f"{prefix}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for fid, body in specs.items():
            data[fid] = yaml.safe_load(body)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    _write_sources(dest, sources)


def _write_sources(dest: Path, sources: dict[str, str]) -> None:
    """Each source where it is defined; a new one in the shared content/sources.yaml."""
    files = {p: yaml.safe_load(p.read_text(encoding="utf-8")) or {}
             for p in sorted(dest.rglob("sources*.yaml"))}  # fmt: skip
    for sid, body in sources.items():
        home = next((p for p, data in files.items() if sid in data), dest / "sources.yaml")
        files.setdefault(home, {})[sid] = yaml.safe_load(body)
        home.write_text(yaml.safe_dump(files[home], allow_unicode=True, sort_keys=False), "utf-8")


def documents(root: Path) -> dict[str, str]:
    """Every page (its text) and every fact (its YAML) of a content tree, by document id."""
    docs = {}
    for path in sorted([*root.glob("programme/*.md"), *root.glob("regions/*/*.md")]):
        docs[str(path.relative_to(root))] = path.read_text(encoding="utf-8")
    for path in sorted((root / "facts").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for fid, spec in data.items():
            docs[f"{FACT}{path.stem}.{fid}"] = fact_text(spec)
    return docs


def fact_text(spec: object) -> str:
    """A fact's YAML as the studio shows and stores it."""
    return yaml.safe_dump(spec, allow_unicode=True, sort_keys=False, width=100)


def prune(into: Path, newest: int) -> None:
    """Drop versions older than the last few, and temporary folders left by a crash."""
    versions = sorted(
        (int(p.name[1:]) for p in into.glob("v*") if p.name[1:].isdigit()), reverse=True
    )
    for old in versions[KEEP:]:
        if old < newest:
            shutil.rmtree(folder_for(into, old), ignore_errors=True)

"""YAML for the content: libyaml's C parser where PyYAML was built with it (about seven times
faster on the package's hundreds of files), the pure-Python one otherwise. Safe either way."""

from __future__ import annotations

from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)

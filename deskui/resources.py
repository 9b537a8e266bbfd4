"""Where the shipped data lives: the repository checkout, or the installed package."""

from __future__ import annotations

import sys
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parent.parent


def _locate(name: str) -> Path:
    # In a checkout (editable install) the top-level folder is next to the package;
    # a wheel installs it under <prefix>/share/deskui/<name> (pyproject data-files).
    candidates = (_REPO_ROOT / name, Path(sys.prefix) / "share" / "deskui" / name,
                  Path(sys.base_prefix) / "share" / "deskui" / name)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[0]


def sample_data_dir() -> Path:
    return _locate("sample_data")


def themes_dir() -> Path:
    return _locate("themes")

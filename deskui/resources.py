"""Where the shipped data lives: the repository checkout, or the installed package."""

from __future__ import annotations

from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parent.parent


def _locate(name: str) -> Path:
    # In a checkout (editable install) the top-level folder is next to the package;
    # in a wheel it is installed as deskui/_shipped/<name>.
    candidates = (_REPO_ROOT / name, Path(__file__).resolve().parent / "_shipped" / name)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[0]


def sample_data_dir() -> Path:
    return _locate("sample_data")


def themes_dir() -> Path:
    return _locate("themes")

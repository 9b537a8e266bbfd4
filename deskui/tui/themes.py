"""Themes are data (DESIGN.md §5): TOML files turned into Textual ``Theme`` objects.

Shipped themes live in ``themes/`` (deskui.resources.themes_dir()); a user's own
in ``<config dir>/themes/*.toml`` and win over a shipped theme of the same name.
A file that cannot be read gives one error line (shown as a notification) and
is skipped; the app then falls back to the default theme, never crashes.

A theme file::

    name = "my-theme"          # optional, defaults to the file name
    dark = true
    primary = "#4C9AFF"        # Textual base colours: primary, secondary, ...
    [variables]
    sla-breached = "#FF6B61"   # deskui's semantic colours (SEMANTIC_DEFAULTS)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

DEFAULT_THEME = "deskui-dark"

BASE_COLOURS = ("primary", "secondary", "warning", "error", "success", "accent", "foreground", "background",
                "surface", "panel", "boost")
_NUMBERS = ("luminosity_spread", "text_alpha")
_KNOWN_KEYS = {"name", "dark", "variables", *BASE_COLOURS, *_NUMBERS}

# Every semantic variable app.tcss uses, with a value that works on any
# background; a theme that leaves one out still parses.
SEMANTIC_DEFAULTS: dict[str, str] = {
    "sla-ok": "#3FB950",
    "sla-at-risk": "#D29922",
    "sla-breached": "#F85149",
    "sla-paused": "#8B949E",
    "sla-met": "#58A6FF",
    "priority-1": "#F85149",
    "priority-2": "#F0883E",
    "priority-3": "#A0A8B0",
    "priority-4": "#8B949E",
    "queue-cursor": "#2F5A8F",
    "queue-marked": "#F0883E",
    "queue-header": "#8B949E",
    "muted": "#8B949E",
}

# Used when even the shipped default file is missing or broken.
FALLBACK = Theme(
    name=DEFAULT_THEME, dark=True, primary="#4C9AFF", secondary="#6E7681", accent="#F0883E",
    foreground="#D7DCE2", background="#0E1116", surface="#151A21", panel="#1D2430",
    success="#3FB950", warning="#D29922", error="#F85149", variables=dict(SEMANTIC_DEFAULTS),
)


class ThemeFileError(ValueError):
    """One line naming the file and what is wrong with it."""


@dataclass
class LoadedThemes:
    themes: dict[str, Theme] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def theme_from_toml(path: Path) -> Theme:
    """Read one theme file; raise ThemeFileError with a one-line reason."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ThemeFileError(f"theme {path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ThemeFileError(f"theme {path}: not valid TOML: {exc}") from None
    return theme_from_mapping(data, path)


def theme_from_mapping(data: dict, path: Path) -> Theme:
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise ThemeFileError(
            f"theme {path}: unknown key {unknown[0]!r}; keys: name, dark, {', '.join(BASE_COLOURS)}, "
            f"{', '.join(_NUMBERS)}, [variables]"
        )
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not name.strip():
        raise ThemeFileError(f"theme {path}: name: must be a non-empty string")
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ThemeFileError(f"theme {path}: dark: must be true or false, not {dark!r}")
    colours = {key: _colour(path, key, data[key]) for key in BASE_COLOURS if key in data}
    if "primary" not in colours:
        raise ThemeFileError(f"theme {path}: primary: a theme needs at least a primary colour")
    numbers = {}
    for key in _NUMBERS:
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ThemeFileError(f"theme {path}: {key}: must be a number from 0 to 1, not {value!r}")
            numbers[key] = float(value)
    raw_variables = data.get("variables", {})
    if not isinstance(raw_variables, dict):
        raise ThemeFileError(f"theme {path}: variables: must be a table ([variables])")
    variables = dict(SEMANTIC_DEFAULTS)
    for key, value in raw_variables.items():
        variables[str(key)] = _colour(path, f"variables.{key}", value)
    return Theme(name=name.strip(), dark=dark, variables=variables, **colours, **numbers)


def _colour(path: Path, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ThemeFileError(f"theme {path}: {key}: must be a colour string such as \"#4C9AFF\", not {value!r}")
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeFileError(f"theme {path}: {key}: {value!r} is not a colour (use #rrggbb or a colour name)") from None
    return value


def theme_folders() -> list[Path]:
    """Shipped first, then the user's (later files override earlier names)."""
    from deskui.config import config_dir
    from deskui.resources import themes_dir

    return [themes_dir(), config_dir() / "themes"]


def load_themes(folders: list[Path] | None = None) -> LoadedThemes:
    """Every readable theme in ``folders``; errors are collected, not raised."""
    result = LoadedThemes()
    result.themes[DEFAULT_THEME] = FALLBACK
    for folder in folders if folders is not None else theme_folders():
        try:
            paths = sorted(folder.glob("*.toml")) if folder.is_dir() else []
        except OSError as exc:
            result.errors.append(f"themes folder {folder}: {exc}")
            continue
        for path in paths:
            try:
                theme = theme_from_toml(path)
            except ThemeFileError as exc:
                result.errors.append(str(exc))
                continue
            result.themes[theme.name] = theme
    return result


def semantic_colour(app, name: str) -> str:
    """The current theme's value for a semantic variable (for rich Styles)."""
    return app.theme_variables.get(name) or SEMANTIC_DEFAULTS.get(name, "default")

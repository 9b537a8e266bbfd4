"""Settings: database URL, user, theme and metric targets.

Resolution order for each: command-line flag, environment variable, user config
file (``config.toml`` in the user config directory), default. Nothing is read at
import time. Every key of config.toml is documented, with an example, in the
README ("The config file").

deskui writes one key itself: ``theme``, when the user chooses a theme in the
app (:func:`save_theme`). That edits the one line and leaves the rest of the
file (comments, order, tables) as it was.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

APP_NAME = "deskui"


def config_dir() -> Path:
    override = os.environ.get("DESKUI_CONFIG_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    override = os.environ.get("DESKUI_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))


def default_db_path() -> Path:
    return data_dir() / "deskui.db"


def default_db_url() -> str:
    return f"sqlite:///{default_db_path()}"


def demo_db_url() -> str:
    return f"sqlite:///{data_dir() / 'demo.db'}"


@dataclass
class Settings:
    db_url: str
    user: str
    user_declared: bool = True  # named by --as / DESKUI_USER / config (False: the OS login)
    theme: str = "deskui-dark"
    keymap: dict[str, str] = field(default_factory=dict)
    targets: dict[str, float] = field(default_factory=dict)
    raw: dict = field(default_factory=dict)


def load_user_config() -> dict:
    path = config_path()
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        from deskui.errors import ValidationError

        raise ValidationError(f"{path}: {exc}") from None


def config_path() -> Path:
    return config_dir() / "config.toml"


_TABLE_HEADER = re.compile(r"\s*\[")
_STRING = r'"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\''


def with_top_level_string(text: str, key: str, value: str) -> str:
    """``text`` (a TOML document) with the top-level ``key = "value"`` set: its own
    line replaced (a comment after it kept), or a new line before the first table.
    ValueError when ``text`` is not TOML or the change cannot be made by one line."""
    before = tomllib.loads(text)  # TOMLDecodeError is a ValueError
    line = f"{key} = {json.dumps(value)}"
    assignment = re.compile(rf"(\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=\s*)(?:{_STRING})(.*)")
    lines = text.splitlines(keepends=True)
    first_table = next((n for n, text_line in enumerate(lines) if _TABLE_HEADER.match(text_line)), len(lines))
    for n, text_line in enumerate(lines[:first_table]):
        if match := assignment.fullmatch(text_line.rstrip("\r\n")):
            ending = text_line[len(text_line.rstrip("\r\n")):]
            lines[n] = f"{line}{match.group(2)}{ending or chr(10)}"
            break
    else:
        # After the last top-level key: blank lines and the comments above a table stay with it.
        at = first_table
        while at > 0 and (not lines[at - 1].strip() or lines[at - 1].lstrip().startswith("#")):
            at -= 1
        if at and not lines[at - 1].endswith("\n"):
            lines[at - 1] += "\n"
        lines.insert(at, line + "\n")
    after = "".join(lines)
    try:
        changed = tomllib.loads(after)
    except tomllib.TOMLDecodeError:
        changed = None
    if changed != {**before, key: value}:
        raise ValueError(f"cannot set {key} by editing one line; set {line} at the top of the file yourself")
    return after


def save_theme(name: str) -> Path:
    """Remember ``name`` as the theme for the next start: ``theme = "name"`` in
    config.toml, the rest of the file untouched. Raises ValidationError (one line)."""
    from deskui.errors import ValidationError

    path = config_path()
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        updated = with_top_level_string(text, "theme", name)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(updated)
            os.chmod(temporary, path.stat().st_mode & 0o7777 if path.exists() else 0o644)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValidationError(f"{path}: theme not saved: {exc}") from None
    return path


def load_settings(db: str | None = None, user: str | None = None) -> Settings:
    cfg = load_user_config()
    db_url = db or os.environ.get("DESKUI_DB") or cfg.get("db") or default_db_url()
    declared = user or os.environ.get("DESKUI_USER") or cfg.get("user")
    username = declared or _os_user()
    return Settings(
        db_url=db_url,
        user=username,
        user_declared=bool(declared),
        theme=cfg.get("theme", "deskui-dark"),
        keymap=dict(cfg.get("keymap", {})),
        targets=dict(cfg.get("targets", {})),
        raw=cfg,
    )


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "admin"

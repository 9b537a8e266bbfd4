"""Settings: database URL, user, theme and metric targets.

Resolution order for each: command-line flag, environment variable, user config
file (``config.toml`` in the user config directory), default. Nothing is read at
import time.
"""

from __future__ import annotations

import getpass
import os
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
    theme: str = "deskui-dark"
    keymap: dict[str, str] = field(default_factory=dict)
    targets: dict[str, float] = field(default_factory=dict)
    raw: dict = field(default_factory=dict)


def load_user_config() -> dict:
    path = config_dir() / "config.toml"
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        from deskui.errors import ValidationError

        raise ValidationError(f"{path}: {exc}") from None


def load_settings(db: str | None = None, user: str | None = None) -> Settings:
    cfg = load_user_config()
    db_url = db or os.environ.get("DESKUI_DB") or cfg.get("db") or default_db_url()
    username = user or os.environ.get("DESKUI_USER") or cfg.get("user") or _os_user()
    return Settings(
        db_url=db_url,
        user=username,
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

"""What every screen needs: the engine, the acting analyst, the settings.

Screens reach it as ``self.app.desk``. Widgets never hold ORM objects: they get
frozen view models from deskui.reads, called in thread workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deskui.services.actors import Actor


@dataclass(frozen=True)
class DeskContext:
    engine: Any  # sqlalchemy.engine.Engine: handed to deskui.reads and deskui.services, never queried here
    actor: Actor
    settings: Any  # deskui.config.Settings
    # Tests turn off timers, animation and anything non-deterministic.
    live_refresh_seconds: float = 3.0
    sweep_seconds: float = 60.0

"""Who is acting: an analyst, or the system (rules, imports, sweeps)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine

from deskui.errors import NotFound
from deskui.store.db import session_scope
from deskui.store.models import Analyst


@dataclass(frozen=True)
class Actor:
    id: int | None
    username: str
    name: str
    role: str = "analyst"
    tier: int = 1

    @property
    def is_analyst(self) -> bool:
        return self.id is not None


SYSTEM = Actor(id=None, username="system", name="System", role="admin", tier=3)


def system_actor(label: str) -> Actor:
    """An actor for automated work, e.g. ``system_actor("import:servicenow")``."""
    return Actor(id=None, username=label, name=label, role="admin", tier=3)


def actor_for(engine: Engine, username: str) -> Actor:
    with session_scope(engine) as session:
        analyst = session.scalars(select(Analyst).where(Analyst.username == username)).first()
        if analyst is None:
            known = session.scalars(select(Analyst.username).order_by(Analyst.username).limit(12)).all()
            hint = f"; known: {', '.join(known)}" if known else "; seed analysts first (deskui seed analysts FILE)"
            raise NotFound(f"analyst {username!r} not found (set --as USER or DESKUI_USER){hint}")
        return Actor(id=analyst.id, username=analyst.username, name=analyst.name, role=analyst.role, tier=analyst.tier)

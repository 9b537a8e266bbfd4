"""Who is acting: an analyst, or the system (rules, imports, sweeps)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine

from deskui.errors import NotFound
from deskui.store.tables import analysts


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
    # Core, not the models: the app asks this before its first paint (store/tables.py).
    a = analysts.c
    with engine.connect() as conn:
        found = conn.execute(select(a.id, a.username, a.name, a.role, a.tier).where(a.username == username)).first()
        if found is None:
            known = conn.execute(select(a.username).order_by(a.username).limit(12)).scalars().all()
            hint = f"; known: {', '.join(known)}" if known else "; seed analysts first (deskui seed analysts FILE)"
            raise NotFound(f"analyst {username!r} not found (set --as USER or DESKUI_USER){hint}")
    return Actor(id=found.id, username=found.username, name=found.name, role=found.role, tier=found.tier)


RULE_PREFIX = "rule:"


def rule_actor(name: str) -> Actor:
    """The actor of an automation rule's effects: history shows ``rule:NAME``."""
    return system_actor(f"{RULE_PREFIX}{name}")

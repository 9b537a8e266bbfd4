"""The demo organisation: groups, analysts, SLA policies, the knowledge base
and a 90-day history, loaded once into an empty desk (`deskui init --demo`,
`deskui demo`)."""

from __future__ import annotations

from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from deskui.resources import sample_data_dir
from deskui.services.actors import SYSTEM, Actor
from deskui.services.generate import generate_history
from deskui.services.knowledge import import_path
from deskui.services.seed import seed_demo_org
from deskui.store.db import session_scope
from deskui.store.tables import tickets as tickets_table


def load_demo(engine: Engine, tickets: int = 2000, say: Callable[[str], object] = print, *,
              actor: Actor = SYSTEM) -> None:
    """Seed the demo organisation and articles (idempotent), then generate a
    history of ``tickets`` tickets unless the desk already has tickets. ``actor``
    must be an admin (while the desk has none, whoever runs it acts as one)."""
    folder = sample_data_dir()
    for summary in seed_demo_org(engine, folder, actor=actor):
        say(f"seeded {summary.kind}: {summary.created} created, {summary.updated} updated, {summary.unchanged} unchanged")
    kb = folder / "kb"
    if kb.is_dir():
        s = import_path(engine, kb, actor=actor)
        say(f"knowledge base: {s.read} articles read: {s.created} created, {s.updated} updated, "
            f"{s.unchanged} unchanged")
    with session_scope(engine) as session:
        existing = session.scalar(select(func.count()).select_from(tickets_table))
    if existing:
        say(f"demo history: {existing} tickets already present, none generated")
        return
    say(f"demo history: {generate_history(engine, tickets=tickets, seed=7, days=90, actor=actor)}")

"""Who is acting: an analyst, or the system (rules, imports, sweeps), and what the
permission table (deskui/domain/permissions.py) lets them do.

Identity (README "Who you are"):
- SQLite: the name given (--as, DESKUI_USER, the config file, else the OS login);
  the file's owner-only permissions are the boundary.
- PostgreSQL: the database login (``current_user``). Naming another analyst is
  refused unless the login's analyst is an admin; then the actor is that analyst
  and every event records the admin too (``acting_admin``).
- A disabled analyst cannot act.
- Bootstrapping: while the database has no active admin, whoever runs deskui acts
  as admin (that is how ``init --demo`` and the first ``seed analysts`` work).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from deskui.domain.permissions import Action, denial, may
from deskui.errors import NotFound, PermissionDenied
from deskui.store.identity import database_login, has_active_admin
from deskui.store.tables import analysts


@dataclass(frozen=True)
class Actor:
    id: int | None
    username: str
    name: str
    role: str = "analyst"
    tier: int = 1
    acting_admin: str = ""  # PostgreSQL: the admin login acting for this analyst ("" = themselves)

    @property
    def is_analyst(self) -> bool:
        return self.id is not None

    def may(self, action: Action | str) -> bool:
        return may(self.role, action)


SYSTEM = Actor(id=None, username="system", name="System", role="admin", tier=3)


def system_actor(label: str) -> Actor:
    """An actor for automated work, e.g. ``system_actor("import:servicenow")``."""
    return Actor(id=None, username=label, name=label, role="admin", tier=3)


def require(actor: Actor, action: Action | str, what: str = "") -> None:
    """Raise PermissionDenied (the one line) unless ``actor`` may do ``action``."""
    if not may(actor.role, action):
        raise PermissionDenied(denial(actor.username, actor.role, action, what))


def _row(conn: Connection, username: str):
    a = analysts.c
    return conn.execute(select(a.id, a.username, a.name, a.role, a.tier, a.active)
                        .where(a.username == username)).first()


def _actor(row, *, bootstrap: bool, acting_admin: str = "") -> Actor:
    if not row.active:
        raise PermissionDenied(f"analyst {row.username!r} is disabled and cannot act (an admin can: deskui analyst list)")
    return Actor(id=row.id, username=row.username, name=row.name, role="admin" if bootstrap else row.role,
                 tier=row.tier, acting_admin=acting_admin)


def _not_found(conn: Connection, username: str, how: str = "set --as USER or DESKUI_USER") -> NotFound:
    a = analysts.c
    known = conn.execute(select(a.username).order_by(a.username).limit(12)).scalars().all()
    hint = f"; known: {', '.join(known)}" if known else "; seed analysts first (deskui seed analysts FILE)"
    return NotFound(f"analyst {username!r} not found ({how}){hint}")


def actor_for(engine: Engine, username: str) -> Actor:
    """The analyst named ``username`` (no bootstrap, no login rules): for tests and tools."""
    # Core, not the models: the app asks this before its first paint (store/tables.py).
    with engine.connect() as conn:
        found = _row(conn, username)
        if found is None:
            raise _not_found(conn, username)
        return _actor(found, bootstrap=False)


def resolve_actor(engine: Engine, requested: str, *, declared: bool = True) -> Actor:
    """The acting analyst for a CLI command or the app (module docstring).

    ``requested``: the name from --as / DESKUI_USER / config / OS login; ``declared``:
    whether the user named it (anything but the OS login), which PostgreSQL only
    accepts from an admin."""
    login = database_login(engine)
    with engine.connect() as conn:
        bootstrap = not has_active_admin(conn)
        if login is None:
            found = _row(conn, requested)
            if found is not None:
                return _actor(found, bootstrap=bootstrap)
            if bootstrap:
                return Actor(id=None, username=requested, name=requested, role="admin", tier=3)
            raise _not_found(conn, requested)
        mine = _row(conn, login)
        if declared and requested and requested != login:
            admin = bootstrap or (mine is not None and mine.active and mine.role == "admin")
            if not admin:
                raise PermissionDenied(
                    f"permission denied: --as {requested}: on PostgreSQL you are the database login {login}; "
                    "only an admin may act for another analyst")
            target = _row(conn, requested)
            if target is None:
                raise _not_found(conn, requested, "the analyst to act for")
            return replace(_actor(target, bootstrap=False), acting_admin=login)
        if mine is not None:
            return _actor(mine, bootstrap=bootstrap)
        if bootstrap:
            return Actor(id=None, username=login, name=login, role="admin", tier=3)
        raise NotFound(f"database login {login!r} has no analyst; an admin adds one: "
                       f"deskui analyst add {login} --name NAME --email EMAIL --role ROLE")


RULE_PREFIX = "rule:"


def rule_actor(name: str) -> Actor:
    """The actor of an automation rule's effects: history shows ``rule:NAME``."""
    return system_actor(f"{RULE_PREFIX}{name}")

"""Personal sign-in tokens for `deskui serve` (issue 14.1): an admin issues one
(`deskui analyst token USER`, shown once) or revokes it; the server checks them.
Only the scrypt hash and salt are stored (deskui.domain.tokens)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Engine

from deskui import clock
from deskui.domain.tokens import new_salt, new_token, token_hash, token_matches
from deskui.errors import NotFound, ValidationError
from deskui.services.actors import Actor
from deskui.store.db import session_scope, write_session
from deskui.store.models import Analyst, AnalystToken


def _require_admin(actor: Actor, what: str) -> None:
    # The permission table (issue 12) takes this over at merge; until then: admins only.
    if actor.role != "admin":
        raise ValidationError(f"permission denied: {actor.username} is {actor.role}; {what} needs admin")


def _analyst(session, username: str) -> Analyst:
    analyst = session.execute(select(Analyst).where(Analyst.username == username)).scalars().first()
    if analyst is None:
        raise NotFound(f"no analyst {username!r}")
    return analyst


def issue_token(engine: Engine, actor: Actor, username: str) -> str:
    """A new token for ``username`` (replacing any earlier one); the caller shows it once."""
    _require_admin(actor, "issuing a sign-in token")
    token, salt = new_token(), new_salt()
    with write_session(engine) as session:
        analyst = _analyst(session, username)
        if not analyst.active:
            raise ValidationError(f"analyst {username!r} is disabled")
        row = session.get(AnalystToken, analyst.id) or AnalystToken(analyst_id=analyst.id, salt="", hash="",
                                                                    created_at=clock.now())
        row.salt, row.hash, row.created_at, row.revoked_at = salt, token_hash(token, salt), clock.now(), None
        session.add(row)
    return token


def revoke_token(engine: Engine, actor: Actor, username: str) -> bool:
    """Revoke ``username``'s token; False when there was none in force."""
    _require_admin(actor, "revoking a sign-in token")
    with write_session(engine) as session:
        analyst = _analyst(session, username)
        row = session.get(AnalystToken, analyst.id)
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = clock.now()
        session.add(row)
    return True


def check_token(engine: Engine, username: str, token: str) -> Actor | None:
    """The analyst ``username`` when ``token`` is theirs, in force and the analyst active; else None."""
    with session_scope(engine) as session:
        analyst = session.execute(select(Analyst).where(Analyst.username == username)).scalars().first()
        row = session.get(AnalystToken, analyst.id) if analyst is not None else None
        if analyst is None or row is None or row.revoked_at is not None or not analyst.active:
            return None
        if not token_matches(token, row.salt, row.hash):
            return None
        return Actor(id=analyst.id, username=analyst.username, name=analyst.name, role=analyst.role,
                     tier=analyst.tier)

"""Managing analysts and their roles (``deskui analyst add|set-role|disable``): admins only.

A disabled analyst keeps their history (events, comments, assignments stay) and can
no longer act: identity resolution refuses them (deskui/services/actors.py). The
last active admin cannot be demoted or disabled: without one, whoever runs deskui
would act as admin again (the bootstrap rule).
"""

from __future__ import annotations

import re
from typing import Sequence

from sqlalchemy import func, select, true
from sqlalchemy.engine import Engine
from sqlmodel import Session

from deskui.domain.enums import Role
from deskui.domain.permissions import Action, role_of
from deskui.domain.text import clean_text, is_email
from deskui.errors import ValidationError
from deskui.services.actors import Actor, require
from deskui.services.directory import analyst_by_username, group_by_name
from deskui.store.db import write_session
from deskui.store.directory_queries import AnalystListing, analyst_listing
from deskui.store.models import Analyst, GroupMember

USERNAME = re.compile(r"[a-z0-9._-]{1,64}")


def _role(value: str) -> str:
    try:
        return role_of(value).value
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _listing(session: Session, username: str) -> AnalystListing:
    return analyst_listing(session, username)[0]


def _other_active_admins(session: Session, analyst: Analyst) -> int:
    return session.scalar(select(func.count()).select_from(Analyst).where(
        Analyst.role == Role.ADMIN.value, Analyst.active == true(), Analyst.id != analyst.id))


def _keeps_an_admin(session: Session, analyst: Analyst, what: str) -> None:
    if analyst.role == Role.ADMIN.value and analyst.active and not _other_active_admins(session, analyst):
        raise ValidationError(f"{what}: {analyst.username} is the last active admin; add another admin first")


def add_analyst(engine: Engine, actor: Actor, username: str, *, name: str, email: str, role: str = "analyst",
                groups: Sequence[str] = (), tier: int = 1) -> AnalystListing:
    """A new analyst (an existing username is an error: use set-role)."""
    require(actor, Action.ANALYSTS)
    username = username.strip()
    if not USERNAME.fullmatch(username):
        raise ValidationError(f"username: {username!r} must be 1-64 lowercase letters, digits, . _ -")
    name = clean_text(name, single_line=True).strip()
    if not name:
        raise ValidationError("--name: must not be empty")
    email = email.strip()
    if not is_email(email):
        raise ValidationError(f"--email: {email!r} is not an e-mail address (name@domain.tld)")
    role = _role(role)
    if tier not in (1, 2, 3):
        raise ValidationError(f"--tier: {tier!r} is not one of 1, 2, 3")
    with write_session(engine) as session:
        if session.scalar(select(Analyst.id).where(Analyst.username == username)) is not None:
            raise ValidationError(f"analyst {username!r} exists already (change a role with: deskui analyst set-role)")
        group_rows = [group_by_name(session, g) for g in dict.fromkeys(groups)]
        analyst = Analyst(username=username, name=name[:120], email=email[:200], role=role,
                          tier=max([tier, *(g.tier for g in group_rows)]), active=True)
        session.add(analyst)
        session.flush()
        for group in group_rows:
            session.add(GroupMember(group_id=group.id, analyst_id=analyst.id))
        session.flush()
        return _listing(session, username)


def set_role(engine: Engine, actor: Actor, username: str, role: str) -> AnalystListing:
    require(actor, Action.ANALYSTS)
    role = _role(role)
    with write_session(engine) as session:
        analyst = analyst_by_username(session, username)
        if role != Role.ADMIN.value:
            _keeps_an_admin(session, analyst, "set-role")
        analyst.role = role
        session.flush()
        return _listing(session, analyst.username)


def disable(engine: Engine, actor: Actor, username: str) -> AnalystListing:
    """The analyst can no longer act; their history and groups stay (pickers and
    assignment rules offer active analysts only)."""
    require(actor, Action.ANALYSTS)
    with write_session(engine) as session:
        analyst = analyst_by_username(session, username)
        _keeps_an_admin(session, analyst, "disable")
        analyst.active = False
        session.flush()
        return _listing(session, analyst.username)

"""Name lookups with errors that list what exists (used inside service transactions)."""

from __future__ import annotations

import difflib

from sqlalchemy import func, select
from sqlmodel import Session

from deskui.domain.text import clean_text
from deskui.errors import NotFound
from deskui.store.models import Analyst, Category, Group, Requester
from deskui.store.upsert import insert_ignore


def _choices(session: Session, column, limit: int = 15) -> str:
    names = session.scalars(select(column).order_by(column).limit(limit + 1)).all()
    shown = ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")
    return shown or "none defined"


def group_by_name(session: Session, name: str) -> Group:
    group = session.scalars(select(Group).where(func.lower(Group.name) == name.strip().lower())).first()
    if group is None:
        raise NotFound(f"group: {name!r} not found; groups: {_choices(session, Group.name)}")
    return group


def category_by_path(session: Session, path: str) -> Category:
    key = "/".join(part.strip() for part in path.split("/")).lower()
    category = session.scalars(select(Category).where(func.lower(Category.path) == key)).first()
    if category is None:
        paths = session.scalars(select(Category.path).order_by(Category.path)).all()
        close = difflib.get_close_matches(path, paths, n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        tops = ", ".join(p for p in paths if "/" not in p) or "none defined"
        raise NotFound(f"category: {path!r} not found; {hint}top-level categories: {tops} (subcategories as Parent/Child)")
    return category


def analyst_by_username(session: Session, username: str) -> Analyst:
    analyst = session.scalars(select(Analyst).where(Analyst.username == username.strip())).first()
    if analyst is None:
        raise NotFound(f"analyst: {username!r} not found; analysts: {_choices(session, Analyst.username)}")
    return analyst


def routing_group_id(session: Session, category: Category) -> int | None:
    """A category routes to its own group, else its parent's."""
    if category.group_id is not None:
        return category.group_id
    if category.parent_id is not None:
        parent = session.get(Category, category.parent_id)
        return parent.group_id if parent else None
    return None


def requester_for(session: Session, email: str, name: str = "") -> Requester:
    """Find a requester by email, creating one the first time they write in."""
    key = clean_text(email, single_line=True).strip().lower()
    if not key:
        raise NotFound("requester: an email address is required")
    requester = session.scalars(select(Requester).where(Requester.email == key)).first()
    if requester is None:
        display = clean_text(name, single_line=True).strip() or key.split("@")[0].replace(".", " ").title()
        # Two analysts may log the same new requester at once: insert-or-ignore, then read.
        insert_ignore(session, Requester.__table__, ["email"], email=key, name=display[:120], department="",
                      location="", vip=False)
        requester = session.scalars(select(Requester).where(Requester.email == key)).one()
    return requester

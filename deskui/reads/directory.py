"""The lists the ticket's dialogs offer: groups, the analysts of a group with
their open load, and the canned responses (with the analyst's own e-mail for
their placeholders)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from deskui.store import directory_queries as q
from deskui.store.db import session_scope
from deskui.store.directory_queries import AnalystListing, CannedRecord, GroupRecord, MemberLoad
from deskui.store.queue_live import AnalystLoad

__all__ = ["AnalystListing", "AnalystLoad", "analysts", "AssignChoices", "CannedChoices", "CannedRecord", "GroupRecord", "MemberLoad",
           "analyst_loads", "assign_choices", "canned_choices", "groups", "members_of_group"]


def analysts(engine: Engine) -> list[AnalystListing]:
    """Every analyst, active or not, for ``deskui analyst list``."""
    with session_scope(engine) as session:
        return q.analyst_listing(session)


def groups(engine: Engine) -> list[GroupRecord]:
    """Every group, by tier then name."""
    with session_scope(engine) as session:
        return q.groups(session)


@dataclass(frozen=True)
class AssignChoices:
    groups: tuple[GroupRecord, ...]
    members: tuple[MemberLoad, ...]  # of the ticket's group (every active analyst when it has none)


def assign_choices(engine: Engine, group_id: int | None) -> AssignChoices:
    """What the assign dialog opens with: the groups, and the members of ``group_id`` least loaded first."""
    with session_scope(engine) as session:
        return AssignChoices(tuple(q.groups(session)), tuple(q.group_members_with_load(session, group_id)))


def members_of_group(engine: Engine, group_name: str | None) -> list[MemberLoad]:
    """Active members of the named group, least loaded first (every active analyst for None
    or a name no group has)."""
    with session_scope(engine) as session:
        group_id = next((g.id for g in q.groups(session) if g.name == group_name), None)
        return q.group_members_with_load(session, group_id)


@dataclass(frozen=True)
class CannedChoices:
    templates: tuple[CannedRecord, ...]
    analyst_email: str  # fills the analyst's e-mail placeholder


def canned_choices(engine: Engine, analyst_id: int | None) -> CannedChoices:
    with session_scope(engine) as session:
        templates = q.canned_responses(session)
        me = q.analyst_record(session, analyst_id)
    return CannedChoices(tuple(templates), me.email if me else "")


def analyst_loads(engine: Engine) -> list[AnalystLoad]:
    """Every active analyst with their number of active tickets (the bulk assign dialog)."""
    from deskui.store.queue_live import analyst_loads as loads

    return loads(engine)

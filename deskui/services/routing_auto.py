"""Routing by suggestion: a ticket opened without a group goes to the group the
trained model suggests, only when the admin has set a confidence for it
(`deskui route auto-assign 0.8`) and the model's calibrated confidence reaches
both that and the model's own threshold. The move is a ticket event by
``rule:routing``; assignment rules then apply to the group as usual.

Nothing here trains: a missing or unreadable model means no move, never a
failed ticket write."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from deskui.errors import ValidationError
from deskui.services.actors import rule_actor
from deskui.services.ticket_history import set_group
from deskui.store.db import session_scope, write_session
from deskui.store.models import Group, Setting, Ticket

SETTING = "routing_auto_assign_min_confidence"
RULE_NAME = "routing"
_log = logging.getLogger(__name__)


def auto_assign_min(session: Session) -> float | None:
    row = session.get(Setting, SETTING)
    try:
        return float(row.value) if row is not None and row.value else None
    except ValueError:
        return None


def auto_assign_setting(engine: Engine) -> float | None:
    with session_scope(engine) as session:
        return auto_assign_min(session)


def set_auto_assign(engine: Engine, min_confidence: float | None) -> None:
    """Let rules move new tickets to the suggested group at or above ``min_confidence``
    (0 < value <= 1); None turns it off."""
    if min_confidence is not None and not 0 < min_confidence <= 1:
        raise ValidationError(f"auto-assign confidence: {min_confidence} is not between 0 and 1 (e.g. 0.8), "
                              "or 'off'")
    with write_session(engine) as session:
        row = session.get(Setting, SETTING)
        if min_confidence is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(Setting(key=SETTING, value=repr(float(min_confidence))))
        else:
            row.value = repr(float(min_confidence))


def route_by_suggestion(session: Session, ticket: Ticket, now: datetime) -> bool:
    """Hook of ``tickets.open_ticket`` for a ticket without a group; True when moved."""
    if ticket.group_id is not None:
        return False
    threshold = auto_assign_min(session)
    if threshold is None:
        return False
    from deskui.store.routing_model import model_text
    from deskui.store.routing_model_queries import load_model

    try:
        model = load_model(session, "group")
        ranked = model.ranked(model_text(ticket.subject, ticket.description), 1) if model is not None else []
    except (ImportError, ValueError) as exc:  # a broken model must not cost the ticket
        _log.warning("routing model not used: %s", exc)
        return False
    if not ranked or ranked[0][1] < max(threshold, model.min_confidence):
        return False
    group = session.get(Group, ranked[0][0])
    if group is None:
        return False
    ticket.tier = group.tier
    set_group(session, ticket, rule_actor(RULE_NAME), now, group)
    return True

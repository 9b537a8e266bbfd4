"""An analyst's unsent drafts on a ticket (rows of ``drafts``; writes: deskui.services.drafts)."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from deskui.store.models import Draft


def draft_bodies(session: Session, analyst_id: int, ticket_id: int) -> dict[str, str]:
    """kind -> the stored JSON body, for one analyst and one ticket."""
    rows = session.execute(select(Draft.kind, Draft.body)
                           .where(Draft.analyst_id == analyst_id, Draft.ticket_id == ticket_id)
                           .order_by(Draft.kind))
    return {kind: body for kind, body in rows}

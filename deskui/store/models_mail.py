"""Tables for mail to requesters (issue 13): the outbox.

``deskui.store.models`` imports this module at its bottom so the table is in
``SQLModel.metadata``. All datetimes are naive UTC.
"""

from __future__ import annotations

from typing import Optional

from pydantic import NaiveDatetime
from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel


class OutboundMail(SQLModel, table=True):
    """One notification to a requester, written in the same transaction as the change
    that causes it (a transactional outbox) and delivered later by ``deskui mail send``.

    ``state``: queued -> sending (claimed by one sender, ``claimed_at``) -> sent, or
    back to queued with ``next_attempt_at`` later after a failure, or failed after
    the last attempt (``last_error`` says why). ``message_id`` is fixed when the row
    is written, so every attempt sends the same one and replies thread back to it.
    ``answered_at``: a resolution mail whose satisfaction question was answered."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    kind: str = Field(max_length=16)
    comment_id: Optional[int] = Field(default=None, foreign_key="comments.id")
    to_address: str = Field(max_length=200)
    subject: str = Field(max_length=400)
    body: str = Field(sa_column=Column(Text, nullable=False))
    message_id: str = Field(max_length=300, unique=True)
    in_reply_to: str = Field(default="", max_length=300)
    thread_refs: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    state: str = Field(default="queued", max_length=10)
    attempts: int = Field(default=0)
    next_attempt_at: NaiveDatetime
    claimed_at: Optional[NaiveDatetime] = None
    sent_at: Optional[NaiveDatetime] = None
    last_error: str = Field(default="", max_length=500)
    created_at: NaiveDatetime
    answered_at: Optional[NaiveDatetime] = None

"""Core-only views of the tables the queue reads while the app starts, and the
read commands (`ticket list`, `ticket show`, `kb search`) read.

Importing the SQLModel models costs about 200 ms (sqlmodel, pydantic and the
building of thirty model classes): more than the rest of deskui's start-up
together (DESIGN.md §4). The queue, its filter, the actor lookup and the SLA
countdown read through these lightweight ``table()`` clauses instead, so the
first page is painted before a model class exists. The models stay the one
definition of the schema: tests/store/test_tables.py fails when a column here
differs from the model's.

Statements must not mix these with the mapped tables (``Ticket.id``): they are
different FROM objects, and the query would read ``tickets`` twice.
"""

from __future__ import annotations

from sqlalchemy import Boolean, DateTime, Float, Integer, String, Text, column, table

tickets = table(
    "tickets",
    column("id", Integer), column("type", String), column("subject", String), column("description", Text),
    column("requester_id", Integer), column("channel", String), column("category_id", Integer),
    column("impact", String), column("urgency", String), column("priority", Integer),
    column("priority_reason", String), column("status", String), column("pending_reason", String),
    column("group_id", Integer), column("assignee_id", Integer), column("first_assignee_id", Integer),
    column("tier", Integer), column("ci", String), column("problem_id", Integer), column("created_at", DateTime),
    column("updated_at", DateTime), column("first_response_at", DateTime), column("resolved_at", DateTime),
    column("closed_at", DateTime), column("resolution_code", String), column("resolution_notes", Text),
    column("external_ref", String), column("sla_policy_id", Integer), column("response_due_at", DateTime),
    column("resolution_due_at", DateTime), column("response_warn_at", DateTime), column("resolution_warn_at", DateTime),
    column("response_state", String), column("resolution_state", String),
    column("sla_breach_recorded", Boolean), column("resolution_time_unknown", Boolean), column("reopen_count", Integer), column("reassignment_count", Integer),
    column("escalation_count", Integer), column("external_made_sla", Boolean), column("updated_by", String),
    column("version", Integer),
)

ticket_events = table(
    "ticket_events",
    column("id", Integer), column("ticket_id", Integer), column("at", DateTime), column("actor_id", Integer),
    column("actor", String), column("kind", String), column("field", String), column("old", String),
    column("new", String), column("detail", Text), column("comment_id", Integer), column("acting_admin", String),
)

analysts = table(
    "analysts",
    column("id", Integer), column("username", String), column("name", String), column("email", String),
    column("role", String), column("tier", Integer), column("away", Boolean), column("active", Boolean),
)

groups = table(
    "groups",
    column("id", Integer), column("name", String), column("tier", Integer), column("description", Text),
    column("email", String),
)

categories = table(
    "categories",
    column("id", Integer), column("name", String), column("parent_id", Integer), column("path", String),
    column("group_id", Integer),
)

requesters = table(
    "requesters",
    column("id", Integer), column("email", String), column("name", String), column("department", String),
    column("location", String), column("vip", Boolean), column("mail_bounced_at", DateTime),
    column("mail_bounce", String),
)

sla_policies = table(
    "sla_policies",
    column("id", Integer), column("name", String), column("priority", Integer), column("ticket_type", String),
    column("response_minutes", Integer), column("resolution_minutes", Integer), column("warn_share", Float),
    column("calendar_id", Integer),
)

calendars = table(
    "calendars",
    column("id", Integer), column("name", String), column("timezone", String), column("weekly_hours", Text),
    column("holidays", Text), column("holiday_country", String),
)

comments = table(
    "comments",
    column("id", Integer), column("ticket_id", Integer), column("author_id", Integer), column("author_name", String),
    column("visibility", String), column("body", Text), column("created_at", DateTime), column("message_id", String),
)

settings = table("settings", column("key", String), column("value", Text))

"""A ticket's SLA policy and business calendar, read through Core.

Core (store/tables.py), not the models, because the queue's countdown needs
them before the app's first paint; the SLA service uses the same lookup.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select

from deskui.domain.calendar import BusinessCalendar
from deskui.domain.sla import SlaTargets
from deskui.store.tables import calendars, sla_policies


@lru_cache(maxsize=64)
def calendar_from_row(name: str, timezone: str, weekly_hours: str, holidays: str, country: str) -> BusinessCalendar:
    return BusinessCalendar.from_config(
        name=name, timezone=timezone, weekly_hours=json.loads(weekly_hours),
        holidays=json.loads(holidays), holiday_country=country,
    )


@dataclass(frozen=True)
class PolicyInfo:
    policy_id: int
    name: str
    targets: SlaTargets
    calendar: BusinessCalendar


def policy_for(executor, priority: int, ticket_type: str) -> PolicyInfo | None:
    """The policy for a priority: a type-specific one wins over the generic one.
    ``executor`` is a Connection or a Session (anything with ``execute``)."""
    p, c = sla_policies.c, calendars.c
    stmt = (
        select(p.id, p.name, p.response_minutes, p.resolution_minutes, p.warn_share,
               c.name, c.timezone, c.weekly_hours, c.holidays, c.holiday_country)
        .join(calendars, c.id == p.calendar_id)
        .where(p.priority == priority, p.ticket_type.in_([ticket_type, ""]))
        .order_by((p.ticket_type == "").asc())  # the type-specific one first
        .limit(1)
    )
    row = executor.execute(stmt).first()
    if row is None:
        return None
    policy_id, name, response, resolution, warn_share, *calendar = row
    return PolicyInfo(policy_id, name, SlaTargets(response * 60, resolution * 60, warn_share),
                      calendar_from_row(*calendar))

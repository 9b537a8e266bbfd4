"""``deskui import servicenow FILE.csv``: a ServiceNow incident export.

The columns are ServiceNow's own field names (``number``, ``incident_state``,
``opened_at`` ...; the list export's labels such as "Assignment group" work
too). An audit-style export lists successive updates of the same number in
order: the last row is the current state and every row becomes a history
event (see :mod:`deskui.services.importers.writer`). Rows are ordered per
number by ``sys_mod_count`` then ``sys_updated_at``; a row not newer than what
was imported for its number is skipped, so importing the same file again
changes nothing.

How values are read:

- "?" or an empty cell is missing; ``true``/``false`` booleans;
- impact and urgency "1 - High", "2 - Medium", "3 - Low"; priority
  "1 - Critical" ... "4 - Low" ("5 - Planning" is P4). The source's priority is
  kept (the reason says so), the matrix is used only when it is missing;
- incident_state: New, In Progress/Active, On Hold and Awaiting User
  Info/Caller/Evidence (pending: awaiting requester), Awaiting Vendor (awaiting
  vendor), Awaiting Problem/Change (awaiting change), Resolved, Closed,
  Canceled, or the numeric codes 1, 2, 3, 6, 7, 8; "-100" (an export's null
  marker) is missing and keeps the previous state;
- contact_type: Phone, IVR and Direct opening -> phone; Email; Self-service and
  Web -> portal; Chat and Virtual Agent -> chat; Walk-in; Event/Monitoring;
- closed_code/close_code: "Solved (Permanently)" -> solved, "Solved (Work
  Around)" -> workaround, "Not Solved (Not Reproducible)" -> not_reproducible,
  "Closed/Resolved by Caller" -> solved ...; any other code is taken as
  ``solved`` and the source code is written in the resolution notes;
- caller_id: an email is the requester; a name becomes
  ``first.last@<requester domain>`` (``--requester-domain``);
- made_sla, reassignment_count and reopen_count are kept on the ticket;
- an export has no replies, so the first row where the incident is assigned or
  has left New counts as its first response (what ServiceNow's own response
  SLAs measure), rather than every imported incident breaching its response
  target;
- dates are ISO or slashed (``--dayfirst`` for 29/2/2016), in ``--tz``.

``--map FILE.toml`` adds value maps (e.g. ``[values.group] "Group 56" =
"Network Operations"``) and column names on top of the built-in mapping.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from deskui.services.importers.common import ImportOptions, ImportSummary, ProgressCallback
from deskui.services.importers.csv_mapped import Mapping, norm, run_mapped_import
from deskui.services.importers.rows import RowDefaults
from deskui.services.actors import SYSTEM, Actor

COLUMNS: dict[str, tuple[str, ...]] = {
    "external_ref": ("number", "Number"),
    "status": ("incident_state", "Incident state", "state", "State"),
    "reassignment_count": ("reassignment_count", "Reassignment count"),
    "reopen_count": ("reopen_count", "Reopen count"),
    "version": ("sys_mod_count", "Updates"),
    "made_sla": ("made_sla", "Made SLA"),
    "requester": ("caller_id", "Caller"),
    "created_at": ("opened_at", "Opened", "sys_created_on", "Created"),
    "updated_by": ("sys_updated_by", "Updated by"),
    "updated_at": ("sys_updated_at", "sys_updated_on", "Updated"),
    "channel": ("contact_type", "Contact type", "Channel"),
    "location": ("location", "Location"),
    "category": ("category", "Category"),
    "subcategory": ("subcategory", "Subcategory"),
    "ci": ("cmdb_ci", "Configuration item"),
    "impact": ("impact", "Impact"),
    "urgency": ("urgency", "Urgency"),
    "priority": ("priority", "Priority"),
    "group": ("assignment_group", "Assignment group"),
    "assignee": ("assigned_to", "Assigned to"),
    "resolution_code": ("closed_code", "close_code", "Close code", "Resolution code"),
    "resolution_notes": ("close_notes", "Close notes", "Resolution notes"),
    "resolved_at": ("resolved_at", "Resolved"),
    "closed_at": ("closed_at", "Closed"),
    "subject": ("short_description", "Short description"),
    "description": ("description", "Description"),
}

# Columns without a deskui field, kept in each row's history event.
KEEP = (
    "incident_state", "made_sla", "reassignment_count", "reopen_count", "sys_mod_count", "active", "opened_by",
    "sys_created_by", "sys_created_at", "location", "u_symptom", "knowledge", "u_priority_confirmation", "notify",
    "problem_id", "rfc", "vendor", "caused_by", "closed_code", "close_code", "resolved_by",
)

STATES = {
    "1": "new", "new": "new",
    "2": "open", "in progress": "open", "active": "open", "work in progress": "open", "assigned": "open",
    "3": "pending:awaiting_requester", "on hold": "pending:awaiting_requester",
    "awaiting user info": "pending:awaiting_requester", "awaiting caller": "pending:awaiting_requester",
    "awaiting evidence": "pending:awaiting_requester",
    "awaiting vendor": "pending:awaiting_vendor",
    "awaiting problem": "pending:awaiting_change", "awaiting change": "pending:awaiting_change",
    "6": "resolved", "resolved": "resolved",
    "7": "closed", "closed": "closed",
    "8": "cancelled", "canceled": "cancelled", "cancelled": "cancelled",
    "-100": "",
}

CHANNELS = {
    "phone": "phone", "ivr": "phone", "direct opening": "phone", "email": "email", "e-mail": "email",
    "self service": "portal", "self-service": "portal", "web": "portal", "portal": "portal",
    "chat": "chat", "virtual agent": "chat", "walk-in": "walk_in", "walk in": "walk_in", "walkup": "walk_in",
    "event": "monitoring", "monitoring": "monitoring", "alert": "monitoring",
}

CLOSE_CODES = {
    "solved (permanently)": "solved", "solved remotely (permanently)": "solved", "solved (work around)": "workaround",
    "solved remotely (work around)": "workaround", "solved (workaround)": "workaround",
    "not solved (not reproducible)": "not_reproducible", "not reproducible": "not_reproducible",
    "closed/resolved by caller": "solved", "resolved by caller": "solved", "duplicate": "duplicate",
    "user error": "user_error", "no response": "no_response", "fulfilled": "fulfilled",
}

SERVICENOW = Mapping(
    name="servicenow",
    title="ServiceNow",
    columns=COLUMNS,
    values={
        "status": {norm(k): v for k, v in STATES.items()},
        "channel": {norm(k): v for k, v in CHANNELS.items()},
        "resolution_code": {norm(k): v for k, v in CLOSE_CODES.items()},
    },
    defaults=RowDefaults(type="incident", channel="phone", resolution_code="solved"),
    unknown_resolution_code="solved",
    subject_fallback=("category", "subcategory", "u_symptom"),
    keep=KEEP,
    first_response_from_work=True,
)


def servicenow_mapping(extra: Mapping | None = None) -> Mapping:
    return SERVICENOW.overlaid(extra) if extra is not None else SERVICENOW


def import_servicenow(engine: Engine, path: Path | str, options: ImportOptions = ImportOptions(),
                      progress: ProgressCallback | None = None, extra: Mapping | None = None, *,
                      actor: Actor = SYSTEM) -> ImportSummary:
    """Import a ServiceNow incident export (see the module docstring)."""
    return run_mapped_import(engine, path, servicenow_mapping(extra), options, progress, actor=actor)

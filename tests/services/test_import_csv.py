"""`import csv --map`: mappings are checked with clear errors, value maps and formats apply,
and the example mappings shipped in sample_data/ import their example exports."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from deskui.errors import ValidationError
from deskui.services.importers.common import ImportAborted
from deskui.services.importers.csv_mapped import import_csv, load_mapping
from deskui.store.db import session_scope
from deskui.store.models import Ticket
from deskui.store.tickets import comments, events, ticket_record

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"

MAPPING = """
[source]
name = "helpy"
title = "Helpy"
ref_prefix = "helpy:"
dayfirst = true
delimiter = ";"
date_formats = ["%d %b %Y %H.%M"]
keep = ["Tags"]

[columns]
external_ref = "Ref"
subject = ["Title", "Subject"]
description = "Body"
status = "State"
priority = "Prio"
requester = "Customer"
assignee = "Agent"
group = "Team"
category = "Area"
subcategory = "Topic"
created_at = "Opened"
resolved_at = "Solved"

[values.status]
"Waiting on customer" = "pending:awaiting_requester"
"Done" = "resolved"

[values.priority]
"Urgent" = 1
"Normal" = 3

[values.group]
"Helpdesk" = "Service Desk"

[values.category]
"Remote access" = "Network"
"""

EXPORT = (
    "Ref;Title;Body;State;Prio;Customer;Agent;Team;Area;Topic;Opened;Solved;Tags\n"
    "H-1;VPN down;\"Cannot connect\nfrom home\";Waiting on customer;Urgent;ana.ruiz@northwind.example;Amira Khan;"
    "Helpdesk;Remote access;VPN;03/11/2026 09:15;;vpn,remote\n"
    "H-2;New mouse;;Done;Normal;Ben Ito;akhan;Helpdesk;;;4 Nov 2026 10.00;04/11/2026 11:30;\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def record(engine, ref):
    with session_scope(engine) as s:
        tid = s.scalar(select(Ticket.id).where(Ticket.external_ref == ref))
        return ticket_record(s, tid), events(s, tid)


def test_a_mapping_reads_another_tools_export(org, frozen_now, tmp_path):
    mapping = load_mapping(write(tmp_path, "helpy.toml", MAPPING))
    summary = import_csv(org, write(tmp_path, "export.csv", EXPORT), mapping)
    assert (summary.kind, summary.tickets_created, summary.ignored_columns) == ("helpy", 2, [])
    vpn, history = record(org, "helpy:H-1")
    assert vpn.status == "pending" and vpn.pending_reason == "awaiting_requester" and vpn.priority == 1
    assert vpn.category == "Network/VPN" and vpn.group == "Service Desk" and vpn.assignee == "akhan"
    assert vpn.description == "Cannot connect\nfrom home" and vpn.created_at == datetime(2026, 11, 3, 9, 15)
    assert vpn.priority_reason == "Helpy priority Urgent"
    assert history[0].actor == "import:helpy"
    assert "Tags=vpn,remote" in next(e.detail for e in history if e.kind == "imported")
    mouse, _ = record(org, "helpy:H-2")
    assert mouse.status == "resolved" and mouse.resolved_at == datetime(2026, 11, 4, 11, 30)
    assert mouse.created_at == datetime(2026, 11, 4, 10, 0) and mouse.requester_email == "ben.ito@imported.invalid"
    assert mouse.resolution_code == "solved" and mouse.category == ""


def test_snapshot_rows_without_a_version_apply_only_changes(org, frozen_now, tmp_path):
    mapping = load_mapping(write(tmp_path, "helpy.toml", MAPPING))
    path = write(tmp_path, "export.csv", EXPORT)
    import_csv(org, path, mapping)
    again = import_csv(org, path, mapping)
    assert (again.rows_applied, again.rows_unchanged, again.tickets_updated) == (0, 2, 0)
    changed = write(tmp_path, "export2.csv", EXPORT.replace("Waiting on customer", "Done").replace(
        "03/11/2026 09:15;;", "03/11/2026 09:15;05/11/2026 08:00;"))
    third = import_csv(org, changed, mapping)
    assert (third.rows_applied, third.tickets_updated) == (1, 1)
    vpn, history = record(org, "helpy:H-1")
    assert vpn.status == "resolved" and vpn.resolved_at == datetime(2026, 11, 5, 8, 0)
    assert [e.kind for e in history].count("imported") == 2


def test_a_value_outside_the_map_must_be_a_deskui_value(org, tmp_path):
    mapping = load_mapping(write(tmp_path, "helpy.toml", MAPPING))
    path = write(tmp_path, "export.csv", EXPORT.replace("Waiting on customer", "Snoozed"))
    with pytest.raises(ImportAborted, match=r"export.csv:2:4: status: 'Snoozed' is not a status; expected one of "
                                            r"new, open, pending, resolved, closed, cancelled \(or map it in \[values\]\)"):
        import_csv(org, path, mapping)


def test_wrong_number_of_cells(org, tmp_path):
    mapping = load_mapping(write(tmp_path, "helpy.toml", MAPPING))
    path = write(tmp_path, "export.csv", EXPORT + "H-3;only;three\n")
    with pytest.raises(ImportAborted, match=r"export.csv:5:4: the row has 3 cells but the header has 13 columns"):
        import_csv(org, path, mapping)


@pytest.mark.parametrize("text, message", [
    ("[columns]\nexternal_ref = 'Ref'\n", r"m.toml:1: \[columns\]: created_at is required"),
    ("[columns]\nexternal_ref = 'Ref'\ncreated_at = 'C'\nsubjekt = 'S'\n", r"m.toml:4: \[columns\].subjekt: unknown field"),
    ("[source]\ndayfirst = 'yes'\n", r"m.toml:2: \[source\].dayfirst: must be true or false"),
    ("[source]\ntimezone = 'Nowhere/Else'\n", r"--tz: 'Nowhere/Else' is not a time zone"),
    ("[columns\n", r"m.toml:1:\d+: invalid TOML"),
    ("[values.status]\nx = true\n", r"m.toml:2: \[values.status\].x: the deskui value must be text or a number"),
    ("[defaults]\ntype = 'change'\n", r"m.toml:2: \[defaults\].type: 'change' is not one of incident, request, problem"),
    ("[mapping]\n", r"m.toml:1: \[mapping\]: unknown table"),
])
def test_mapping_errors_name_the_file_and_key(tmp_path, text, message):
    with pytest.raises(ValidationError, match=message):
        load_mapping(write(tmp_path, "m.toml", text))


@pytest.mark.parametrize("tool, export, expected", [
    ("jira", "jira_export.csv", {"jira:NW-101": "pending", "jira:NW-102": "resolved", "jira:NW-103": "closed"}),
    ("zammad", "zammad_tickets.csv", {"zammad:31001": "open", "zammad:31002": "closed", "zammad:31003": "pending"}),
    ("osticket", "osticket_export.csv", {"osticket:240117": "open", "osticket:240118": "closed"}),
])
def test_shipped_mappings_import_their_examples(org, frozen_now, tool, export, expected):
    mapping = load_mapping(SAMPLE / "mappings" / f"{tool}.toml")
    summary = import_csv(org, SAMPLE / "imports" / export, mapping)
    assert summary.rows_skipped == 0 and summary.tickets_created == len(expected)
    with session_scope(org) as s:
        got = dict(s.execute(select(Ticket.external_ref, Ticket.status).where(Ticket.external_ref.in_(expected))).all())
    assert got == expected


def test_jira_times_are_converted_from_the_mappings_zone(org, frozen_now):
    import_csv(org, SAMPLE / "imports" / "jira_export.csv", load_mapping(SAMPLE / "mappings" / "jira.toml"))
    t, _ = record(org, "jira:NW-101")
    assert t.created_at == datetime(2026, 11, 16, 8, 12)  # London in November is UTC
    assert t.category == "Network/VPN" and t.group == "Network Operations"  # routed by the mapped category


def test_zammad_first_response_time_comes_from_the_export(org, frozen_now):
    import_csv(org, SAMPLE / "imports" / "zammad_tickets.csv", load_mapping(SAMPLE / "mappings" / "zammad.toml"))
    t, history = record(org, "zammad:31001")
    assert t.first_response_at == datetime(2026, 11, 16, 8, 20)
    assert t.requester_email == "bogdan.scott@northwind.example" and t.requester_name == "Bogdan Scott"
    assert [e.kind for e in history].count("first_response") == 1
    with session_scope(org) as s:
        assert comments(s, t.id) == []


STORY_MAPPING = """
[source]
name = "story"
[columns]
external_ref = "Key"
subject = "Subject"
requester = "Requester"
category = "Category"
group = "Group"
assignee = "Assignee"
status = "Status"
created_at = "Created"
updated_at = "Updated"
resolved_at = "Resolved"
resolution_code = "Code"
resolution_notes = "Notes"
"""

STORY = (
    "Key,Subject,Requester,Category,Group,Assignee,Status,Created,Updated,Resolved,Code,Notes\n"
    "S-1,VPN drops,ana.ruiz@northwind.example,Network/VPN,Service Desk,,new,2026-11-09 09:00,2026-11-09 09:00,,,\n"
    "S-1,VPN drops,ana.ruiz@northwind.example,Network/VPN,Service Desk,akhan,open,2026-11-09 09:00,"
    "2026-11-09 10:00,,,\n"
    "S-1,VPN drops,ana.ruiz@northwind.example,Network/VPN,Service Desk,akhan,resolved,2026-11-09 09:00,"
    "2026-11-11 10:00,2026-11-11 10:00,solved,Reset the VPN profile\n"
)


def test_an_imported_story_looks_like_the_same_story_told_through_the_use_cases(org, frozen_now, tmp_path):
    from deskui.services import tickets as svc
    from deskui.services.actors import actor_for

    import_csv(org, write(tmp_path, "story.csv", STORY), load_mapping(write(tmp_path, "story.toml", STORY_MAPPING)))
    imported, imported_events = record(org, "S-1")

    demo = actor_for(org, "demo")
    told = svc.open_ticket(org, demo, subject="VPN drops", requester="ana.ruiz@northwind.example",
                           category="Network/VPN", group="Service Desk", at=datetime(2026, 11, 9, 9, 0))
    svc.assign(org, demo, told.id, "akhan", at=datetime(2026, 11, 9, 10, 0))
    svc.resolve(org, demo, told.id, code="solved", notes="Reset the VPN profile", at=datetime(2026, 11, 11, 10, 0))
    with session_scope(org) as s:
        told, told_events = ticket_record(s, told.id), events(s, told.id)

    same = ("type", "subject", "status", "priority", "priority_reason", "impact", "urgency", "channel", "tier",
            "requester_id", "category", "group", "assignee", "created_at", "updated_at", "first_response_at",
            "resolved_at", "resolution_code", "resolution_notes", "response_due_at", "resolution_due_at",
            "response_state", "resolution_state", "reopen_count", "reassignment_count", "escalation_count")
    assert {f: getattr(imported, f) for f in same} == {f: getattr(told, f) for f in same}

    def story(history):
        return [(e.kind, e.field, e.old, e.new, e.at, e.detail) for e in history if e.kind != "imported"]
    assert story(imported_events) == story(told_events)
    assert any(e.kind == "sla_breach" for e in told_events)  # the story does breach: both recorded it once

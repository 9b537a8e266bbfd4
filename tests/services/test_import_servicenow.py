"""ServiceNow import against a real database: audit rows become history, re-import changes
nothing, the file's timestamps drive the metrics, bad rows stop or are skipped."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from deskui.errors import ValidationError
from deskui.services import sla
from deskui.services.importers.common import ImportAborted, ImportOptions
from deskui.services.importers.servicenow import import_servicenow
from deskui.store.db import session_scope
from deskui.store.models import Analyst, Category, Group, Requester, Ticket, TicketEvent
from deskui.store.tickets import events, ticket_record

COLUMNS = [
    "number", "incident_state", "active", "reassignment_count", "reopen_count", "sys_mod_count", "made_sla",
    "caller_id", "opened_by", "opened_at", "sys_updated_by", "sys_updated_at", "contact_type", "location",
    "category", "subcategory", "u_symptom", "cmdb_ci", "impact", "urgency", "priority", "assignment_group",
    "assigned_to", "knowledge", "problem_id", "rfc", "vendor", "caused_by", "closed_code", "resolved_by",
    "resolved_at", "closed_at",
]


def row(**values) -> dict:
    base = dict.fromkeys(COLUMNS, "?")
    base.update(number="INC0000045", active="true", reassignment_count="0", reopen_count="0", made_sla="true",
                caller_id="Caller 2403", opened_by="Opened by 8", opened_at="29/2/2016 01:16", contact_type="Phone",
                location="Location 143", category="Network", subcategory="VPN", u_symptom="Symptom 72",
                impact="2 - Medium", urgency="2 - Medium", priority="3 - Moderate", assignment_group="Service Desk",
                knowledge="true")
    base.update(values)
    return base


def audit_rows() -> list[dict]:
    """INC0000045: new -> active (akhan) -> resolved -> reopened -> resolved -> closed;
    INC0000047: active, moved to Desktop Support and pending."""
    return [
        row(incident_state="New", sys_mod_count="0", sys_updated_at="29/2/2016 01:23", sys_updated_by="Updated by 21"),
        row(incident_state="Active", sys_mod_count="1", sys_updated_at="29/2/2016 01:26", assigned_to="Amira Khan"),
        row(incident_state="Resolved", sys_mod_count="2", sys_updated_at="29/2/2016 11:29", assigned_to="akhan",
            closed_code="Solved (Permanently)", resolved_at="29/2/2016 11:29", active="false"),
        row(incident_state="Active", sys_mod_count="3", sys_updated_at="1/3/2016 09:00", assigned_to="akhan",
            reopen_count="1"),
        row(incident_state="Resolved", sys_mod_count="4", sys_updated_at="1/3/2016 10:00", assigned_to="akhan",
            reopen_count="1", closed_code="code 5", resolved_at="1/3/2016 10:00", made_sla="false"),
        row(incident_state="Closed", sys_mod_count="5", sys_updated_at="6/3/2016 12:00", assigned_to="akhan",
            reopen_count="1", closed_code="code 5", resolved_at="1/3/2016 10:00", closed_at="6/3/2016 12:00",
            made_sla="false"),
        row(number="INC0000047", incident_state="Active", sys_mod_count="0", opened_at="29/2/2016 04:40",
            sys_updated_at="29/2/2016 04:57", contact_type="Email", assigned_to="akhan", category="Hardware",
            subcategory="?", caller_id="kim.lee@northwind.example"),
        row(number="INC0000047", incident_state="Awaiting Vendor", sys_mod_count="1", opened_at="29/2/2016 04:40",
            sys_updated_at="1/3/2016 09:52", contact_type="Email", assignment_group="Desktop Support",
            assigned_to="Tom Brennan", reassignment_count="1", category="Hardware", subcategory="?",
            caller_id="kim.lee@northwind.example"),
    ]


def write_csv(path: Path, rows: list[dict], *, columns=COLUMNS, newline: str = "\n", encoding: str = "utf-8",
              bom: bool = False) -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        if bom:
            f.write("\ufeff")
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator=newline, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def by_ref(engine, ref: str):
    with session_scope(engine) as s:
        tid = s.scalar(select(Ticket.id).where(Ticket.external_ref == ref))
        return ticket_record(s, tid), events(s, tid)


def count(engine, model) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


OPTIONS = ImportOptions(dayfirst=True, batch_size=3)


def test_audit_rows_become_history_and_the_last_row_is_the_state(org, frozen_now, tmp_path):
    path = write_csv(tmp_path / "incidents.csv", audit_rows())
    summary = import_servicenow(org, path, OPTIONS)
    assert (summary.rows_read, summary.rows_applied, summary.tickets_created) == (8, 8, 2)
    t, history = by_ref(org, "INC0000045")
    assert t.status == "closed" and t.assignee == "akhan" and t.group == "Service Desk"
    assert t.priority == 3 and t.priority_reason == "ServiceNow priority 3 - Moderate"
    assert t.channel == "phone" and t.category == "Network/VPN" and t.type == "incident"
    # The file's times, not the import's: metrics come from them.
    assert t.created_at == datetime(2016, 2, 29, 1, 16)
    assert t.resolved_at == datetime(2016, 3, 1, 10, 0) and t.closed_at == datetime(2016, 3, 6, 12, 0)
    assert t.reopen_count == 1 and t.external_made_sla is False
    assert t.resolution_code == "solved" and "code 5" in t.resolution_notes  # unknown code kept in the notes
    kinds = [(e.kind, e.new) for e in history]
    assert [k for k, _ in kinds].count("imported") == 6  # every row is a history event
    assert kinds[0] == ("created", "")
    ordered = [k for k in kinds if k[0] in ("status", "resolved", "reopened", "closed")]
    assert ordered == [("status", "open"), ("resolved", "resolved"), ("reopened", "open"), ("resolved", "resolved"),
                       ("closed", "closed")]
    imported = [e for e in history if e.kind == "imported"]
    assert imported[1].at == datetime(2016, 2, 29, 1, 26)
    assert "Opened by 8" in imported[0].detail and "sys_mod_count=0" in imported[0].detail


def test_the_resolution_time_comes_from_the_data_never_from_the_close(org, frozen_now, tmp_path):
    """Issue 16.1. INC0000050: no resolved time anywhere, but a row turns it Resolved
    (its time is the resolution); the real export repeats closed_at on every row.
    INC0000051: first seen closed, no resolved time: resolved, time unknown, out of
    the durations and counted."""
    from deskui.domain.metrics import period_of_days
    from deskui.store.metrics import build_report

    closed = "9/3/2016 12:00"  # an auto-close, days later
    rows = [
        row(number="INC0000050", incident_state="New", sys_mod_count="0", sys_updated_at="29/2/2016 01:23",
            closed_at=closed),
        row(number="INC0000050", incident_state="Active", sys_mod_count="1", sys_updated_at="29/2/2016 01:26",
            assigned_to="akhan", closed_at=closed),
        row(number="INC0000050", incident_state="Resolved", sys_mod_count="2", sys_updated_at="29/2/2016 03:16",
            assigned_to="akhan", closed_code="Solved (Permanently)", active="false", closed_at=closed),
        row(number="INC0000050", incident_state="Closed", sys_mod_count="3", sys_updated_at=closed,
            assigned_to="akhan", closed_code="Solved (Permanently)", active="false", closed_at=closed),
        row(number="INC0000051", incident_state="Closed", sys_mod_count="7", sys_updated_at=closed,
            assigned_to="akhan", closed_code="Solved (Permanently)", active="false", closed_at=closed),
    ]
    summary = import_servicenow(org, write_csv(tmp_path / "audit.csv", rows), OPTIONS)
    known, _ = by_ref(org, "INC0000050")
    assert known.resolved_at == datetime(2016, 2, 29, 3, 16) and known.closed_at == datetime(2016, 3, 9, 12)
    with session_scope(org) as s:
        flags = dict(s.execute(select(Ticket.external_ref, Ticket.resolution_time_unknown)).all())
    assert flags == {"INC0000050": False, "INC0000051": True}
    assert summary.resolution_unknown == 1 and summary.as_dict()["resolution_time_unknown"] == 1

    f = build_report(org, period_of_days(datetime(2016, 2, 1).date(), datetime(2016, 4, 1).date(), "UTC"),
                     now=datetime(2016, 4, 1)).figures
    assert (f.resolved, f.resolution_unknown, f.resolution.count) == (2, 1, 1)
    assert f.resolution.median_seconds == 2 * 3600  # opened 01:16, resolved 03:16: not the nine days to the close


def test_group_move_is_an_escalation_and_counters_are_kept(org, frozen_now, tmp_path):
    import_servicenow(org, write_csv(tmp_path / "i.csv", audit_rows()), OPTIONS)
    t, history = by_ref(org, "INC0000047")
    assert t.status == "pending" and t.pending_reason == "awaiting_vendor"
    assert t.group == "Desktop Support" and t.tier == 2 and t.escalation_count == 1
    assert t.assignee == "tbrennan" and t.reassignment_count == 1 and t.requester_email == "kim.lee@northwind.example"
    assert t.category == "Hardware"
    assert [e.kind for e in history if e.kind in ("group", "escalated")] == ["group", "escalated"]
    assert t.resolution_state == "paused"


def test_importing_the_same_file_again_changes_nothing(org, frozen_now, tmp_path):
    path = write_csv(tmp_path / "i.csv", audit_rows())
    import_servicenow(org, path, OPTIONS)
    with session_scope(org) as s:
        before = s.execute(text("SELECT * FROM tickets ORDER BY id")).all()
    events_before = count(org, TicketEvent)
    again = import_servicenow(org, path, OPTIONS)
    assert (again.rows_applied, again.rows_unchanged, again.tickets_created, again.tickets_updated) == (0, 8, 0, 0)
    assert count(org, TicketEvent) == events_before
    with session_scope(org) as s:
        assert s.execute(text("SELECT * FROM tickets ORDER BY id")).all() == before


def test_a_later_export_applies_only_the_new_rows(org, frozen_now, tmp_path):
    rows = audit_rows()
    import_servicenow(org, write_csv(tmp_path / "first.csv", rows[:2]), OPTIONS)
    t, _ = by_ref(org, "INC0000045")
    assert t.status == "open" and t.version == 1
    summary = import_servicenow(org, write_csv(tmp_path / "all.csv", rows), OPTIONS)
    assert summary.rows_unchanged == 2 and summary.tickets_updated == 1 and summary.tickets_created == 1
    t, history = by_ref(org, "INC0000045")
    assert t.status == "closed" and t.version == 2
    assert [e.kind for e in history].count("imported") == 6 and [e.kind for e in history].count("created") == 1


def test_sla_cache_is_what_a_refresh_computes(org, frozen_now, tmp_path):
    import_servicenow(org, write_csv(tmp_path / "i.csv", audit_rows()), OPTIONS)
    with session_scope(org) as s:
        tickets = s.scalars(select(Ticket).where(Ticket.external_ref.is_not(None))).all()
        stored = [(t.sla_policy_id, t.response_due_at, t.resolution_due_at, t.response_state, t.resolution_state)
                  for t in tickets]
        for t in tickets:
            sla.refresh(s, t, "test", frozen_now)
        fresh = [(t.sla_policy_id, t.response_due_at, t.resolution_due_at, t.response_state, t.resolution_state)
                 for t in tickets]
        added = [o for o in s.new if isinstance(o, TicketEvent)]  # breach events refresh would still write
        s.rollback()
    assert stored == fresh
    assert all(p is not None for p, *_ in stored)
    assert added == []
    with session_scope(org) as s:
        per_target = s.execute(select(TicketEvent.ticket_id, TicketEvent.field, func.count())
                               .where(TicketEvent.kind == "sla_breach")
                               .group_by(TicketEvent.ticket_id, TicketEvent.field)).all()
    assert all(n == 1 for *_, n in per_target)


def test_first_work_counts_as_first_response(org, frozen_now, tmp_path):
    import_servicenow(org, write_csv(tmp_path / "i.csv", audit_rows()), OPTIONS)
    t, history = by_ref(org, "INC0000045")
    assert t.first_response_at == datetime(2016, 2, 29, 1, 26)
    assert [e.kind for e in history].count("first_response") == 1


def test_unknown_group_names_file_line_column(org, tmp_path):
    rows = audit_rows()
    rows[3]["assignment_group"] = "Group 56"
    path = write_csv(tmp_path / "i.csv", rows)
    with pytest.raises(ImportAborted) as info:
        import_servicenow(org, path, OPTIONS)
    message = str(info.value)
    assert message.startswith(f"{path}:5:22: group: 'Group 56' is not a deskui group")
    assert "--create-missing" in message
    # Batches keep a number's rows together: INC0000045's six rows are one batch, so none of it is written.
    assert count(org, Ticket) == 0


def test_a_bad_row_leaves_earlier_batches_and_not_its_own(org, frozen_now, tmp_path):
    rows = [row(number=f"INC{n:07d}", incident_state="New", sys_mod_count="0", sys_updated_at="29/2/2016 02:00")
            for n in range(1, 8)]
    rows[5]["opened_at"] = "31/31/2016 10:00"
    path = write_csv(tmp_path / "i.csv", rows)
    with pytest.raises(ImportAborted) as info:
        import_servicenow(org, path, ImportOptions(dayfirst=True, batch_size=2))
    assert f"{path}:7:10: created_at: '31/31/2016 10:00' is not a valid day-first date" in str(info.value)
    with session_scope(org) as s:
        refs = s.scalars(select(Ticket.external_ref).order_by(Ticket.external_ref)).all()
    assert refs == ["INC0000001", "INC0000002", "INC0000003", "INC0000004"]  # two whole batches, not row 6's
    # Fixed and imported again: only what is missing is written.
    rows[5]["opened_at"] = "1/3/2016 10:00"
    summary = import_servicenow(org, write_csv(path, rows), ImportOptions(dayfirst=True, batch_size=2))
    assert (summary.rows_unchanged, summary.tickets_created) == (4, 3)


def test_create_missing_creates_groups_categories_and_inactive_analysts(org, frozen_now, tmp_path):
    rows = [row(incident_state="Active", sys_mod_count="0", sys_updated_at="29/2/2016 02:00",
                assignment_group="Group 56", assigned_to="Resolver 149", category="Category 55",
                subcategory="Subcategory 170")]
    summary = import_servicenow(org, write_csv(tmp_path / "i.csv", rows),
                                ImportOptions(dayfirst=True, create_missing=True))
    assert summary.created_missing == {"groups": 1, "analysts": 1, "categories": 2}
    with session_scope(org) as s:
        assert s.scalar(select(Group.tier).where(Group.name == "Group 56")) == 1
        analyst = s.scalars(select(Analyst).where(Analyst.username == "resolver.149")).one()
        assert analyst.name == "Resolver 149" and analyst.active is False
        assert s.scalar(select(Category.id).where(Category.path == "Category 55/Subcategory 170")) is not None
        requester = s.scalars(select(Requester).where(Requester.email == "caller.2403@imported.invalid")).one()
        assert requester.name == "Caller 2403" and requester.location == "Location 143"
    t, _ = by_ref(org, "INC0000045")
    assert t.assignee == "resolver.149" and t.group == "Group 56"


def test_skip_bad_counts_reasons_and_writes_rejects(org, frozen_now, tmp_path):
    rows = audit_rows()
    rows[1]["impact"] = "9 - Galactic"
    rows[6]["assignment_group"] = "Nobody"
    rows.append(row(number="INC0000050", opened_at="?", sys_mod_count="0"))
    path = write_csv(tmp_path / "i.csv", rows)
    summary = import_servicenow(org, path, ImportOptions(dayfirst=True, skip_bad=True, batch_size=2))
    assert summary.skipped == {"bad impact": 1, "unknown group": 1, "missing date": 1}
    assert summary.rows_read == 9 and summary.rows_applied == 6
    rejects = Path(summary.rejects_file)
    assert rejects == Path(f"{path}.rejects.csv")
    with rejects.open(newline="", encoding="utf-8") as f:
        rejected = list(csv.DictReader(f))
    assert [r["_line"] for r in rejected] == ["3", "8", "10"]
    assert rejected[0]["impact"] == "9 - Galactic" and f"{path}:3:19: impact:" in rejected[0]["_error"]


def test_dry_run_writes_nothing_but_counts(org, tmp_path):
    path = write_csv(tmp_path / "i.csv", audit_rows())
    tickets, events_before = count(org, Ticket), count(org, TicketEvent)
    summary = import_servicenow(org, path, ImportOptions(dayfirst=True, dry_run=True, create_missing=True))
    assert summary.dry_run and summary.tickets_created == 2 and summary.rows_applied == 8
    assert (count(org, Ticket), count(org, TicketEvent)) == (tickets, events_before)


def test_bom_crlf_and_iso_dates_with_a_time_zone(org, frozen_now, tmp_path):
    rows = [row(incident_state="New", sys_mod_count="0", opened_at="2016-07-01 09:00:00",
                sys_updated_at="2016-07-01T09:05:00+01:00")]
    path = write_csv(tmp_path / "i.csv", rows, newline="\r\n", bom=True)
    import_servicenow(org, path, ImportOptions(timezone="Europe/London"))
    t, history = by_ref(org, "INC0000045")
    assert t.created_at == datetime(2016, 7, 1, 8, 0)  # London summer time -> UTC
    assert [e.at for e in history if e.kind == "imported"] == [datetime(2016, 7, 1, 8, 5)]  # the offset wins


def test_month_first_by_default_with_a_hint(org, tmp_path):
    path = write_csv(tmp_path / "i.csv", [row(incident_state="New", sys_mod_count="0", sys_updated_at="?")])
    with pytest.raises(ValidationError, match=r"i.csv:2:10: created_at: '29/2/2016 01:16' is not a valid "
                                              r"month-first date; if the file is day-first pass --dayfirst"):
        import_servicenow(org, path)


def test_non_utf8_input_names_line_and_column(org, tmp_path):
    path = write_csv(tmp_path / "i.csv", [row(incident_state="New", sys_mod_count="0", caller_id="Zoë Brown")],
                     encoding="cp1252")
    with pytest.raises(ValidationError, match=r"i.csv:2:\d+: not valid utf-8 \(byte 0xeb\).*--encoding cp1252"):
        import_servicenow(org, path, OPTIONS)
    import_servicenow(org, path, ImportOptions(dayfirst=True, encoding="cp1252"))
    with session_scope(org) as s:
        assert s.scalar(select(Requester.name).where(Requester.email == "zoe.brown@imported.invalid")) == "Zoë Brown"


def test_untrusted_text_is_sanitised(org, frozen_now, tmp_path):
    columns = COLUMNS + ["short_description", "description"]
    rows = [row(incident_state="New", sys_mod_count="0", short_description="[bold red]x[/] \x1b[2Jcleared\x07",
                description="line one\r\nline \x1b]8;;http://evil\x07two")]
    import_servicenow(org, write_csv(tmp_path / "i.csv", rows, columns=columns), OPTIONS)
    t, _ = by_ref(org, "INC0000045")
    assert t.subject == "[bold red]x[/] cleared"
    assert t.description == "line one\nline two"


def test_missing_header_column_is_a_clear_error(org, tmp_path):
    path = write_csv(tmp_path / "i.csv", [row()], columns=[c for c in COLUMNS if c != "opened_at"])
    with pytest.raises(ValidationError, match=r"i.csv:1: no 'opened_at' or .* column \(needed for created_at\)"):
        import_servicenow(org, path, OPTIONS)


def test_unknown_state_lists_allowed_values(org, tmp_path):
    path = write_csv(tmp_path / "i.csv", [row(incident_state="Teleported", sys_mod_count="0")])
    with pytest.raises(ImportAborted, match=r"i.csv:2:2: status: 'Teleported' is not a status; expected one of new, "
                                            r"open, pending"):
        import_servicenow(org, path, OPTIONS)


def test_imported_tickets_feed_the_metrics_by_their_own_times(org, frozen_now, tmp_path):
    import_servicenow(org, write_csv(tmp_path / "i.csv", audit_rows()), OPTIONS)
    with session_scope(org) as s:
        resolved = s.execute(select(Ticket.external_ref, Ticket.created_at, Ticket.resolved_at, Ticket.reopen_count)
                             .where(Ticket.resolved_at.is_not(None), Ticket.external_ref.is_not(None))).all()
    assert resolved == [("INC0000045", datetime(2016, 2, 29, 1, 16), datetime(2016, 3, 1, 10, 0), 1)]


def test_an_export_sorted_newest_first_replays_history_in_order(org, frozen_now, tmp_path):
    newest_first = list(reversed(audit_rows()[:6]))
    summary = import_servicenow(org, write_csv(tmp_path / "desc.csv", newest_first), OPTIONS)
    assert summary.rows_applied == 6 and summary.rows_unchanged == 0
    t, history = by_ref(org, "INC0000045")
    assert t.status == "closed" and t.reopen_count == 1
    assert [e.at for e in history if e.kind == "imported"] == sorted(e.at for e in history if e.kind == "imported")


def test_the_summary_shows_the_sources_sla_verdicts(org, frozen_now, tmp_path):
    summary = import_servicenow(org, write_csv(tmp_path / "i.csv", audit_rows()), OPTIONS)
    assert (summary.source_sla_made, summary.source_sla_missed) == (1, 1)
    assert summary.as_dict()["source_sla"] == {"made": 1, "missed": 1}


def test_two_imports_of_one_file_at_once_write_it_once(org, frozen_now, tmp_path):
    import threading

    rows = audit_rows()
    for r in rows:
        r["assignment_group"] = "Group 56"
    path = write_csv(tmp_path / "i.csv", rows)
    results, errors = [], []

    def run():
        try:
            results.append(import_servicenow(org, path, ImportOptions(dayfirst=True, create_missing=True)))
        except Exception as exc:  # noqa: BLE001 -- reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r.tickets_created for r in results) == [0, 2]
    with session_scope(org) as s:
        assert s.scalar(select(func.count()).select_from(Group).where(Group.name == "Group 56")) == 1
        assert s.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.kind == "imported")) == 8

"""The table classification behind `deskui db grant` (store/pg_roles.py): every table
classified, and the privileges each group role gets follow the roles (issue 12.3)."""

from __future__ import annotations

from itertools import pairwise

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from deskui.services.sweep import SWEEP_LEASE
from deskui.store import pg_roles
from deskui.store.pg_roles import GROUPS, TABLES, sequence_privileges, table_privileges

APPEND_ONLY = {"ticket_events", "comments", "problem_events", "surveys"}
ADMIN_ONLY = {"analysts", "groups", "group_members", "settings", "automation_rules", "sla_policies", "calendars",
              "catalog_items", "categories", "canned_responses"}
WRITES = {"INSERT", "UPDATE", "DELETE"}


def test_every_table_of_the_models_is_classified_and_nothing_else():
    tables = set(SQLModel.metadata.tables) | {"alembic_version"}
    assert tables - set(TABLES) == set(), "classify these tables in deskui/store/pg_roles.py TABLES"
    assert set(TABLES) - tables == set(), "TABLES names tables that do not exist"
    assert {access.kind for access in TABLES.values()} <= {"data", "append_only", "schema"}


@pytest.mark.postgres
def test_every_table_of_the_migrated_postgres_schema_is_classified(pg_database):
    with pg_database.connect() as conn:
        tables = set(conn.execute(text(pg_roles.SCHEMA_TABLES)).scalars())
    assert tables == set(TABLES)


def test_the_viewer_only_reads():
    for table in TABLES:
        assert table_privileges(table, "viewer") == {"SELECT"}
        assert sequence_privileges(table, "viewer") == frozenset()


def test_the_audit_trail_is_insert_and_select_for_everyone():
    assert {t for t, a in TABLES.items() if a.kind == "append_only"} == APPEND_ONLY
    for table in APPEND_ONLY:
        for role in ("analyst", "lead", "admin"):
            assert table_privileges(table, role) == {"SELECT", "INSERT"}, (table, role)


def test_analysts_and_leads_cannot_write_the_directory_but_admin_can():
    for table in ADMIN_ONLY - {"settings"}:
        assert table_privileges(table, "analyst") == {"SELECT"}, table
        assert table_privileges(table, "lead") == {"SELECT"}, table
        assert table_privileges(table, "admin") == {"SELECT", "INSERT", "UPDATE", "DELETE"}, table
    # settings: the SLA sweep lease row only, by row level security; never DELETE
    assert "DELETE" not in table_privileges("settings", "analyst")
    assert "deskui_settings_lease" in pg_roles.POLICIES


def test_analysts_write_what_working_tickets_needs_and_leads_add_bulletins_and_approvals():
    analyst = {t: table_privileges(t, "analyst") for t in TABLES}
    assert {"INSERT", "UPDATE"} <= analyst["tickets"]
    assert "INSERT" in analyst["comments"] and "INSERT" in analyst["ticket_events"]
    assert {"INSERT", "UPDATE", "DELETE"} <= analyst["drafts"]
    assert analyst["bulletins"] == {"SELECT"} and analyst["bulletin_links"] == {"SELECT"}
    assert "UPDATE" not in analyst["request_approvals"]
    assert {"INSERT", "UPDATE"} <= table_privileges("bulletins", "lead")
    assert "UPDATE" in table_privileges("request_approvals", "lead")
    for table in TABLES:  # each role has at least the one below it
        for lower, upper in pairwise(GROUPS):
            if TABLES[table].kind != "schema":
                assert table_privileges(table, lower) <= table_privileges(table, upper), (table, lower, upper)
    assert "DELETE" not in analyst["tickets"]


def test_nobody_but_the_owner_changes_the_schema_bookkeeping_or_truncates():
    for role in GROUPS:
        assert table_privileges("alembic_version", role) == {"SELECT"}
        for table in TABLES:
            assert table_privileges(table, role) <= {"SELECT"} | WRITES


def test_sequences_follow_insert():
    assert sequence_privileges("tickets", "analyst") == {"USAGE"}
    assert sequence_privileges("analysts", "analyst") == frozenset()
    assert sequence_privileges("analysts", "admin") == {"USAGE", "SELECT", "UPDATE"}


def test_the_lease_key_is_the_sweeps():
    assert pg_roles.SWEEP_LEASE_KEY == SWEEP_LEASE

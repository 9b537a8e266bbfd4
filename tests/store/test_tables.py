"""The Core views in deskui.store.tables mirror the SQLModel tables exactly."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import Boolean, DateTime, Float, Integer, String, Text
from sqlmodel import SQLModel

import deskui.store.models  # noqa: F401  (registers the tables)
from deskui.store import tables

VIEWS = [value for value in vars(tables).values() if getattr(value, "is_selectable", False)
         and hasattr(value, "name") and value.name in SQLModel.metadata.tables]
KINDS = (Boolean, DateTime, Float, Integer, Text, String)  # Text before String: Text is a String


def _kind(sql_type) -> type:
    sql_type = getattr(sql_type, "impl_instance", sql_type)  # sqlmodel's AutoString decorates String
    return next(kind for kind in KINDS if isinstance(sql_type, kind))


def test_every_view_is_found():
    assert {view.name for view in VIEWS} >= {"tickets", "ticket_events", "analysts", "groups", "categories",
                                             "requesters", "sla_policies", "calendars"}


@pytest.mark.parametrize("view", VIEWS, ids=lambda view: view.name)
def test_a_view_has_the_model_columns_with_their_types(view):
    model = SQLModel.metadata.tables[view.name]
    assert [c.name for c in view.columns] == [c.name for c in model.columns]
    for column in view.columns:
        assert _kind(column.type) is _kind(model.columns[column.name].type), column.name


def test_the_views_import_no_sqlmodel():
    code = "import sys\nimport deskui.store.tables\nassert 'sqlmodel' not in sys.modules\n"
    subprocess.run([sys.executable, "-c", code], check=True)

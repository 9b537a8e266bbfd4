"""`deskui problem|request|bulletin|rules|route` and `deskui seed rules|catalog`,
through Typer's runner on a real SQLite file."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskui import clock
from deskui.cli.main import app
from tests.conftest import FROZEN

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
_TEMPLATE: dict[str, Path] = {}


def run(db: Path, *args: str, user: str | None = "demo"):
    argv = [f"--db={db}"] + ([f"--as={user}"] if user else []) + list(args)
    return runner.invoke(app, argv)


def ok(db: Path, *args: str, user: str | None = "demo"):
    result = run(db, *args, user=user)
    assert result.exit_code == 0, result.output
    return result


def js(db: Path, *args: str, user: str | None = "demo"):
    return json.loads(ok(db, *args, "-f", "json", user=user).stdout)


def fails(db: Path, *args: str, needle: str, user: str | None = "demo"):
    result = run(db, *args, user=user)
    assert result.exit_code == 1, result.output
    assert needle in result.stderr and result.stderr.strip().count("\n") == 0, result.stderr
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def db(tmp_path_factory, monkeypatch) -> Path:
    """The demo organisation (no tickets), built once with `init` + `seed demo`, copied per test."""
    monkeypatch.setenv("DESKUI_FROZEN_NOW", FROZEN.isoformat())
    if "db" not in _TEMPLATE:
        path = tmp_path_factory.mktemp("ops") / "desk.db"
        ok(path, "init", user=None)
        ok(path, "seed", "demo", user=None)
        con = sqlite3.connect(path)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        _TEMPLATE["db"] = path
    copy = tmp_path_factory.mktemp("copy") / "desk.db"
    shutil.copyfile(_TEMPLATE["db"], copy)
    yield copy
    clock.set_now(None)


def new_ticket(db: Path, subject="VPN drops every few minutes", category="Network/VPN", **kw) -> int:
    args = ["ticket", "new", "-s", subject, "-r", kw.pop("requester", "ana@northwind.example"), "--category", category]
    for key, value in kw.items():
        args += [f"--{key}", value]
    return js(db, *args)[0]["id"]


# ------------------------------------------------------------------ rules

def test_seed_rules_then_new_tickets_are_assigned_by_rule(db):
    out = ok(db, "seed", "rules", str(SAMPLE / "rules.toml"), user="rmensah")
    assert "rules: 7 created" in out.stdout
    rules = js(db, "rules", "list")
    assert [r["name"] for r in rules][:1] == ["service-desk-round-robin"] and rules[0]["config"]["method"] == "round_robin"
    tid = new_ticket(db, subject="Account locked out", category="Accounts & Access/Password & Lockout")
    shown = js(db, "ticket", "show", str(tid))
    assert shown["assignee"] == "akhan"
    assert any(e["actor"] == "rule:service-desk-round-robin" and e["kind"] == "assigned" for e in shown["events"])


def test_rules_apply_assigns_unassigned_tickets(db):
    tid = new_ticket(db)
    ok(db, "rules", "seed", str(SAMPLE / "rules.toml"), user="rmensah")
    out = ok(db, "rules", "apply", user="rmensah")
    assert f"#{tid} -> snair" in out.stdout and "assigned 1, skipped 0" in out.stdout


def test_bad_rules_file_is_one_line_with_file_and_line(db, tmp_path):
    bad = tmp_path / "rules.toml"
    bad.write_text('[[rule]]\nname = "x"\nkind = "assign"\nmethod = "random"\n')
    fails(db, "seed", "rules", str(bad), needle=f"{bad}:4: rule[1].method: 'random' is not one of round_robin",
          user="rmensah")


# ------------------------------------------------------------------ problems

def test_problem_lifecycle_from_the_cli(db):
    a, b = new_ticket(db, ci="vpn-gw-lon-01"), new_ticket(db, ci="vpn-gw-lon-01")
    created = js(db, "problem", "new", "VPN gateway drops tunnels", "-i", str(a), "-i", str(b))
    ref = created[0]["ref"]
    assert created[0]["status"] == "new"
    rows = js(db, "problem", "list")
    assert [(r["ref"], r["incidents"], r["open_incidents"]) for r in rows] == [(ref, 2, 2)]
    fails(db, "problem", "status", ref, "known_error", needle="record a workaround")
    ok(db, "problem", "update", ref, "--root-cause", "Firmware bug", "--workaround", "Use the NYC gateway")
    assert "is known_error" in ok(db, "problem", "status", ref, "known_error").stdout
    c = new_ticket(db, ci="vpn-gw-lon-01", subject="Home VPN unusable")
    matches = js(db, "problem", "known-errors", str(c))
    assert [m["ref"] for m in matches] == [ref] and matches[0]["workaround"] == "Use the NYC gateway"
    ok(db, "problem", "link", ref, str(c))
    shown = js(db, "problem", "show", ref)
    assert [i["id"] for i in shown["incidents"]] == [a, b, c]
    assert [e["kind"] for e in shown["events"]][:3] == ["created", "linked", "linked"]
    ok(db, "problem", "unlink", ref, str(c))
    kept = ok(db, "problem", "resolve", ref, "--fix", "Firmware 10.2.4")
    assert "2 open incident(s) left: #1, #2" in kept.stdout
    assert js(db, "ticket", "show", str(a))["status"] == "new"


def test_problem_resolve_with_incidents(db):
    a = new_ticket(db)
    ok(db, "problem", "new", "X", "-i", str(a))
    out = ok(db, "problem", "resolve", "PRB-1", "--fix", "Patched", "--resolve-incidents", "--note", "Patched centrally")
    assert "resolved incidents: #1" in out.stdout
    shown = js(db, "ticket", "show", str(a))
    assert shown["status"] == "resolved" and shown["resolution_notes"] == "Patched centrally"
    fails(db, "problem", "show", "PRB-99", needle="problem PRB-99 not found")
    fails(db, "problem", "show", "INC-1", needle="is not a problem number")


def test_problem_candidates(db):
    for i in range(3):
        new_ticket(db, subject=f"Scanner {i} offline", ci="zebra-tc52-044", requester=f"w{i}@northwind.example")
    rows = js(db, "problem", "candidates")
    assert rows[0]["key"] == "ci zebra-tc52-044" and rows[0]["count"] == 3 and rows[0]["tickets"] == [1, 2, 3]
    assert "zebra-tc52-044" in ok(db, "problem", "candidates").stdout


# ------------------------------------------------------------------ requests

def test_request_approval_and_fulfilment_from_the_cli(db):
    ok(db, "seed", "catalog", str(SAMPLE / "catalog.toml"), user="rmensah")
    items = js(db, "request", "catalog")
    assert "laptop" in [i["key"] for i in items]
    fails(db, "request", "new", "laptop", "-r", "kim@northwind.example", "-F", "model=standard",
          needle="required field(s) missing: reason")
    made = js(db, "request", "new", "laptop", "-r", "kim@northwind.example", "-F", "model=standard",
              "-F", "reason=broken")
    tid = str(made[0]["id"])
    assert made[0]["approval"] == "pending" and made[0]["group"] == ""
    assert [p["id"] for p in js(db, "request", "pending", "--mine", user="dokafor")] == [made[0]["id"]]
    fails(db, "request", "approve", tid, needle="demo is not an approver")
    fails(db, "request", "tick", tid, "1", needle="the checklist opens once it is approved")
    out = ok(db, "request", "approve", tid, "-m", "fine", user="dokafor")
    assert "approved: now with Desktop Support" in out.stdout
    for step in ("1", "2", "3", "4"):
        ok(db, "request", "tick", tid, step)
    shown = js(db, "request", "show", tid)
    assert shown["checklist"] == "4/4" and shown["answers"] == {"model": "standard", "reason": "broken"}
    assert "fulfilled (resolved)" in ok(db, "request", "fulfil", tid).stdout


def test_request_reject_needs_a_comment(db):
    ok(db, "seed", "catalog", str(SAMPLE / "catalog.toml"), user="rmensah")
    tid = str(js(db, "request", "new", "laptop", "-r", "kim@northwind.example", "-F", "model=standard",
                 "-F", "reason=broken")[0]["id"])
    assert run(db, "request", "reject", tid, user="dokafor").exit_code == 2  # --comment is required
    assert "rejected (cancelled)" in ok(db, "request", "reject", tid, "-m", "no budget", user="dokafor").stdout


# ------------------------------------------------------------------ bulletins and routing

def test_bulletins_from_the_cli(db):
    fails(db, "bulletin", "post", "VPN degraded", "--for", "2h", user="akhan", needle="permission denied: akhan is an analyst; posting and ending bulletins needs lead")
    usage = run(db, "bulletin", "post", "VPN degraded")  # a usage error: exit 2
    assert usage.exit_code == 2 and "exactly one of --until or --for" in usage.output
    posted = js(db, "bulletin", "post", "VPN degraded", "--for", "2h", "--severity", "major",
                "--body", "Use the NYC gateway")
    assert posted[0]["ends_at"] == "2026-11-16T11:00:00Z" and posted[0]["severity"] == "major"
    tid = new_ticket(db)
    assert "linked #1" in ok(db, "bulletin", "link", "BUL-1", str(tid)).stdout
    assert js(db, "bulletin", "list")[0]["linked"] == 1
    assert "ended at 2026-11-16 09:00" in ok(db, "bulletin", "end", "1").stdout
    assert js(db, "bulletin", "list") == [] and len(js(db, "bulletin", "list", "--all")) == 1
    bad_time = run(db, "bulletin", "post", "Later", "--until", "tomorrow")
    assert bad_time.exit_code == 2 and "is not a time" in bad_time.output
    fails(db, "bulletin", "post", "Past", "--until", "2026-11-16T08:00", needle="must be after the start")


def test_route_evaluate_scores_suggestions_on_held_out_tickets_beside_baselines(db):
    """Issue 16.2 (the evaluator): top-1/top-3 on held-out resolved tickets, beside the
    most frequent label and a plain five-neighbour vote, with per-group recall."""
    from deskui.store.routing_holdout import Holdout

    split = Holdout(7, 0.5)
    subjects = [("VPN tunnel drops at home", "Network/VPN"), ("Printer jams on tray two", "Printing/Printer Setup")]
    ids = {}
    for n in range(12):
        subject, category = subjects[n % 2]
        tid = new_ticket(db, subject=f"{subject} {n}", category=category)
        ok(db, "ticket", "resolve", str(tid), "--code", "solved", "--notes", "done")
        ids[tid] = category
    held = [tid for tid in ids if split.holds(tid)]
    assert 0 < len(held) < len(ids)  # the split holds some out, keeps the rest to learn from
    got = js(db, "route", "evaluate", "--holdout", "0.5", "--seed", "7")
    assert got["evaluated"] == len(held) and got["trained"] == len(ids) - len(held)
    # Two clearly separated kinds of ticket: the suggestions and the plain vote get every one right.
    assert got["groups"]["deskui"]["top1"] == 1.0 and got["categories"]["deskui"]["top1"] == 1.0
    assert got["groups"]["knn"]["top1"] == 1.0 and got["groups"]["knn"]["top3"] is None
    assert got["groups"]["majority"]["top1"] < 1.0
    assert {r["name"] for r in got["largest"]} == {"Network Operations", "Service Desk"}
    assert all(r["recall"] == 1.0 for r in got["largest"])
    table = ok(db, "route", "evaluate", "--holdout", "0.5").stdout
    assert "plain 5-neighbour vote" in table and "largest groups" in table
    assert run(db, "route", "evaluate", "--holdout", "1.5").exit_code == 1


def test_route_train_then_suggest_and_auto_assign(db):
    """Issue 16.2: `route train` stores the model (too few tickets: says so), `route
    suggest` then answers from it, `route auto-assign` sets and clears the rules' confidence."""
    first = ok(db, "route", "train").stdout
    assert "not trained: group" in first and "0 model(s) stored" in first
    kinds = (("VPN tunnel drops at home", "Network/VPN"), ("Printer jams on tray two", "Printing/Printer Setup"))
    for n in range(16):
        for subject, category in kinds:
            tid = new_ticket(db, subject=f"{subject} {n}", category=category)
            ok(db, "ticket", "resolve", str(tid), "--code", "solved", "--notes", "done")
    got = js(db, "route", "train", "--min-confidence", "0.2")
    assert {m["target"] for m in got["models"]} == {"group", "category"}
    assert all(m["trained_on"] == 32 and m["min_confidence"] == 0.2 for m in got["models"])
    suggestion = js(db, "route", "suggest", "--text", "VPN keeps dropping at home")
    assert suggestion["source"] == "model" and suggestion["groups"][0]["name"] == "Network Operations"
    assert "up to date" in ok(db, "route", "train", "--if-stale").stdout
    assert "trained model" in ok(db, "route", "evaluate", "--holdout", "0.5").stdout
    assert js(db, "route", "evaluate", "--no-model")["groups"]["model"] is None
    assert "off" in ok(db, "route", "auto-assign").stdout
    assert ">= 0.80" in ok(db, "route", "auto-assign", "0.8").stdout
    assert run(db, "route", "auto-assign", "lots").exit_code == 2
    assert run(db, "route", "auto-assign", "1.5").exit_code == 1
    assert "off" in ok(db, "route", "auto-assign", "off").stdout
    assert run(db, "route", "train", "--min-confidence", "2").exit_code == 1


def test_route_suggest(db):
    for subject in ("VPN drops at home", "GlobalProtect VPN disconnects"):
        tid = new_ticket(db, subject=subject)
        ok(db, "ticket", "resolve", str(tid), "--code", "solved", "--notes", "Pinned the gateway")
    got = js(db, "route", "suggest", "--text", "VPN keeps dropping")
    assert got["categories"][0]["name"] == "Network/VPN" and got["groups"][0]["name"] == "Network Operations"
    assert len(got["evidence"]) == 2
    table = ok(db, "route", "suggest", "--text", "VPN keeps dropping").stdout
    assert "evidence" in table and "Network/VPN" in table
    assert run(db, "route", "suggest").exit_code == 2

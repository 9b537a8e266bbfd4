"""A write storm: many deskui processes writing to the same tickets at once (issue 12.7).

    python bench/bench_storm.py [--procs 20] [--writes 200] [--tickets 30] [--pg URL]

Each process is its own analyst and makes ``--writes`` mixed writes (take, assign
to another storm analyst, comment, status open/pending) on ``--tickets`` shared
tickets, through the services, exactly as the CLI or the TUI would. Every run
uses a fresh SQLite file (in bench/out/) and, with ``--pg``, a fresh database on
that server.

Printed per database:

- errors: calls that failed with anything but a refusal of the workflow (a
  status change the ticket's current status does not allow is a correct answer,
  counted apart as "refused"); the first few are shown;
- lost / duplicated: every successful call is looked for in the database
  afterwards by its ticket, actor, time and kind (each call passes its own
  microsecond time): a comment and a status change must have exactly one event,
  a take or an assignment exactly one event unless the ticket already had that
  assignee (then none: "no change"). Besides, each ticket's version must have
  moved by exactly the number of successful changes to it (plus the first
  response a comment records), so a change missing from the database counts as
  lost even when it wrote no event;
- throughput (successful writes per second over the whole storm) and the p50 /
  p95 / max latency of one call.

Target: 0 errors, 0 lost, 0 duplicated.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import statistics
import sys
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "out"
OPS = ("take", "assign", "comment", "status")


# ------------------------------------------------------------------ set-up


def prepare(url: str, procs: int, tickets: int) -> tuple[list[str], list[int]]:
    """Migrate, seed the demo organisation, add one analyst per process and open the tickets."""
    from sqlmodel import Session

    from deskui.services import tickets as svc
    from deskui.services.actors import SYSTEM
    from deskui.services.seed import seed_demo_org
    from deskui.store.db import make_engine, upgrade
    from deskui.store.models import Analyst

    engine = make_engine(url)
    upgrade(engine)
    seed_demo_org(engine, ROOT / "sample_data")
    names = [f"storm{i:02d}" for i in range(procs)]
    with Session(engine) as session:
        # leads: the storm takes tickets from each other (a lead's right, domain/permissions.py)
        for name in names:
            session.add(Analyst(username=name, name=f"Storm {name[5:]}", email=f"{name}@example.com", role="lead"))
        session.commit()
    ids = [svc.open_ticket(engine, SYSTEM, subject=f"storm ticket {n}", requester="storm@example.com").id
           for n in range(tickets)]
    engine.dispose()
    return names, ids


# ------------------------------------------------------------------ one process


def _unique_now(last: datetime | None) -> datetime:
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    return now if last is None or now > last else last + timedelta(microseconds=1)


def worker(url: str, me: str, others: list[str], ticket_ids: list[int], writes: int, seed: int, start, results) -> None:
    """One analyst's storm: ``writes`` calls, each recorded as (op, ticket, at, outcome, detail, seconds, version)."""
    from deskui.domain.workflow import WorkflowError
    from deskui.services import tickets as svc
    from deskui.services.actors import actor_for
    from deskui.store.db import make_engine

    engine = make_engine(url)
    actor = actor_for(engine, me)
    rng = random.Random(seed)
    rows = []
    last = None
    results.put((me, None))  # ready: imported and connected
    start.wait()
    for n in range(writes):
        op, ticket = rng.choice(OPS), rng.choice(ticket_ids)
        last = at = _unique_now(last)
        version = None
        began = time.perf_counter()
        try:
            if op == "take":
                version = svc.take(engine, actor, ticket, at=at).version
            elif op == "assign":
                version = svc.assign(engine, actor, ticket, rng.choice(others), at=at).version
            elif op == "comment":
                svc.add_comment(engine, actor, ticket, f"storm {me} #{n}", internal=rng.random() < 0.5, at=at)
            else:
                target = rng.choice(("open", "pending"))
                reason = "awaiting_requester" if target == "pending" else None
                version = svc.change_status(engine, actor, ticket, target, pending_reason=reason, at=at).version
            outcome, detail = "ok", ""
        except WorkflowError as exc:
            outcome, detail = "refused", str(exc)
        except Exception as exc:  # noqa: BLE001 - the storm counts every other failure
            outcome, detail = "error", f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
        rows.append((op, ticket, at, outcome, detail, time.perf_counter() - began, version))
    engine.dispose()
    results.put((me, rows))


# ------------------------------------------------------------------ the storm


def storm(url: str, *, procs: int = 20, writes: int = 200, tickets: int = 30, seed: int = 12,
          before_start=None) -> dict:
    """Run the storm against a fresh, migrated database at ``url``; return its figures.
    ``before_start()`` runs once every process is ready, just before they start
    (a test holds the write lock there, as a long import would)."""
    names, ids = prepare(url, procs, tickets)
    versions_before = _versions(url, ids)
    ctx = mp.get_context("spawn")  # nothing of the parent's connections crosses into a child
    start, results = ctx.Event(), ctx.Queue()
    children = [ctx.Process(target=worker, args=(url, name, [o for o in names if o != name], ids, writes,
                                                 seed * 1000 + i, start, results))
                for i, name in enumerate(names)]
    for child in children:
        child.start()
    for _ in children:
        results.get(timeout=120)
    if before_start is not None:
        before_start()
    began = time.perf_counter()
    start.set()
    collected = dict(results.get(timeout=900) for _ in children)
    elapsed = time.perf_counter() - began
    for child in children:
        child.join(60)
    figures = check(url, collected, versions_before)
    figures["elapsed"] = elapsed
    figures["throughput"] = figures["ok"] / elapsed if elapsed else 0.0
    return figures


def _versions(url: str, ids: list[int]) -> dict[int, int]:
    from sqlalchemy import select

    from deskui.store.db import make_engine
    from deskui.store.tables import tickets

    engine = make_engine(url)
    with engine.connect() as conn:
        found = dict(conn.execute(select(tickets.c.id, tickets.c.version).where(tickets.c.id.in_(ids))).all())
    engine.dispose()
    return found


def check(url: str, collected: dict[str, list], versions_before: dict[int, int]) -> dict:
    """Look for every successful call in the database; count errors, lost and duplicated writes."""
    from sqlalchemy import text

    from deskui.store.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        events = Counter(
            (row.ticket_id, row.actor, _micro(row.at), row.kind)
            for row in conn.execute(text("SELECT ticket_id, actor, at, kind FROM ticket_events WHERE actor LIKE 'storm%'"))
        )
        comments = Counter(row.body for row in conn.execute(text("SELECT body FROM comments WHERE body LIKE 'storm %'")))
        first_responses = Counter(row.ticket_id for row in conn.execute(
            text("SELECT ticket_id FROM ticket_events WHERE kind = 'first_response' AND actor LIKE 'storm%'")))
        versions_after = dict(conn.execute(text("SELECT id, version FROM tickets")).all())
    engine.dispose()

    kinds = {"take": "assigned", "assign": "assigned", "comment": "comment", "status": "status"}
    outcomes: Counter = Counter()
    lost = duplicated = unchanged = 0
    changes: Counter = Counter()
    latencies: list[float] = []
    error_lines: Counter = Counter()
    for me, rows in collected.items():
        for n, (op, ticket, at, outcome, detail, seconds, _version) in enumerate(rows):
            outcomes[outcome] += 1
            latencies.append(seconds)
            if outcome == "error":
                error_lines[detail] += 1
            if outcome != "ok":
                continue
            found = events[(ticket, me, _micro(at), kinds[op])]
            if op == "comment":  # the comment row and its event, each exactly once
                rows_found = comments[f"storm {me} #{n}"]
                found = max(found, rows_found) if found > 1 or rows_found > 1 else min(found, rows_found)
            else:
                changes[ticket] += 1
            if found > 1:
                duplicated += 1
            elif found == 0 and op in ("take", "assign"):
                unchanged += 1
            elif found == 0:
                lost += 1
    # Every successful change (an assignment that changed nothing included) moved the version by one.
    for ticket, before in versions_before.items():
        expected = before + changes[ticket] + first_responses[ticket]
        actual = versions_after.get(ticket, before)
        if actual < expected:
            lost += expected - actual
        elif actual > expected:
            duplicated += actual - expected
    latencies.sort()
    return {
        "calls": sum(outcomes.values()), "ok": outcomes["ok"], "refused": outcomes["refused"],
        "errors": outcomes["error"], "lost": lost, "duplicated": duplicated, "unchanged": unchanged,
        "p50": statistics.median(latencies) if latencies else 0.0,
        "p95": latencies[int(0.95 * (len(latencies) - 1))] if latencies else 0.0,
        "max": latencies[-1] if latencies else 0.0,
        "error_lines": error_lines,
    }


def _micro(value) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.isoformat(sep=" ", timespec="microseconds")


# ------------------------------------------------------------------ main


def _pg_database(url: str) -> tuple[str, callable]:
    from sqlalchemy import text

    from deskui.store.db import make_engine

    admin = make_engine(url)
    name = f"deskui_storm_{uuid.uuid4().hex[:8]}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin.url.set(database=name).render_as_string(hide_password=False), drop


def report(label: str, f: dict) -> None:
    print(f"{label}: {f['calls']} calls in {f['elapsed']:.1f} s: {f['ok']} ok, {f['refused']} refused by the workflow, "
          f"{f['errors']} errors, {f['lost']} lost, {f['duplicated']} duplicated "
          f"({f['unchanged']} assignments changed nothing)")
    print(f"  throughput {f['throughput']:.0f} writes/s; latency p50 {f['p50'] * 1000:.0f} ms, "
          f"p95 {f['p95'] * 1000:.0f} ms, max {f['max'] * 1000:.0f} ms")
    for line, count in f["error_lines"].most_common(5):
        print(f"  {count} x {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procs", type=int, default=20)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--tickets", type=int, default=30)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--pg", default="", help="a PostgreSQL URL: also storm a fresh database on that server")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    sizes = {"procs": args.procs, "writes": args.writes, "tickets": args.tickets, "seed": args.seed}
    print(f"storm: {args.procs} processes x {args.writes} writes on {args.tickets} tickets")
    bad = 0
    if not args.no_sqlite:
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / f"storm-{uuid.uuid4().hex[:8]}.db"
        try:
            figures = storm(f"sqlite:///{path}", **sizes)
            report("SQLite", figures)
            bad += figures["errors"] + figures["lost"] + figures["duplicated"]
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    if args.pg:
        url, drop = _pg_database(args.pg)
        try:
            figures = storm(url, **sizes)
            report("PostgreSQL", figures)
            bad += figures["errors"] + figures["lost"] + figures["duplicated"]
        finally:
            drop()
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())

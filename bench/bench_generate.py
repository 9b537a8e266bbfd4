"""Benchmark `deskui generate`: tickets per second and database size, beside the floor.

    python bench/bench_generate.py [--tickets 1000000] [--seed 42] [--workers N] [--keep]

Creates a fresh SQLite database in a temporary directory (schema by migrations, the
demo organisation from sample_data/), generates the history and prints:

- tickets/s and total seconds for the whole run (requesters, generation, inserts,
  full-text indexing, statistics), the database size in MB and bytes per ticket, and
  the CPU time of all processes (meaningful when other work shares the machine);
- the floor: raw sqlite3 executemany of the same number of plain ticket rows (the
  same columns and indexes, full-text indexed per batch the way generate does it;
  no events, comments or logic) into a second fresh database, so the ratio holds on
  a noisy machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fresh_database(directory: Path, name: str, *, seed_org: bool):
    from deskui.store.db import make_engine, upgrade

    path = directory / name
    engine = make_engine(str(path))
    upgrade(engine)
    if seed_org:
        from deskui.services.seed import seed_demo_org

        seed_demo_org(engine, ROOT / "sample_data")
    return path, engine


def checkpoint(path: Path) -> None:
    """Fold the WAL into the database file so the size is the data's."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def database_bytes(path: Path) -> int:
    return sum(os.path.getsize(p) for p in (path, Path(f"{path}-wal")) if os.path.exists(p))


def floor_plain_rows(path: Path, tickets: int) -> float:
    """Seconds for raw executemany of `tickets` plain ticket rows (batches of 10,000)."""
    from deskui.services.generate import TICKET_COLUMNS

    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = NORMAL")
    con.execute("PRAGMA cache_size = -262144")
    sql = f"INSERT INTO tickets ({', '.join(TICKET_COLUMNS)}) VALUES ({', '.join('?' * len(TICKET_COLUMNS))})"
    stamp = "2026-11-16 09:00:00.000000"
    base = dict.fromkeys(TICKET_COLUMNS)
    base.update(type="incident", subject="Cannot connect to VPN from home",
                description="Since Monday the VPN drops after a few minutes; internet works.", channel="email",
                impact="medium", urgency="medium", priority=3, priority_reason="matrix: impact medium x urgency medium = P3",
                status="closed", pending_reason="", tier=1, ci="", created_at=stamp, updated_at=stamp,
                resolution_code="solved", resolution_notes="Reset the VPN profile.", response_state="met",
                resolution_state="met", sla_breach_recorded=0, reopen_count=0, reassignment_count=0,
                escalation_count=0, updated_by="akhan", version=3)
    trigger = con.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'tickets_fts_ai'").fetchone()
    started = time.perf_counter()
    next_id = 1
    while next_id <= tickets:
        batch = []
        for ticket_id in range(next_id, min(tickets, next_id + 9999) + 1):
            base["id"] = ticket_id
            batch.append(tuple(base[c] for c in TICKET_COLUMNS))
        con.execute("BEGIN IMMEDIATE")
        if trigger:  # index the batch in one statement, as generate does
            con.execute("DROP TRIGGER tickets_fts_ai")
        con.executemany(sql, batch)
        if trigger:
            con.execute("INSERT INTO tickets_fts(rowid, subject, description, resolution_notes) "
                        "SELECT id, subject, description, resolution_notes FROM tickets WHERE id >= ?", (next_id,))
            con.execute(trigger[0])
        con.execute("COMMIT")
        next_id += len(batch)
    seconds = time.perf_counter() - started
    con.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workers", type=int, default=None, help="generator processes (default: automatic)")
    parser.add_argument("--keep", action="store_true", help="keep the databases and print their paths")
    args = parser.parse_args()

    from deskui.services.generate import default_days, generate_history

    directory = Path(tempfile.mkdtemp(prefix="deskui-bench-"))
    try:
        path, engine = fresh_database(directory, "generate.db", seed_org=True)
        end = datetime(2026, 11, 16, 9, 0, 0)
        print(f"generate: {args.tickets:,} tickets over {default_days(args.tickets)} days into {path}", flush=True)
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.perf_counter()
            if now - last[0] > 10 or done == total:
                last[0] = now
                print(f"  {done:>10,} / {total:,}", flush=True)

        before = os.times()
        summary = generate_history(engine, tickets=args.tickets, seed=args.seed, end=end, progress=progress,
                                   workers=args.workers)
        after = os.times()
        cpu = sum(getattr(after, f) - getattr(before, f) for f in ("user", "system", "children_user", "children_system"))
        engine.dispose()
        checkpoint(path)
        size = database_bytes(path)
        print(f"  {summary}")

        floor_path, floor_engine = fresh_database(directory, "floor.db", seed_org=False)
        floor_engine.dispose()
        floor_seconds = floor_plain_rows(floor_path, args.tickets)
        checkpoint(floor_path)

        rate = summary.tickets / summary.seconds
        floor_rate = args.tickets / floor_seconds
        print()
        print(f"{'':34}{'deskui generate':>18}{'floor: plain rows':>20}")
        print(f"{'tickets':34}{summary.tickets:>18,}{args.tickets:>20,}")
        print(f"{'seconds':34}{summary.seconds:>18.1f}{floor_seconds:>20.1f}")
        print(f"{'tickets/s':34}{rate:>18,.0f}{floor_rate:>20,.0f}")
        print(f"{'database MB':34}{size / 1e6:>18,.1f}{database_bytes(floor_path) / 1e6:>20,.1f}")
        print(f"{'bytes/ticket':34}{size / summary.tickets:>18,.0f}{database_bytes(floor_path) / args.tickets:>20,.0f}")
        print(f"{'rows: comments / events / surveys':34}"
              f"{summary.comments:,} / {summary.events:,} / {summary.surveys:,}")
        print(f"{'generate / floor (time ratio)':34}{summary.seconds / floor_seconds:>18.2f}")
        print(f"{'CPU s (all processes), us/ticket':34}{cpu:>12.1f}, {cpu / summary.tickets * 1e6:,.0f}")
        print(f"{'load average (1 min) at the end':34}{os.getloadavg()[0]:>18.1f}")
        print(f"{'workers':34}{summary.workers:>18}")
        if args.keep:
            print(f"kept: {directory}")
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Benchmark `deskui import servicenow`: rows per second and peak memory, beside the floor.

    python bench/bench_import.py [--rows 1000000] [--batch-size 1000] [--seed 7] [--keep DIR]

Generates a ServiceNow-style audit CSV (every column of the incident export,
several rows per incident in order, day-first dates, anonymised names like the
public "incident event log" data set), then in fresh SQLite databases:

- the import: ``import_servicenow(... dayfirst, create_missing)`` -- parsing,
  sanitising, history events, SLA cache, full-text triggers -- in a child process
  so its peak RSS is its own; run twice: the second run is the idempotent
  re-import (nothing to write);
- the floor: raw ``sqlite3`` reading the same file with ``csv.reader`` and
  ``executemany`` of the same rows into one plain 32-column table, in batches of
  the same size.

Prints rows/s, seconds, peak RSS (MB) and the ratio import/floor. Peak RSS is
also measured on a file a tenth the size, so constant memory shows as two
similar figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COLUMNS = [
    "number", "incident_state", "active", "reassignment_count", "reopen_count", "sys_mod_count", "made_sla",
    "caller_id", "opened_by", "opened_at", "sys_updated_by", "sys_updated_at", "contact_type", "location",
    "category", "subcategory", "u_symptom", "cmdb_ci", "impact", "urgency", "priority", "assignment_group",
    "assigned_to", "knowledge", "problem_id", "rfc", "vendor", "caused_by", "closed_code", "resolved_by",
    "resolved_at", "closed_at",
]
LEVELS = ["1 - High", "2 - Medium", "3 - Low"]
PRIORITY = {("1", "1"): "1 - Critical", ("1", "2"): "2 - High", ("2", "1"): "2 - High", ("1", "3"): "3 - Moderate",
            ("2", "2"): "3 - Moderate", ("3", "1"): "3 - Moderate", ("2", "3"): "4 - Low", ("3", "2"): "4 - Low",
            ("3", "3"): "4 - Low"}
CONTACT = ["Phone"] * 20 + ["Email"] * 3 + ["Self service", "IVR", "Direct opening"]


def day_first(at: datetime) -> str:
    return f"{at.day}/{at.month}/{at.year} {at.hour:02d}:{at.minute:02d}"


def generate(path: Path, rows: int, seed: int = 7) -> int:
    """Write `rows` audit rows (about 6 an incident); return the number of incidents."""
    rng = random.Random(seed)
    start = datetime(2016, 2, 29, 0, 0)
    written = incidents = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(COLUMNS)
        while written < rows:
            incidents += 1
            number = f"INC{incidents:07d}"
            opened = start + timedelta(minutes=incidents * 3 + rng.randrange(60))
            updates = min(rng.choice((2, 3, 4, 5, 6, 7, 8, 9, 10)), rows - written)
            impact, urgency = rng.choice(LEVELS), rng.choice(LEVELS)
            priority = PRIORITY[(impact[0], urgency[0])]
            caller = f"Caller {rng.randrange(5000)}"
            category = rng.randrange(60)
            sub = f"Subcategory {category * 4 + rng.randrange(4)}"
            group = f"Group {rng.randrange(70)}"
            resolver = f"Resolver {rng.randrange(230)}"
            made_sla = "true" if rng.random() < 0.9 else "false"
            contact = rng.choice(CONTACT)
            location = f"Location {rng.randrange(200)}"
            symptom = f"Symptom {rng.randrange(500)}"
            opened_by = f"Opened by {rng.randrange(200)}"
            at = opened
            reassignments = 0
            for step in range(updates):
                at += timedelta(minutes=rng.randrange(5, 600))
                last = step == updates - 1
                if step == 0:
                    state, assignee = "New", "?"
                elif last and updates > 2:
                    state, assignee = "Closed", resolver
                elif last:
                    state, assignee = "Resolved", resolver
                else:
                    state = rng.choice(("Active", "Active", "Awaiting User Info", "Awaiting Vendor"))
                    if rng.random() < 0.1:
                        resolver = f"Resolver {rng.randrange(230)}"
                        reassignments += 1
                    assignee = resolver
                resolved = at if state in ("Resolved", "Closed") else None
                closed = None
                if state == "Closed":  # closed five days after the resolution, by that update
                    at = closed = at + timedelta(days=5)
                out.writerow([
                    number, state, "false" if state == "Closed" else "true", reassignments, 0, step, made_sla,
                    caller, opened_by, day_first(opened), f"Updated by {rng.randrange(900)}",
                    day_first(at), contact, location, f"Category {category}",
                    sub, symptom, "?", impact, urgency, priority, group, assignee, "false",
                    "?", "?", "?", "?", "code 5" if resolved else "?", f"Resolved by {rng.randrange(230)}" if resolved else "?",
                    day_first(resolved) if resolved else "?", day_first(closed) if closed else "?",
                ])
            written += updates
    return incidents


def child_import(db: str, csv_path: str, batch_size: int) -> None:
    """Run one import in this (child) process and print its figures as JSON."""
    import resource

    from deskui.services.importers.common import ImportOptions
    from deskui.services.importers.servicenow import import_servicenow
    from deskui.store.db import make_engine

    engine = make_engine(db)
    began, cpu = time.perf_counter(), time.process_time()
    summary = import_servicenow(engine, csv_path, ImportOptions(dayfirst=True, create_missing=True,
                                                                  batch_size=batch_size))
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak_kb / 1024, "summary": summary.as_dict()}))


def run_child(db: Path, csv_path: Path, batch_size: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(db), str(csv_path), str(batch_size)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"import failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def fresh_database(directory: Path, name: str) -> Path:
    from deskui.services.seed import seed_demo_org
    from deskui.store.db import make_engine, upgrade

    path = directory / name
    engine = make_engine(str(path))
    upgrade(engine)
    seed_demo_org(engine, ROOT / "sample_data")
    engine.dispose()
    return path


def floor(directory: Path, csv_path: Path, batch_size: int) -> tuple[float, float]:
    """(seconds, CPU seconds) for csv.reader + sqlite3 executemany of the same rows into a plain table."""
    path = directory / "floor.db"
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = NORMAL")
    con.execute(f"CREATE TABLE rows ({', '.join(f'{c} TEXT' for c in COLUMNS)})")
    sql = f"INSERT INTO rows VALUES ({', '.join('?' * len(COLUMNS))})"
    began, cpu = time.perf_counter(), time.process_time()
    with csv_path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        batch = []
        for row in reader:
            batch.append(row)
            if len(batch) >= batch_size:
                con.execute("BEGIN")
                con.executemany(sql, batch)
                con.execute("COMMIT")
                batch = []
        if batch:
            con.execute("BEGIN")
            con.executemany(sql, batch)
            con.execute("COMMIT")
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    con.close()
    return seconds, cpu


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_import(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, default=None, help="Keep the files in this folder.")
    args = parser.parse_args()

    directory = Path(args.keep or tempfile.mkdtemp(prefix="deskui-bench-import-"))
    directory.mkdir(parents=True, exist_ok=True)
    big = directory / f"servicenow-{args.rows}.csv"
    small = directory / f"servicenow-{args.rows // 10}.csv"
    began = time.perf_counter()
    incidents = generate(big, args.rows, args.seed)
    generate(small, args.rows // 10, args.seed)
    print(f"generated {args.rows:,} rows ({incidents:,} incidents, {big.stat().st_size / 1e6:.0f} MB) "
          f"in {time.perf_counter() - began:.1f} s")

    floor_seconds, floor_cpu = floor(directory, big, args.batch_size)
    small_run = run_child(fresh_database(directory, "small.db"), small, args.batch_size)
    db = fresh_database(directory, "import.db")
    first = run_child(db, big, args.batch_size)
    again = run_child(db, big, args.batch_size)

    rows = args.rows
    s = first["summary"]
    print(f"import    : {rows / first['seconds']:>9,.0f} rows/s  {first['seconds']:7.1f} s  "
          f"(CPU {first['cpu']:.1f} s: {rows / first['cpu']:,.0f} rows/CPU-s)  peak {first['peak_mb']:.0f} MB  "
          f"({s['tickets_created']:,} tickets, {s['events_written']:,} events)")
    print(f"re-import : {rows / again['seconds']:>9,.0f} rows/s  {again['seconds']:7.1f} s  "
          f"(CPU {again['cpu']:.1f} s)  peak {again['peak_mb']:.0f} MB  "
          f"({again['summary']['rows_unchanged']:,} rows unchanged, {again['summary']['events_written']} events)")
    print(f"floor     : {rows / floor_seconds:>9,.0f} rows/s  {floor_seconds:7.1f} s  "
          f"(CPU {floor_cpu:.1f} s: {rows / floor_cpu:,.0f} rows/CPU-s)  csv.reader + sqlite3 executemany, plain table")
    print(f"ratio     : import takes {first['seconds'] / floor_seconds:.1f}x the floor's time "
          f"({first['cpu'] / floor_cpu:.1f}x its CPU)")
    print(f"memory    : peak {small_run['peak_mb']:.0f} MB at {rows // 10:,} rows, "
          f"{first['peak_mb']:.0f} MB at {rows:,} rows")
    db_bytes = sum(os.path.getsize(p) for p in (db, Path(f"{db}-wal")) if p.exists())
    print(f"database  : {db_bytes / 1e6:.0f} MB")
    if not args.keep:
        import shutil

        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()

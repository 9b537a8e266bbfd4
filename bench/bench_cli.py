"""Benchmark the CLI's read commands beside the floor (issue 15 item 8).

    python bench/bench_cli.py [--runs 9] [--db PATH] [--tickets 2000]

Builds the demo desk (`deskui init --demo`, 2,000 tickets) in a temporary
directory unless --db is given, then runs each command ``--runs`` times as a new
process, interleaved round-robin so a busy machine slows all of them alike, and
prints each one's median wall time beside the floor:

- floor: ``python -c "import sqlalchemy, typer"`` (a bare interpreter importing
  what every deskui command needs);
- ``deskui --help`` (the entry point, no database);
- ``ticket list -n 20 --format json``, ``ticket show N``, ``kb search WORDS``.

The target: each read command within 1.5x of the floor.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 1.5


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--db", help="an existing deskui database (default: a fresh demo desk)")
    parser.add_argument("--tickets", type=int, default=2000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            db = str(Path(tmp) / "demo.db")
            subprocess.run([sys.executable, "-m", "deskui", "--db", db, "init", "--demo", "--tickets",
                            str(args.tickets)], check=True, stdout=subprocess.DEVNULL)
        deskui = [sys.executable, "-m", "deskui", "--db", db]
        commands = {
            "floor: import sqlalchemy, typer": [sys.executable, "-c", "import sqlalchemy, typer"],
            "deskui --help": [sys.executable, "-m", "deskui", "--help"],
            "ticket list -n 20 --format json": deskui + ["ticket", "list", "-n", "20", "--format", "json"],
            "ticket show 1999": deskui + ["ticket", "show", "1999"],
            "ticket show 1999 --format json": deskui + ["ticket", "show", "1999", "--format", "json"],
            "kb search vpn keeps disconnecting": deskui + ["kb", "search", "vpn keeps disconnecting"],
        }
        for argv in commands.values():  # warm the file cache and the bytecode once
            wall(argv)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                times[name].append(wall(argv))

    floor = statistics.median(times["floor: import sqlalchemy, typer"])
    print(f"{'command':<36} {'median s':>9} {'min s':>7} {'x floor':>8}   (runs: {args.runs}, target <= {TARGET}x)")
    for name, values in times.items():
        median = statistics.median(values)
        ratio = median / floor
        mark = "" if name.startswith(("floor", "deskui --help")) else ("  ok" if ratio <= TARGET else "  OVER")
        print(f"{name:<36} {median:>9.3f} {min(values):>7.3f} {ratio:>7.2f}x{mark}")


if __name__ == "__main__":
    main()

"""A small write storm on a real SQLite file (issue 12.7; bench/bench_storm.py is the big one).

Four processes write at once to three shared tickets, and a long writer (an
import, a sweep) holds the file for longer than SQLite's own 5 s wait as they
start. No call may fail with "database is locked", none may be lost or written
twice."""

from __future__ import annotations

import importlib
import shutil
import sqlite3
import threading

from tests.conftest import REPO


def _bench(monkeypatch):
    # importable by name: the storm's processes are spawned and import its worker
    monkeypatch.syspath_prepend(str(REPO / "bench"))
    return importlib.import_module("bench_storm")


def test_small_storm_on_sqlite_no_errors_none_lost_none_duplicated(sqlite_template, tmp_path, monkeypatch):
    monkeypatch.setenv("DESKUI_BUSY_TIMEOUT", "30")  # the processes inherit it
    path = tmp_path / "storm.db"
    shutil.copyfile(sqlite_template, path)  # migrated already
    timers: list[threading.Timer] = []
    holders: list[sqlite3.Connection] = []

    def long_writer() -> None:
        holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
        holders.append(holder)
        timers.append(threading.Timer(5.5, holder.commit))
        timers[-1].start()

    try:
        figures = _bench(monkeypatch).storm(f"sqlite:///{path}", procs=4, writes=30, tickets=3, seed=7,
                                 before_start=long_writer)
    finally:
        for timer in timers:
            timer.join()
        for holder in holders:
            holder.close()
    assert figures["calls"] == 120
    assert figures["error_lines"] == {}, figures["error_lines"]
    assert (figures["errors"], figures["lost"], figures["duplicated"]) == (0, 0, 0)
    assert figures["ok"] + figures["refused"] == 120 and figures["ok"] >= 60

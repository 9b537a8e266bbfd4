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


def test_changes_without_a_version_all_land_when_writers_race(org):
    """Six analysts change one ticket at once without a version (as the CLI does):
    on PostgreSQL a claim lost to a concurrent writer is re-run, not a conflict;
    every change lands once and the version moves once per change."""
    from deskui.services import tickets as svc
    from deskui.services.actors import SYSTEM, actor_for
    from deskui.store.db import session_scope
    from deskui.store.models import Ticket

    demo = actor_for(org, "demo")
    ticket = svc.open_ticket(org, SYSTEM, subject="VPN down", requester="ann@example.com")
    barrier = threading.Barrier(6)
    failures: list[BaseException] = []

    def work(n: int) -> None:
        barrier.wait()
        for i in range(4):
            try:
                svc.change_priority(org, demo, ticket.id, impact=("high", "low")[(n + i) % 2], urgency="medium")
            except BaseException as exc:  # noqa: BLE001 - the test reports any
                failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    with session_scope(org) as session:
        assert session.get(Ticket, ticket.id).version == ticket.version + 24

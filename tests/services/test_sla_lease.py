"""One SLA sweeper for the whole desk: running apps share a lease (services/sweep.claim_sweep)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from deskui.services.sweep import claim_sweep

NOW = datetime(2026, 11, 16, 9, 0, 0)


def test_the_lease_goes_to_one_claimant_until_it_runs_out(engine):
    assert claim_sweep(engine, 48, now=NOW)
    assert not claim_sweep(engine, 48, now=NOW)  # another app, the same minute
    assert not claim_sweep(engine, 48, now=NOW + timedelta(seconds=47))
    assert claim_sweep(engine, 48, now=NOW + timedelta(seconds=48))  # run out: the next tick sweeps
    assert not claim_sweep(engine, 48, now=NOW + timedelta(seconds=60))


def test_a_zero_lease_never_blocks(engine):
    assert claim_sweep(engine, 0, now=NOW)
    assert claim_sweep(engine, 0, now=NOW)


def test_of_apps_claiming_at_once_exactly_one_sweeps(engine):
    claimants = 8
    barrier = threading.Barrier(claimants)
    won: list[bool] = []
    errors: list[BaseException] = []

    def claim() -> None:
        barrier.wait()
        try:
            won.append(claim_sweep(engine, 48, now=NOW))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=claim) for _ in range(claimants)]
    [thread.start() for thread in threads]
    [thread.join() for thread in threads]
    assert errors == []
    assert sorted(won) == [False] * (claimants - 1) + [True]

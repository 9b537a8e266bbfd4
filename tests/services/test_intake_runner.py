"""The intake transaction loop: a version conflict is retried, up to a limit."""

from __future__ import annotations

import pytest

from deskui.errors import ConflictError
from deskui.services.intake.runner import RETRIES, take_each


def test_a_conflict_is_retried_and_the_outcome_counted_once(engine):
    calls, outcomes = [], []

    def take(session, item):
        calls.append(item)
        if len(calls) == 1:
            raise ConflictError("changed meanwhile")
        return ("taken", item)

    take_each(engine, ["a", "b"], take, outcomes.append, dry_run=False)
    assert calls == ["a", "a", "b"]
    assert outcomes == [("taken", "a"), ("taken", "b")]


def test_a_conflict_every_time_gives_up_after_the_retries(engine):
    calls = []

    def take(session, item):
        calls.append(item)
        raise ConflictError("changed meanwhile")

    with pytest.raises(ConflictError):
        take_each(engine, ["a"], take, lambda outcome: None, dry_run=False)
    assert len(calls) == RETRIES

"""The one place that says "now".

Every timestamp deskui stores is a naive datetime in UTC. Tests freeze the clock
with :func:`frozen` (or by setting ``DESKUI_FROZEN_NOW`` to an ISO time for a
subprocess) so SLA states and snapshots are deterministic.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Callable, Iterator

_override: Callable[[], datetime] | None = None


def now() -> datetime:
    """The current time as a naive UTC datetime (seconds precision)."""
    if _override is not None:
        return _override()
    frozen_env = os.environ.get("DESKUI_FROZEN_NOW")
    if frozen_env:
        return parse_utc(frozen_env)
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def parse_utc(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def set_now(provider: Callable[[], datetime] | None) -> None:
    global _override
    _override = provider


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    previous = _override
    set_now(lambda: at)
    try:
        yield
    finally:
        set_now(previous)

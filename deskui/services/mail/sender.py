"""Delivering the outbox: ``deskui mail send`` (one pass, for cron) and ``--watch``.

A pass claims due rows in small batches (each claim its own short transaction:
state ``sending``, attempts + 1), hands each to the transport and marks it
``sent``, or ``queued`` again with a later ``next_attempt_at`` (retry_seconds,
doubling, at most an hour), or ``failed`` with the reason after the last
attempt or a permanent (5xx) refusal. When the server cannot be reached the
claimed rows are given back untried and the pass stops: SMTP down for an hour
costs no attempts and loses nothing; the next pass sends everything, once.

Delivery is at-least-once. A sender that dies after the server accepted a
message and before it marked the row leaves it ``sending``; once the claim is
older than ``lease_seconds`` another pass sends it again, with the same
Message-ID (mail clients show one message for one Message-ID). The other
choice, at-most-once, would lose a notification on every such crash, and a
requester who never hears back is worse than one who gets a copy twice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable, Protocol

from sqlalchemy.engine import Engine

from deskui import clock
from deskui.domain.mail import retry_delay
from deskui.services.mail.smtp import PermanentFailure, SmtpSettings, Unreachable
from deskui.store import outbox
from deskui.store.db import run_write
from deskui.store.outbox import OutboxRecord

BATCH = 25


class Transport(Protocol):
    def send(self, row: OutboxRecord) -> None: ...
    def close(self) -> None: ...


@dataclass
class SendSummary:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    unreachable: str = ""
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"sent": self.sent, "retrying": self.retrying, "failed": self.failed,
                "unreachable": self.unreachable, "errors": list(self.errors)}


def send_pass(engine: Engine, transport: Transport, settings: SmtpSettings, *, limit: int | None = None) -> SendSummary:
    """Send every due row once (at most ``limit``). A batch's outcomes are marked in one
    transaction after it is sent (a crash inside a batch re-sends, after the lease, what
    that batch had sent: at-least-once, as above)."""
    summary = SendSummary()
    lease = timedelta(seconds=settings.lease_seconds)
    try:
        while limit is None or summary.sent + summary.retrying + summary.failed < limit:
            size = BATCH if limit is None else min(BATCH, limit - summary.sent - summary.retrying - summary.failed)
            batch = run_write(engine, lambda s: outbox.claim_due(s, clock.now(), lease, size))
            if not batch:
                break
            outcomes: list[tuple[OutboxRecord, str | None, object]] = []  # (row, error, retry_at)
            untried: list[OutboxRecord] = []
            for n, row in enumerate(batch):
                try:
                    transport.send(row)
                except Unreachable as exc:
                    summary.unreachable = str(exc)
                    untried = batch[n:]
                    break
                except PermanentFailure as exc:
                    outcomes.append((row, str(exc), None))
                    summary.failed += 1
                    summary.errors.append(f"#{row.ticket_id} {row.kind} to {row.to_address}: {exc}")
                except Exception as exc:  # a temporary refusal (4xx) or anything else: retry later
                    final = row.attempts >= settings.max_attempts
                    retry_at = None if final else clock.now() + timedelta(
                        seconds=retry_delay(row.attempts, settings.retry_seconds))
                    text = str(exc) if str(exc)[:3].isdigit() else f"{type(exc).__name__}: {exc}"
                    outcomes.append((row, text, retry_at))
                    if final:
                        summary.failed += 1
                        summary.errors.append(f"#{row.ticket_id} {row.kind} to {row.to_address}: {exc}")
                    else:
                        summary.retrying += 1
                else:
                    outcomes.append((row, None, None))
                    summary.sent += 1
            run_write(engine, lambda s: _mark(s, outcomes, untried))
            if untried:
                return summary
    finally:
        transport.close()
    return summary


def _mark(session, outcomes, untried) -> None:
    outbox.mark_sent(session, [row for row, error, _ in outcomes if error is None], clock.now())
    for row, error, retry_at in outcomes:
        if error is not None:
            outbox.mark_failed(session, row, error, retry_at=retry_at)
    for row in untried:
        outbox.release(session, row)


def watch(engine: Engine, make_transport: Callable[[], Transport], settings: SmtpSettings, *,
          interval: float, passes: int | None = None, report: Callable[[SendSummary], None] | None = None,
          sleep: Callable[[float], None] = time.sleep) -> None:
    """Send passes forever (or ``passes`` times), ``interval`` seconds apart."""
    done = 0
    while passes is None or done < passes:
        summary = send_pass(engine, make_transport(), settings)
        if report:
            report(summary)
        done += 1
        if passes is None or done < passes:
            sleep(interval)


def requeue(engine: Engine, row_id: int | None = None) -> int:
    """``deskui mail retry``: failed rows (one, or all) are queued again, due now."""
    return run_write(engine, lambda s: outbox.requeue(s, clock.now(), row_id=row_id))

"""A realistic synthetic ticket history (``deskui generate``), fast enough for a million tickets.

Every generated ticket is what the services would have written had analysts worked
it: its life is drawn as use-case calls (open, take, reply, pending, escalate,
resolve, reopen, close...; :mod:`~deskui.services.generate_tickets`), cut at ``end``,
and replayed through the history planner the services use
(:mod:`~deskui.services.generate_replay`, :mod:`deskui.domain.history`): the same
events, comments, counters and timestamps. The SLA cache is computed from those
events with ``clock_events`` + ``deskui.domain.sla.evaluate`` as of ``end``, and a
breach event is written once per breached target (at the breach instant, as the
sweep would).

Arrivals follow a weekday x hour profile in the requesters' time zones
(:mod:`~deskui.services.generate_arrivals`: Monday-morning peak, lunch dip, quiet
nights and weekends) for the organisation in the database
(:mod:`~deskui.services.generate_org`).

Speed: tickets are generated in fixed chunks of consecutive hours. A chunk's content
depends only on (seed, chunk index, the organisation). For large runs two worker
processes each build a chunk and then write it through their own connection, taking
turns in chunk order, so both cores work, nothing is pickled back, and the database
content (event ids included) is the same whatever the number of workers. Rows are
written in bulk (:mod:`deskui.store.bulk_generate`: raw ``executemany`` on SQLite,
``COPY`` on PostgreSQL), one transaction per chunk, ids preassigned. The SLA
arithmetic runs on ``WindowCalendar``, an exact table-driven copy of the business
calendar over the history's window.

Idempotence: running generate twice APPENDS a second history (new ticket numbers);
requesters are matched by email and reused.
"""

from __future__ import annotations

import math
import os
import random
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator

from deskui.services.actors import SYSTEM, Actor
from deskui.services.generate_arrivals import (  # noqa: F401 (requester_count, _multinomial_sorted: tested here)
    ArrivalPlan, _multinomial_sorted, arrival_plan, requester_count, requester_pool,
)
from deskui.services.generate_calendar import WindowCalendar  # noqa: F401 (tested here)
from deskui.services.generate_org import holiday_calendars, load_org
from deskui.services.generate_replay import ChunkCounts
from deskui.services.generate_tickets import ChunkContext, ChunkGenerator, ChunkSpec
from deskui.store.bulk_generate import TICKET_COLUMNS, bulk_writer_for  # noqa: F401 (the bench reads the columns)

# Tickets per chunk: the unit of work for a worker, of a transaction and of determinism
# (bigger transactions rewrite fewer index pages).
CHUNK_TICKETS = 10000
# Generate in worker processes from this many tickets on (below, in-process).
PARALLEL_FROM = 20000
# Comment ids reserved per ticket (the planner never writes more).
MAX_COMMENTS_PER_TICKET = 16
# Default history length: 90 days, longer when a day would hold more than this.
MAX_TICKETS_PER_DAY = 2000

ProgressCallback = Callable[[int, int], None]


# ====================================================================== public API

@dataclass(frozen=True)
class GenerateSummary:
    tickets: int
    first_id: int | None
    last_id: int | None
    open_tickets: int
    comments: int
    events: int
    surveys: int
    requesters_created: int
    start: datetime
    end: datetime
    seconds: float
    workers: int

    @property
    def tickets_per_second(self) -> float:
        return self.tickets / self.seconds if self.seconds > 0 else 0.0

    def __str__(self) -> str:
        numbers = f"#{self.first_id}-#{self.last_id}" if self.first_id is not None else "none"
        return (
            f"{self.tickets:,} tickets ({numbers}, {self.open_tickets:,} still open) from "
            f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d %H:%M}, {self.comments:,} comments, "
            f"{self.events:,} events, {self.surveys:,} surveys, {self.requesters_created:,} new requesters "
            f"in {self.seconds:.1f} s ({self.tickets_per_second:,.0f} tickets/s)"
        )


def default_days(tickets: int) -> int:
    """90 days, or longer so that a day holds at most ~2,000 tickets."""
    return max(90, math.ceil(tickets / MAX_TICKETS_PER_DAY))


def generate_history(
    engine,
    *,
    tickets: int,
    seed: int = 42,
    days: int | None = None,
    end: datetime | None = None,
    progress: ProgressCallback | None = None,
    workers: int | None = None,
    templates: Path | None = None,
    actor: Actor = SYSTEM,
) -> GenerateSummary:
    """Append ``tickets`` synthetic tickets created over the ``days`` before ``end``.

    ``end`` (naive UTC, default ``clock.now()``) is the instant the history is
    observed at: SLA states are as of then and later events are not written.
    ``workers``: generator processes (default: none below 20,000 tickets, else up
    to 2); the content does not depend on it. ``templates``: a ticket_templates.toml
    (default: the shipped sample_data one when present).
    """
    from deskui import clock
    from deskui.domain.permissions import Action
    from deskui.errors import ValidationError
    from deskui.services.actors import require

    require(actor, Action.GENERATE)

    if isinstance(tickets, bool) or not isinstance(tickets, int) or tickets < 1:
        raise ValidationError(f"tickets: must be a whole number >= 1, got {tickets!r}")
    if days is None:
        days = default_days(tickets)
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValidationError(f"days: must be a whole number >= 1, got {days!r}")
    end = (end or clock.now()).replace(microsecond=0)
    if end.tzinfo is not None:
        raise ValidationError("end: must be a naive UTC datetime")
    start = end - timedelta(days=days)
    started = time.perf_counter()

    org = load_org(engine, seed, templates)
    pool = requester_pool(random.Random(f"{seed}:requesters"), requester_count(tickets), org.regions, org.email_domain)
    plan = arrival_plan(random.Random(f"{seed}:arrivals"), tickets, start, end, org.regions, holiday_calendars(org))
    if workers is None:
        workers = 0 if tickets < PARALLEL_FROM else min(2, os.cpu_count() or 1)
    writer = bulk_writer_for(engine)
    if writer.sqlite and engine.url.database in (None, "", ":memory:"):
        workers = 0  # another process cannot see an in-memory database
    totals = ChunkCounts(0, 0, 0, 0, 0)
    try:
        requester_ids, created_requesters = writer.upsert_requesters(pool)
        context = ChunkContext.build(org, pool, requester_ids, plan, seed=seed, start=start, end=end,
                                     sqlite=writer.sqlite)
        first_id, first_comment_id = writer.reserve_ids(tickets, tickets * MAX_COMMENTS_PER_TICKET)
        specs = chunk_specs(plan, first_id, first_comment_id)
        if workers > 0 and len(specs) > 1:
            url = engine.url.render_as_string(hide_password=False)
            done = _run_in_workers(context, specs, workers, url, writer)
        else:
            workers = 0
            done = _run_here(context, specs, writer)
        for counts in done:
            totals = ChunkCounts(*(a + b for a, b in zip(totals, counts)))
            if progress:
                progress(totals.tickets, tickets)
    finally:
        writer.close()
    return GenerateSummary(
        tickets=totals.tickets, first_id=first_id if totals.tickets else None,
        last_id=first_id + totals.tickets - 1 if totals.tickets else None, open_tickets=totals.open,
        comments=totals.comments, events=totals.events, surveys=totals.surveys,
        requesters_created=created_requesters, start=start, end=end,
        seconds=time.perf_counter() - started, workers=workers,
    )


# ====================================================================== chunks

def chunk_specs(plan: ArrivalPlan, first_ticket_id: int, first_comment_id: int) -> list[ChunkSpec]:
    specs: list[ChunkSpec] = []
    slot, ticket_id, comment_id = 0, first_ticket_id, first_comment_id
    while slot < len(plan.counts):
        begin, n = slot, 0
        while slot < len(plan.counts) and (n == 0 or n + plan.counts[slot] <= CHUNK_TICKETS):
            n += plan.counts[slot]
            slot += 1
        if n:
            specs.append(ChunkSpec(len(specs), begin, tuple(plan.counts[begin:slot]), ticket_id, comment_id))
            ticket_id += n
            comment_id += n * MAX_COMMENTS_PER_TICKET
    return specs



def _run_here(context: ChunkContext, specs: list[ChunkSpec], writer) -> Iterator[ChunkCounts]:
    """Generate and write chunk after chunk in this process."""
    generator = ChunkGenerator(context)
    writer.begin_bulk()
    for spec in specs:
        rows = generator.chunk(spec)
        writer.write(rows)
        yield rows.counts()


# Worker processes: each generates a chunk, then waits for its turn (chunks are
# written in order, so event ids are dense and the content is the same as in one
# process) and writes it through its own connection.
_WORKER: dict = {}


def _worker_init(context: ChunkContext, url: str, turn, abort, condition) -> None:
    from deskui.store.db import make_engine

    writer = bulk_writer_for(make_engine(url))
    writer.begin_bulk()
    _WORKER.update(generator=ChunkGenerator(context), writer=writer, turn=turn, abort=abort, condition=condition)


def _worker_chunk(spec: ChunkSpec) -> ChunkCounts:
    rows = _WORKER["generator"].chunk(spec)
    turn, abort, condition = _WORKER["turn"], _WORKER["abort"], _WORKER["condition"]
    with condition:
        while turn.value != spec.index:
            if abort.value:
                raise RuntimeError("generate: stopped because another chunk failed")
            condition.wait(0.5)
    _WORKER["writer"].write(rows)
    with condition:
        turn.value = spec.index + 1
        condition.notify_all()
    return rows.counts()


def _run_in_workers(context: ChunkContext, specs: list[ChunkSpec], workers: int, url: str,
                    writer) -> Iterator[ChunkCounts]:
    """Chunks built and written by `workers` processes, reported in order. If the
    processes cannot start (e.g. a script without the ``if __name__ == "__main__":``
    guard that "spawn" needs), nothing has been written yet and this process does it."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    mp = multiprocessing.get_context("spawn")
    turn, abort = mp.RawValue("q", specs[0].index), mp.RawValue("b", 0)
    condition = mp.Condition()
    executor = ProcessPoolExecutor(workers, mp_context=mp, initializer=_worker_init,
                                   initargs=(context, url, turn, abort, condition))
    written = 0
    try:
        in_flight: deque = deque()
        todo = iter(specs)
        for spec in todo:  # a bounded look-ahead keeps memory flat
            in_flight.append(executor.submit(_worker_chunk, spec))
            if len(in_flight) >= workers * 2:
                break
        while in_flight:
            counts = in_flight.popleft().result()
            written += 1
            spec = next(todo, None)
            if spec is not None:
                in_flight.append(executor.submit(_worker_chunk, spec))
            yield counts
        executor.shutdown(wait=True)
    except BrokenProcessPool:
        executor.shutdown(wait=True, cancel_futures=True)
        if written or turn.value != specs[0].index:
            raise
        yield from _run_here(context, specs, writer)
    except BaseException:
        with condition:
            abort.value = 1
            condition.notify_all()
        executor.shutdown(wait=True, cancel_futures=True)
        raise

"""Routing suggestions: top-1 / top-3 accuracy on a held-out split of a labelled history,
beside the majority-class baseline (issue 7).

    python bench/bench_routing.py [--tickets 6000] [--seed 7] [--db PATH]

The labelled history is `deskui generate` (deskui.services.generate) on the demo
organisation: tickets carry their category and the group they were resolved in.
Split by ticket number (time order): the oldest 60% are the history, the next 20%
choose k (validation), the newest 20% are the test set, never seen as neighbours.
Texts: subject only, and subject + description. Figures go to stdout.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from deskui.reads import routing_evaluation as routing  # noqa: E402
from deskui.store.routing_queries import K, ticket_text  # noqa: E402
from deskui.services.seed import seed_demo_org  # noqa: E402
from deskui.store.db import make_engine, session_scope, upgrade  # noqa: E402
from deskui.store.models import Ticket  # noqa: E402


def build(path: Path, tickets: int, seed: int):
    engine = make_engine(str(path))
    upgrade(engine)
    seed_demo_org(engine, ROOT / "sample_data")
    from deskui.services.generate import generate_history

    started = time.perf_counter()
    generate_history(engine, tickets=tickets, seed=seed)
    print(f"generated {tickets} tickets in {time.perf_counter() - started:.1f} s")
    return engine


def labelled(engine, lo: int, hi: int, with_description: bool) -> list[routing.LabelledCase]:
    with session_scope(engine) as s:
        rows = s.execute(
            select(Ticket.subject, Ticket.description, Ticket.category_id, Ticket.group_id)
            .where(Ticket.id >= lo, Ticket.id < hi, Ticket.status.in_(("resolved", "closed")))
            .order_by(Ticket.id)).all()
    return [routing.LabelledCase(ticket_text(subj, desc) if with_description else subj, cat, grp)
            for subj, desc, cat, grp in rows]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    path = args.db or Path(tempfile.mkdtemp()) / "routing.db"
    engine = build(path, args.tickets, args.seed) if not path.exists() else make_engine(str(path))
    with session_scope(engine) as s:
        ids = s.scalars(select(Ticket.id).order_by(Ticket.id)).all()
    train_end, valid_end = ids[int(len(ids) * 0.6)], ids[int(len(ids) * 0.8)]
    print(f"history {len(ids)} tickets: train < #{train_end} <= validation < #{valid_end} <= test")
    for with_description in (False, True):
        text = "subject + description" if with_description else "subject only"
        valid = labelled(engine, train_end, valid_end, with_description)
        best_k, best = K, -1.0
        for k in (1, 5, 10, 15, 25, 40):
            acc = routing.evaluate_cases(engine, valid, before_id=train_end, k=k)
            score = acc["category"].top1 + acc["group"].top1
            print(f"  [{text}] validation k={k:>2}: category top-1 {acc['category'].top1:.3f}, "
                  f"group top-1 {acc['group'].top1:.3f}")
            if score > best:
                best_k, best = k, score
        test = labelled(engine, valid_end, ids[-1] + 1, with_description)
        started = time.perf_counter()
        acc = routing.evaluate_cases(engine, test, before_id=valid_end, k=best_k)
        per_case = (time.perf_counter() - started) / max(len(test), 1) * 1000
        print(f"[{text}] test, k={best_k} (chosen on validation), {len(test)} held-out resolved tickets, "
              f"{per_case:.1f} ms per suggestion:")
        for label in ("category", "group"):
            a = acc[label]
            print(f"  {label:<8} top-1 {a.top1:.3f}  top-3 {a.top3:.3f}   "
                  f"majority baseline top-1 {a.baseline_top1:.3f}  top-3 {a.baseline_top3:.3f}")


if __name__ == "__main__":
    main()

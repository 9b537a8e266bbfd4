"""Replaying a generated ticket's life through the history planner, into rows.

The generator draws each ticket's life as a timeline of use-case calls (open, take,
reply, pending, escalate, resolve, reopen, close...; :mod:`deskui.services.generate_tickets`).
Here the timeline is replayed up to ``end`` through the same planner the services
use (:class:`deskui.domain.history.HistoryPlan`): the same rules, counters and
events, only flushed in bulk (:mod:`deskui.store.bulk_generate`). Every call is one
use case, as ``tickets.mutate`` would make it: version + 1, updated at/by. The SLA
cache is then computed from the planned events as ``sla.refresh`` computes it, as of
``end``, and a breach event written once per breached target, at the breach (as a
sweep running all along would).
"""

from __future__ import annotations

import bisect
import math
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from deskui.domain.enums import EventKind
from deskui.domain.history import ACTIVE, CANCELLED, CLOSED, NEW, OPEN, PENDING, RESOLVED, HistoryPlan
from deskui.domain.priority import matrix_reason
from deskui.domain.sla import SlaTargets
from deskui.services import generate_data as data
from deskui.services.generate_org import Org, Template
from deskui.store.bulk_generate import stored_bool, stored_time
from deskui.store.sla_clock import evaluate_history
from deskui.store.sla_policies import PolicyInfo

# Planned operations (replayed in time order), each one use case.
OP_TAKE, OP_REASSIGN, OP_PRIORITY, OP_REPLY, OP_NOTE, OP_REQUESTER, OP_PENDING, OP_RESUME = range(8)
OP_ESCALATE, OP_RESOLVE, OP_REOPEN, OP_CLOSE, OP_CANCEL = range(8, 13)
# The kinds the SLA clock reads (this history has no approvals).
CLOCK_KINDS = frozenset(k.value for k in (EventKind.CREATED, EventKind.FIRST_RESPONSE, EventKind.RESOLVED,
                                          EventKind.REOPENED, EventKind.STATUS, EventKind.PRIORITY))
AUTO_CLOSE_ACTOR = "rule:auto-close"
REOPEN_REASON = "requester replied: still not fixed"
SWEEP_ACTOR = "sla-sweep"

ChunkCounts = namedtuple("ChunkCounts", "tickets open comments events surveys")


@dataclass
class ChunkRows:
    """The rows of one chunk, in the bulk writer's column orders."""

    tickets: list[tuple] = field(default_factory=list)
    comments: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    surveys: list[tuple] = field(default_factory=list)
    open: int = 0
    first_ticket_id: int = 0

    def counts(self) -> ChunkCounts:
        return ChunkCounts(len(self.tickets), self.open, len(self.comments), len(self.events), len(self.surveys))


@dataclass(slots=True)
class Drawn:
    """What a ticket is, as drawn before its life is replayed."""

    kind: str
    channel: str
    subject: str
    description: str
    requester_id: int
    requester_name: str
    first_name: str
    template: Template
    impact: str
    urgency: str
    priority: int
    group: int | None
    creator: int | None  # the analyst who logged it on the call, else None
    intake: str  # the actor of a ticket opened by a requester
    ci: str
    policy: tuple | None  # (id, name, targets, calendar)


class Replayer:
    """Replays timelines for one organisation (analysts by id, groups, members, policies)."""

    def __init__(self, org: Org, calendars: dict, end: datetime, sqlite: bool):
        self.analysts = {a[0]: a for a in org.analysts}  # id -> (id, username, name)
        self.all_analysts = tuple(a[0] for a in org.analysts)
        self.members = {g: tuple(org.analysts[i][0] for i in m) for g, m in org.members.items()}
        self.groups = org.groups
        # (priority, type) -> (policy id, name, targets, calendar)
        self.policies = {
            key: (pid, name, SlaTargets(resp, res, warn), calendars[cal])
            for key, (pid, name, resp, res, warn, cal) in org.policies.items()
        }
        self.end = end
        self.sqlite = sqlite
        self.fmt = stored_time(sqlite)
        self.score_cum = _cumulative(data.SCORE_WEIGHTS)
        self.score_bad_cum = _cumulative(data.SCORE_WEIGHTS_BAD)

    def replay(self, rng, rows: ChunkRows, ticket_id: int, comment_id: int, created: datetime, timeline: list,
               t: Drawn) -> int:
        """Apply the planned calls in time order, as deskui.services.tickets would, up to
        `end`; append the ticket's rows; return the next free comment id."""
        rand = rng.random
        end = self.end
        fmt = self.fmt
        analysts = self.analysts
        groups = self.groups
        members = self.members
        comments = rows.comments
        stamps: dict[datetime, object] = {}  # each instant formatted once (comments and events share many)

        def comment(at, author_id, author_name, visibility, body) -> int:
            nonlocal comment_id
            text = stamps.get(at)
            if text is None:
                text = stamps[at] = fmt(at)
            comments.append((comment_id, ticket_id, author_id, author_name, visibility, body, text))
            comment_id += 1
            return comment_id - 1

        group = t.group
        plan = HistoryPlan(
            ticket_id=ticket_id, created_at=created, group_id=group,
            group=groups[group][0] if group in groups else "", tier=groups[group][1] if group in groups else 1,
            impact=t.impact, urgency=t.urgency, priority=t.priority,
            priority_reason=matrix_reason(t.impact, t.urgency, t.priority))
        version = 1
        creator = t.creator
        if creator is not None:
            cid, cname = creator, analysts[creator][1]
        else:
            cid, cname = None, t.intake
        updated_at, updated_by = created, cname
        plan.acting(cid, cname).create(created, t.channel)
        if creator is not None:  # logged by the analyst on the call: open_ticket(assignee=...)
            plan.assign(created, cid, cname)
        first = t.first_name
        requester_name = t.requester_name
        requester_actor = "portal" if t.channel == "portal" else "intake:email"

        def worker() -> int:
            """Who acts for the desk now: the assignee, else someone in the group."""
            if plan.assignee_id is not None:
                return plan.assignee_id
            pool = members.get(plan.group_id) or self.all_analysts
            return pool[int(rand() * len(pool))]

        for at, _, op, args in timeline:
            if at > end:
                break
            status = plan.status
            if status == CANCELLED or status == CLOSED:
                break  # final: nothing happens to the ticket any more
            if op == OP_REPLY or op == OP_NOTE:
                aid, user, name = analysts[worker()]
                body = comment_text(rand, op, args, first, name)
                visibility = "public" if op == OP_REPLY else "internal"
                new_id = comment(at, aid, name, visibility, body)
                if plan.acting(aid, user).comment(at, new_id, visibility, body, by_analyst=True):
                    plan.first_response(at, comment_id=new_id)
                    version += 1
                    updated_at, updated_by = at, user
                continue
            if op == OP_REQUESTER:
                texts = data.REOPEN_REPLIES if args[0] == "reopen" else data.REQUESTER_REPLIES
                body = texts[int(rand() * len(texts))]
                new_id = comment(at, None, requester_name, "public", body)
                plan.acting(None, requester_actor).comment(at, new_id, "public", body)
                continue
            if op == OP_TAKE:
                if status not in ACTIVE:
                    continue
                pool = members.get(plan.group_id) or self.all_analysts
                choice = pool[int(rand() * len(pool))]
                if choice == plan.assignee_id:
                    continue
                aid, user, _ = analysts[choice]
                plan.acting(aid, user).assign(at, aid, user)
            elif op == OP_REASSIGN:
                pool = [m for m in members.get(plan.group_id, ()) if m != plan.assignee_id]
                if status not in ACTIVE or plan.assignee_id is None or not pool:
                    continue
                choice = pool[int(rand() * len(pool))]
                aid, user, _ = analysts[plan.assignee_id]  # the assignee hands it over
                plan.acting(aid, user).assign(at, choice, analysts[choice][1])
            elif op == OP_PRIORITY:
                if status not in ACTIVE:
                    continue
                aid, user, _ = analysts[worker()]
                plan.acting(aid, user).rerate(at, *args[0])
            elif op == OP_PENDING:
                if status != NEW and status != OPEN:
                    continue
                aid, user, _ = analysts[worker()]
                plan.acting(aid, user).change_status(at, PENDING, pending_reason=args[0])
            elif op == OP_RESUME:
                if status != PENDING:
                    continue
                if args[0] is None:
                    aid, user, _ = analysts[worker()]
                else:
                    aid, user = None, args[0]
                plan.acting(aid, user).change_status(at, OPEN)
            elif op == OP_ESCALATE:
                if status not in ACTIVE:
                    continue
                target_group, target_tier, reason = args
                aid, user, _ = analysts[worker()]
                plan.acting(aid, user)
                if target_group is not None:
                    plan.set_group(at, target_group, groups[target_group][0],
                                   keeps_assignee=plan.assignee_id in members.get(target_group, ()))
                plan.escalate(at, reason, tier=target_tier,
                              group_tier=groups[target_group][1] if target_group is not None else 1)
            elif op == OP_RESOLVE:
                if status not in ACTIVE:
                    continue
                aid, user, _ = analysts[worker()]
                plan.acting(aid, user).resolve(at, *args)
            elif op == OP_REOPEN:
                if status != RESOLVED:
                    continue
                user, reason = args
                plan.acting(None, user).reopen(at, reason)
            elif op == OP_CLOSE:
                if status != RESOLVED:
                    continue
                user = AUTO_CLOSE_ACTOR
                plan.acting(None, user).close(at)
            elif op == OP_CANCEL:
                if status not in ACTIVE:
                    continue
                aid, user, name = analysts[worker()]
                reason = data.CANCEL_REASONS[int(rand() * len(data.CANCEL_REASONS))]
                new_id = comment(at, aid, name, "internal", reason)
                plan.acting(aid, user).comment(at, new_id, "internal", reason, by_analyst=True)
                plan.change_status(at, CANCELLED)
            # Every use case above is one tickets.mutate: version + 1, updated_at/by.
            version += 1
            updated_at, updated_by = at, user

        # --- SLA cache as of `end`, exactly as deskui.services.sla.refresh computes it
        policy = t.policy
        if policy is not None and t.priority != plan.priority:
            policy = self.policies.get((plan.priority, t.kind))
        worked = len(plan.events)
        # A priority change keeps a breach of the earlier policy (deskui.domain.sla_in_force).
        measured = None if policy is None else evaluate_history(
            [e for e in plan.events if e[3] in CLOCK_KINDS], plan.priority,
            lambda p: PolicyInfo(*found) if (found := self.policies.get((p, t.kind))) else None, end, detail=False)
        if measured is not None:
            sla, info = measured
            policy_id, policy_name = info.policy_id, info.name
            response_due, resolution_due = sla.response.due_at, sla.resolution.due_at
            response_warn, resolution_warn = sla.response.warn_at, sla.resolution.warn_at
            response_state, resolution_state = sla.response.state.value, sla.resolution.state.value
            plan.acting(None, SWEEP_ACTOR)
            for target in (sla.response, sla.resolution):
                if target.breached_at is not None:
                    plan.sla_breach(min(target.breached_at, end), target.name, policy_name)
        else:
            policy_id = response_due = resolution_due = response_warn = resolution_warn = None
            response_state = resolution_state = "ok"
        self._events(rows, ticket_id, plan.events, worked, stamps)

        template = t.template
        rows.tickets.append((
            ticket_id, t.kind, t.subject, t.description, t.requester_id, t.channel,
            template.category_id, plan.impact, plan.urgency, plan.priority, plan.priority_reason, plan.status,
            plan.pending_reason, plan.group_id, plan.assignee_id, plan.first_assignee_id, plan.tier, t.ci, None,
            fmt(created), fmt(updated_at), _fmt_opt(fmt, plan.first_response_at), _fmt_opt(fmt, plan.resolved_at),
            _fmt_opt(fmt, plan.closed_at), plan.resolution_code, plan.resolution_notes, None, policy_id,
            _fmt_opt(fmt, response_due), _fmt_opt(fmt, resolution_due), _fmt_opt(fmt, response_warn),
            _fmt_opt(fmt, resolution_warn), response_state, resolution_state,
            stored_bool(plan.sla_breach_recorded, self.sqlite), plan.reopen_count, plan.reassignment_count,
            plan.escalation_count, None, updated_by, version,
        ))
        status = plan.status
        if status in ACTIVE:
            rows.open += 1
        # --- CSAT: about a quarter of resolved tickets get an answer
        if (status == RESOLVED or status == CLOSED) and rand() < 0.25:
            answered = plan.resolved_at + timedelta(seconds=int(rng.lognormvariate(math.log(5 * 3600), 1.0)))
            if answered <= end:
                cum = self.score_bad_cum if plan.sla_breach_recorded or plan.reopen_count else self.score_cum
                score = min(5, 1 + bisect.bisect_right(cum, rand() * cum[-1]))
                remark = ""
                if rand() < 0.3:
                    choices = data.CSAT_COMMENTS[score]
                    remark = choices[int(rand() * len(choices))]
                rows.surveys.append((ticket_id, score, remark, fmt(answered)))
        return comment_id

    def _events(self, rows: ChunkRows, ticket_id: int, events: list, worked: int, stamps: dict) -> None:
        """The planned events as rows: the ticket's life in time order, then each breach
        placed at its instant (after what happened at that instant)."""
        fmt = self.fmt
        get = stamps.get
        out: list[tuple] = []
        append = out.append
        for at, actor_id, actor, kind, what, old, new, detail, comment_id in events[:worked]:
            text = get(at)
            if text is None:
                text = stamps[at] = fmt(at)
            append((ticket_id, text, actor_id, actor, kind, what, old, new, detail, comment_id))
        for e in events[worked:]:
            bisect.insort_right(out, (ticket_id, fmt(e[0]), *e[1:]), key=_event_time)
        rows.events.extend(out)


def comment_text(rand, op: int, args: tuple, first: str, analyst_name: str) -> str:
    """The body of a generated reply (OP_REPLY) or internal note (OP_NOTE)."""
    kind = args[0]
    if op == OP_NOTE:
        if kind == "escalate":
            return args[1]
        if kind == "vendor":
            return data.VENDOR_NOTES[int(rand() * len(data.VENDOR_NOTES))]
        return data.INTERNAL_NOTES[int(rand() * len(data.INTERNAL_NOTES))].replace("{thing}", args[1])
    if kind == "resolution":
        texts = data.RESOLUTION_REPLIES
    elif kind == "ask":
        texts = data.ASK_MORE_INFO
    elif kind == "phone":
        texts = data.PHONE_REPLIES
    elif kind == "no_response":
        texts = data.NO_RESPONSE_REPLIES
    elif kind == "update":
        texts = data.ANALYST_UPDATES
    else:
        texts = data.FIRST_REPLIES
    body = texts[int(rand() * len(texts))]
    return (body.replace("{first}", first).replace("{analyst}", analyst_name)
            .replace("{thing}", args[1] if kind != "resolution" else "").replace("{resolution}", args[1]))


def _event_time(row: tuple):
    return row[1]


def _fmt_opt(fmt, at):
    return None if at is None else fmt(at)


def _cumulative(weights) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out

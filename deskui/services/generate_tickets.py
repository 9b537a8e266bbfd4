"""Drawing a generated ticket's life: what it is, who works it and when, as a timeline
of use-case calls that :mod:`deskui.services.generate_replay` replays through the
history planner.

Shape of the history (see ``generate_data`` for the numbers): type, channel, priority
(through the impact x urgency matrix) and category (Zipf-like) are drawn from fixed
shares; response and resolution times are log-normal, scaled to each policy's
targets, in the policy's business time; a share of tickets is escalated,
reassigned, put on hold, reopened, cancelled or answered in a CSAT survey. Tickets
whose life runs past ``end`` stay open.
"""

from __future__ import annotations

import bisect
import json
import math
import random
import re
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from deskui.domain.calendar import BusinessCalendar
from deskui.services import generate_data as data
from deskui.services.generate_arrivals import ArrivalPlan, Person
from deskui.services.generate_calendar import WINDOW_DAYS_AFTER_END, WindowCalendar
from deskui.services.generate_org import Org, Template
from deskui.services.generate_replay import (
    OP_CANCEL, OP_CLOSE, OP_ESCALATE, OP_NOTE, OP_PENDING, OP_PRIORITY, OP_REASSIGN, OP_REOPEN, OP_REPLY,
    OP_REQUESTER, OP_RESOLVE, OP_RESUME, OP_TAKE, REOPEN_REASON, ChunkRows, Drawn, Replayer,
)

# How often the CI field is filled in (the description names the CI anyway): shared CIs
# (servers, printers) recur by nature, so they are recorded less often.
SHARED_CI_RECORDED = 0.15
PERSONAL_CI_RECORDED = 0.6
_UTC = ZoneInfo("UTC")
_DIGITS = re.compile(r"^(.*?)(\d+)(\D*)$")
_LEVEL_PAIRS = tuple((i, u) for i in ("high", "medium", "low") for u in ("high", "medium", "low"))


@dataclass(frozen=True)
class ChunkSpec:
    index: int
    first_slot: int
    counts: tuple[int, ...]
    first_ticket_id: int
    first_comment_id: int

    @property
    def tickets(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class ChunkContext:
    """Everything a chunk needs, picklable for worker processes."""

    org: Org
    people: tuple[tuple[int, str, str, bool, int], ...]  # (requester id, name, first name, vip, region)
    plan: ArrivalPlan
    seed: int
    start: datetime
    end: datetime
    sqlite: bool

    @classmethod
    def build(cls, org: Org, pool: list[Person], ids: list[int], plan: ArrivalPlan, *, seed: int, start: datetime,
              end: datetime, sqlite: bool) -> "ChunkContext":
        people = tuple((rid, p.name, p.first, p.vip, p.region) for rid, p in zip(ids, pool))
        return cls(org, people, plan, seed, start, end, sqlite)


class ChunkGenerator:
    """Builds the rows of one chunk. Deterministic in (seed, chunk index, context)."""

    def __init__(self, context: ChunkContext):
        self.ctx = context
        org = context.org
        self.end = context.end
        self.calendars = {
            cid: BusinessCalendar.from_config(name=name, timezone=tz, weekly_hours=json.loads(weekly),
                                              holidays=json.loads(holidays), holiday_country=country)
            for cid, (name, tz, weekly, holidays, country) in org.calendars.items()
        }
        self.always = BusinessCalendar.always_open()
        # Exact table-driven arithmetic over the history's window (see WindowCalendar).
        window = (context.start - timedelta(days=2), context.end + timedelta(days=WINDOW_DAYS_AFTER_END))
        self.calendars = {cid: WindowCalendar(cal, *window) for cid, cal in self.calendars.items()}
        self.always = WindowCalendar(self.always, *window)
        self.replayer = Replayer(org, self.calendars, context.end, context.sqlite)
        self.policies = self.replayer.policies  # (priority, type) -> (policy id, name, targets, calendar)
        self.groups = org.groups
        self.tier1 = org.tier1_group
        # Analysts by id: the analyst on the call logs a first-contact ticket.
        self.tier1_members = self.replayer.members.get(org.tier1_group, ()) if org.tier1_group else ()
        self.by_tier = {t: [g for g, (_, tier) in org.groups.items() if tier == t and org.members.get(g)] for t in (1, 2, 3)}
        self.cells: dict[int, list[tuple[str, str]]] = {}
        for (impact, urgency), p in sorted(org.matrix.items()):
            self.cells.setdefault(p, []).append((impact, urgency))
        self.templates = {kind: [t for t in org.templates if t.type == kind] for kind in ("incident", "request")}
        self.template_cum = {kind: _cumulative([t.weight for t in ts]) for kind, ts in self.templates.items()}
        monitorable = [t for t in self.templates["incident"] if t.cis and not t.personal_ci]
        self.monitor_templates = monitorable or self.templates["incident"]
        self.ci_parts = {}
        for ts in self.templates.values():
            for t in ts:
                for ci in t.cis:
                    match = _DIGITS.match(ci)
                    self.ci_parts[ci] = (match[1], len(match[2]), match[3], zlib.crc32(match[1].encode())) if match else None
        regions = max((p[4] for p in context.people), default=0) + 1
        self.people_by_region: list[list[tuple]] = [[] for _ in range(regions)]
        for person in context.people:
            self.people_by_region[person[4]].append(person)
        for i in range(regions):
            if not self.people_by_region[i]:
                self.people_by_region[i] = list(context.people)
        # Some people raise far more tickets than others.
        self.people_cum = [_cumulative([1.0 / (rank + 25) ** 0.6 for rank in range(len(ps))]) for ps in self.people_by_region]
        self.zones = [ZoneInfo(z) for z, _ in org.regions]
        self.channels = [c for c, _ in data.CHANNELS]
        self.channel_cum = _cumulative([w for _, w in data.CHANNELS])
        self.pending_reasons = [r for r, _ in data.PENDING_REASONS]
        self.pending_cum = _cumulative([w for _, w in data.PENDING_REASONS])
        self.codes = {k: ([c for c, _ in v], _cumulative([w for _, w in v])) for k, v in data.RESOLUTION_CODES.items()}
        self.plan = context.plan

    # ------------------------------------------------------------------ chunk

    def chunk(self, spec: ChunkSpec) -> ChunkRows:
        rng = random.Random(f"{self.ctx.seed}:chunk:{spec.index}")
        rows = ChunkRows(first_ticket_id=spec.first_ticket_id)
        ticket_id = spec.first_ticket_id
        comment_id = spec.first_comment_id
        start = self.ctx.start
        end = self.end
        shares = self.plan.regions
        for offset, count in enumerate(spec.counts):
            if not count:
                continue
            slot = spec.first_slot + offset
            slot_start = start + timedelta(hours=slot)
            length = int(min(3600, (end - slot_start).total_seconds()))
            seconds = sorted(rng.randrange(max(length, 1)) for _ in range(count))
            region_cum = _cumulative(shares[slot])
            for s in seconds:
                region = bisect.bisect_right(region_cum, rng.random() * region_cum[-1])
                region = min(region, len(region_cum) - 1)
                created = slot_start + timedelta(seconds=s)
                comment_id = self._ticket(rng, rows, ticket_id, comment_id, created, region)
                ticket_id += 1
        return rows

    # ------------------------------------------------------------------ one ticket

    def _ticket(self, rng: random.Random, rows: ChunkRows, ticket_id: int, comment_id: int,
                created: datetime, region: int) -> int:
        rand = rng.random
        # --- what it is
        channel = self.channels[bisect.bisect_right(self.channel_cum, rand() * self.channel_cum[-1])]
        if channel == "monitoring":
            kind = "incident"
            template = self.monitor_templates[int(rand() * len(self.monitor_templates))]
        else:
            kind = "request" if rand() < 0.26 else "incident"
            cum = self.template_cum[kind]
            template = self.templates[kind][bisect.bisect_right(cum, rand() * cum[-1])]
        people = self.people_by_region[region]
        pcum = self.people_cum[region]
        person = people[min(bisect.bisect_right(pcum, rand() * pcum[-1]), len(people) - 1)]
        requester_id, requester_name, first_name, vip = person[0], person[1], person[2], person[3]
        weights = data.PRIORITY_WEIGHTS["monitoring" if channel == "monitoring" else kind]
        priority = 1 + _pick(rand, weights)
        if vip and priority > 2 and rand() < 0.3:
            priority -= 1
        impact, urgency, priority = self._cell(rand, priority)
        ci, ci_text = self._ci(rand, template, requester_id, channel)
        local = created.replace(tzinfo=_UTC).astimezone(self.zones[min(region, len(self.zones) - 1)])
        weekday = data.WEEKDAY_NAMES[(local.weekday() - (0 if rand() < 0.6 else 1)) % 7]
        if channel == "monitoring":
            alert = data.MONITORING_ALERTS[int(rand() * len(data.MONITORING_ALERTS))]
            subject = f"[{ci}] {alert}"
            description = (f"Alert raised by monitoring at {created:%H:%M} UTC: {alert} on {ci}.\n"
                           f"Threshold exceeded for 3 consecutive checks; ticket opened automatically.")
        else:
            subject = template.subjects[int(rand() * len(template.subjects))]
            description = (template.description.replace("{requester.name}", requester_name)
                           .replace("{weekday}", weekday).replace("{ci}", ci_text or "my device"))
        policy = self.policies.get((priority, kind))
        calendar = policy[3] if policy else self.always
        resp_target = policy[2].response_seconds if policy else 4 * 3600
        res_target = policy[2].resolution_seconds if policy else 3 * 86400

        # --- who first
        first_contact = channel in ("phone", "chat", "walk_in") and self.tier1 is not None
        if first_contact:
            group = self.tier1
            creator = self.tier1_members[int(rand() * len(self.tier1_members))]
        else:
            group = template.group_id if template.group_id in self.groups else (self.tier1 or template.group_id)
            creator = None
        intake = {"email": "intake:email", "portal": "portal", "monitoring": "monitoring"}.get(channel, "intake:email")
        replies_via = "portal" if channel == "portal" else "intake:email"

        # --- timing (business seconds on the policy calendar)
        if first_contact:
            response = rng.randint(60, 900)
        else:
            response = max(60, int(rng.lognormvariate(math.log(0.2 * resp_target), 0.95)))
        quick_fix = first_contact and rand() < 0.4
        if quick_fix:
            resolution = response + rng.randint(120, 1800)
        else:
            share = 0.2 if kind == "incident" else 0.28
            resolution = max(response + 300, int(rng.lognormvariate(math.log(share * res_target), 1.05)))
        span = resolution - response

        ops: list[tuple] = []  # (offset or None, wall or None, seq, op, args)
        seq = 0

        def plan(offset, op, *args):
            nonlocal seq
            seq += 1
            ops.append((offset, seq, op, args))

        cancel = rand() < 0.02
        if not first_contact:
            plan(int(response * (0.05 + 0.75 * rand())), OP_TAKE, None)
            if rand() < 0.04 and priority > 1 and ops[-1][0] < 0.5 * resp_target:
                plan(ops[-1][0], OP_PRIORITY, self._other_cell(rand, priority))
        thing = ci_text or subject.lower()
        first_reply_kind = "phone" if first_contact else "first"
        if not (quick_fix and rand() < 0.3):
            plan(response, OP_REPLY, first_reply_kind, thing)
        pause = None
        no_response = False
        if not quick_fix and priority > 1 and rand() < 0.22:
            p = response + int(span * (0.1 + 0.6 * rand()))
            reason = self.pending_reasons[bisect.bisect_right(self.pending_cum, rand() * self.pending_cum[-1])]
            if reason == "awaiting_requester":
                plan(p, OP_REPLY, "ask", thing)
                hold = rng.lognormvariate(math.log(18 * 3600), 1.0)
                no_response = rand() < 0.3
            else:
                plan(p, OP_NOTE, "vendor", thing)
                hold = rng.lognormvariate(math.log((3 if reason == "awaiting_vendor" else 4) * 86400), 0.7)
            plan(p, OP_PENDING, reason)
            pause = (p, reason, hold)
        if not quick_fix:
            target = self._escalation_target(rand, group, template, first_contact)
            if target is not None:
                e = response + int(span * (0.05 + 0.45 * rand()))
                if pause is not None and e == pause[0]:
                    e += 1
                reason = data.ESCALATION_REASONS[int(rand() * len(data.ESCALATION_REASONS))]
                target_group, target_tier = target
                name = self.groups[target_group][0] if target_group else "tier 3"
                plan(e, OP_NOTE, "escalate", reason.replace("{group}", name))
                plan(e, OP_ESCALATE, target_group, target_tier, reason.replace("{group}", name))
                plan(e + int(rng.lognormvariate(math.log(1800), 0.8)), OP_TAKE, None)
            if rand() < 0.1:
                plan(response + int(span * (0.1 + 0.8 * rand())), OP_REASSIGN)
        # 0-6 comments in all: the first reply, hold and escalation notes, then extras.
        planned = sum(1 for o in ops if o[2] in (OP_REPLY, OP_NOTE)) + 2
        extra = min(_pick(rand, (40, 30, 18, 8, 4)), max(0, 6 - planned))
        for _ in range(extra if not quick_fix else 0):
            at = response + int(span * rand())
            roll = rand()
            if roll < 0.4:
                plan(at, OP_NOTE, "note", thing)
            elif roll < 0.75:
                plan(at, OP_REPLY, "update", thing)
            else:
                plan(at, OP_REQUESTER, "reply")
        if cancel:
            plan(int(resolution * rand()), OP_CANCEL)
        code_names, code_cum = self.codes[kind]
        code = code_names[bisect.bisect_right(code_cum, rand() * code_cum[-1])]
        notes = template.resolution
        if not no_response:
            if rand() < 0.75:
                plan(resolution, OP_REPLY, "resolution", notes)
            plan(resolution, OP_RESOLVE, code, notes)

        # --- wall times: business offsets on the calendar, pending holds in wall time
        add = calendar.add_business_seconds
        walls: dict[int, datetime] = {}
        resume_wall = None
        if pause is not None:
            p, reason, hold = pause
            pause_wall = add(created, p)
            resume_wall = pause_wall + timedelta(seconds=int(hold))
            if reason != "awaiting_requester":
                resume_wall = add(resume_wall, 60)  # analysts act in business hours

        def wall(offset: int) -> datetime:
            at = walls.get(offset)
            if at is None:
                if pause is not None and offset > pause[0]:
                    at = add(resume_wall, offset - pause[0])
                else:
                    at = add(created, offset) if offset else created
                walls[offset] = at
            return at

        timeline = []
        for offset, s, op, args in ops:
            if no_response and offset > pause[0]:
                continue  # the requester never answered: the ticket is resolved from the hold
            timeline.append((wall(offset), s, op, args))
        if pause is not None:
            p, reason, hold = pause
            if no_response:
                closing = add(resume_wall, 60)
                timeline.append((closing, seq + 1, OP_REPLY, ("no_response", "")))
                timeline.append((closing, seq + 2, OP_RESOLVE, ("no_response", "No reply from the requester after reminders.")))
            elif reason == "awaiting_requester":
                timeline.append((resume_wall, seq + 1, OP_REQUESTER, ("reply",)))
                timeline.append((resume_wall, seq + 2, OP_RESUME, (replies_via,)))
            else:
                timeline.append((resume_wall, seq + 1, OP_RESUME, (None,)))
        seq += 3
        timeline.sort()  # (at, seq) are unique: args are never compared
        resolved_wall = None
        for at, _, op, _args in timeline:
            if op == OP_RESOLVE:
                resolved_wall = at
        reopened = False
        if resolved_wall is not None and not cancel and rand() < 0.055:
            reopen_at = resolved_wall + timedelta(seconds=int(rng.lognormvariate(math.log(20 * 3600), 0.9)))
            again = add(reopen_at, int(rng.lognormvariate(math.log(0.08 * res_target), 0.8)) + 300)
            timeline.append((reopen_at, seq + 1, OP_REQUESTER, ("reopen",)))
            timeline.append((reopen_at, seq + 2, OP_REOPEN, (replies_via, REOPEN_REASON)))
            timeline.append((again, seq + 3, OP_REPLY, ("resolution", notes)))
            timeline.append((again, seq + 4, OP_RESOLVE, (code, notes)))
            resolved_wall = again
            reopened = True
            seq += 4
        if resolved_wall is not None and not cancel:
            closing = resolved_wall + timedelta(days=5, seconds=rng.randrange(7200))
            timeline.append((closing, seq + 1, OP_CLOSE, ()))
        if reopened or not cancel:
            timeline.sort()  # (at, seq) are unique: args are never compared

        # --- replay as the services would have written it, up to `end`
        return self.replayer.replay(rng, rows, ticket_id, comment_id, created, timeline, Drawn(
            kind=kind, channel=channel, subject=subject, description=description, requester_id=requester_id,
            requester_name=requester_name, first_name=first_name, template=template, impact=impact, urgency=urgency,
            priority=priority, group=group, creator=creator, intake=intake, ci=ci, policy=policy,
        ))

    # ------------------------------------------------------------------ pieces

    # ------------------------------------------------------------------ pieces

    def _cell(self, rand, priority: int) -> tuple[str, str, int]:
        cells = self.cells.get(priority)
        if not cells:  # a configured matrix without this priority: any cell
            impact, urgency = _LEVEL_PAIRS[int(rand() * len(_LEVEL_PAIRS))]
            return impact, urgency, self.ctx.org.matrix[(impact, urgency)]
        impact, urgency = cells[int(rand() * len(cells))]
        return impact, urgency, priority

    def _other_cell(self, rand, priority: int) -> tuple[str, str, int]:
        """Triage re-rates a ticket one step (P2-P4: the same business calendar)."""
        target = priority + (1 if priority < 4 and (priority == 2 or rand() < 0.5) else -1)
        target = min(4, max(2, target))
        return self._cell(rand, target)

    def _ci(self, rand, template: Template, requester_id: int, channel: str) -> tuple[str, str]:
        """(the ticket's CI field, the CI the description mentions)."""
        if not template.cis:
            return "", ""
        if template.personal_ci:
            base = template.cis[requester_id % len(template.cis)]
            parts = self.ci_parts.get(base)
            if parts is None:
                return base, base
            prefix, width, suffix, salt = parts
            number = (requester_id * 2654435761 + salt) % (10 ** width)
            ci = f"{prefix}{number:0{width}d}{suffix}"
            return (ci if rand() < PERSONAL_CI_RECORDED else ""), ci
        ci = template.cis[int(rand() * len(template.cis))]
        recorded = channel == "monitoring" or rand() < SHARED_CI_RECORDED
        return (ci if recorded else ""), ci

    def _escalation_target(self, rand, group: int | None, template: Template, first_contact: bool):
        """(group id or None, tier or None) to escalate to, or None for no escalation."""
        if group is None or group not in self.groups:
            return None
        tier = self.groups[group][1]
        if first_contact and template.group_id not in (None, group) and template.group_id in self.groups:
            return (template.group_id, None) if rand() < 0.45 else None
        if tier == 1:
            if rand() >= 0.12:
                return None
            if template.parent_group_id in self.groups and self.groups[template.parent_group_id][1] > 1:
                return template.parent_group_id, None
            higher = self.by_tier.get(2) or self.by_tier.get(3)
            return (higher[int(rand() * len(higher))], None) if higher else (None, 2)
        if tier == 2:
            if rand() >= 0.1:
                return None
            higher = self.by_tier.get(3)
            if higher and rand() < 0.6:
                return higher[int(rand() * len(higher))], None
            return None, 3
        return None


def _cumulative(weights: Iterable[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _pick(rand, weights: Sequence[float]) -> int:
    """Index drawn with the given weights."""
    roll = rand() * sum(weights)
    for i, w in enumerate(weights):
        roll -= w
        if roll < 0:
            return i
    return len(weights) - 1

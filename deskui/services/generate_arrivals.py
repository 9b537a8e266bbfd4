"""Who raises the generated tickets and when: a pool of requesters, and arrivals per
hour following a weekday x hour profile in the requesters' time zones."""

from __future__ import annotations

import math
import random
from collections import namedtuple
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence
from zoneinfo import ZoneInfo

from deskui.services import generate_data as data

# Requesters: one per this many tickets, within bounds.
TICKETS_PER_REQUESTER = 8
MIN_REQUESTERS, MAX_REQUESTERS = 40, 20000


Person = namedtuple("Person", "email name first department location vip region")


def requester_count(tickets: int) -> int:
    return max(MIN_REQUESTERS, min(MAX_REQUESTERS, tickets // TICKETS_PER_REQUESTER))


def requester_pool(rng: random.Random, count: int, regions: Sequence[tuple[str, float]], domain: str) -> list[Person]:
    """Believable staff: unique emails, departments by size, locations by region."""
    seen: set[str] = set()
    people: list[Person] = []
    departments = [d for d, _ in data.DEPARTMENTS]
    department_weights = [w for _, w in data.DEPARTMENTS]
    zones = [z for z, _ in regions]
    zone_weights = [w for _, w in regions]
    for _ in range(count):
        first = rng.choice(data.FIRST_NAMES)
        last = rng.choice(data.LAST_NAMES)
        local = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
        email, n = f"{local}@{domain}", 1
        while email in seen:
            n += 1
            email = f"{local}{n}@{domain}"
        seen.add(email)
        zone = rng.choices(zones, zone_weights)[0]
        places = data.LOCATIONS.get(zone, data.GENERIC_LOCATIONS)
        location = rng.choices([p for p, _ in places], [w for _, w in places])[0]
        department = rng.choices(departments, department_weights)[0]
        vip = department == "Executive Office" or rng.random() < 0.01
        people.append(Person(email, f"{first} {last}", first, department, location, vip, zones.index(zone)))
    return people


# ====================================================================== arrivals

@dataclass(frozen=True)
class ArrivalPlan:
    start: datetime
    end: datetime
    counts: list[int]  # tickets created in each hour slot [start + i h, start + (i+1) h) ∩ [start, end)
    regions: list[list[float]]  # per slot, the share of each region (time zone) in the arrivals


def arrival_plan(rng: random.Random, tickets: int, start: datetime, end: datetime,
                 regions: Sequence[tuple[str, float]], holiday_calendars: dict | None = None) -> ArrivalPlan:
    """How many tickets arrive in each hour: weekday x hour profile per region, day noise, busy days."""
    hours = math.ceil((end - start).total_seconds() / 3600)
    zones = [ZoneInfo(z) for z, _ in regions]
    day_noise: dict[int, float] = {}
    weights: list[float] = []
    shares: list[list[float]] = []
    for i in range(hours):
        slot = start + timedelta(hours=i)
        length = min(3600.0, (end - slot).total_seconds()) / 3600.0
        ordinal = slot.toordinal()
        noise = day_noise.get(ordinal)
        if noise is None:
            noise = rng.lognormvariate(0.0, 0.15) * (1.7 if rng.random() < 0.02 else 1.0)
            day_noise[ordinal] = noise
        parts = []
        for (zone_name, share), zone in zip(regions, zones):
            local = slot.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
            weekday, hour = local.weekday(), local.hour
            w = data.WEEKDAY_WEIGHT[weekday] * data.HOUR_WEIGHT[hour]
            if weekday == 0 and 8 <= hour < 12:
                w *= data.MONDAY_MORNING_BOOST
            if _is_holiday(zone_name, local.date(), holiday_calendars):
                w *= 0.15
            parts.append(share * w)
        total = sum(parts)
        weights.append(total * noise * length)
        shares.append([p / total for p in parts] if total else [1.0 / len(parts)] * len(parts))
    counts = _multinomial_sorted(rng, tickets, weights)
    return ArrivalPlan(start, end, counts, shares)


def _is_holiday(zone: str, day, holiday_calendars: dict | None) -> bool:
    if not holiday_calendars:
        return False
    calendar = holiday_calendars.get(zone)
    return calendar is not None and calendar.holiday_name(day) is not None


def _multinomial_sorted(rng: random.Random, n: int, weights: list[float]) -> list[int]:
    """Counts per slot of n i.i.d. draws with the given weights, in O(n + slots):
    ascending uniform order statistics walked against the cumulative weights."""
    total = sum(weights)
    counts = [0] * len(weights)
    if total <= 0:
        counts[-1] = n
        return counts
    slot, upper = 0, weights[0] / total
    x = 1.0
    for i in range(n, 0, -1):
        x *= rng.random() ** (1.0 / i)
        u = 1.0 - x  # ascending
        while u >= upper and slot < len(weights) - 1:
            slot += 1
            upper += weights[slot] / total
        counts[slot] += 1
    return counts

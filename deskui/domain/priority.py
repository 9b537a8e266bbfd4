"""Priority from the impact x urgency matrix (DESIGN.md §2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from deskui.domain.enums import Level

PRIORITY_NAMES = {1: "Critical", 2: "High", 3: "Moderate", 4: "Low"}

DEFAULT_MATRIX: dict[tuple[Level, Level], int] = {
    (Level.HIGH, Level.HIGH): 1,
    (Level.HIGH, Level.MEDIUM): 2,
    (Level.HIGH, Level.LOW): 3,
    (Level.MEDIUM, Level.HIGH): 2,
    (Level.MEDIUM, Level.MEDIUM): 3,
    (Level.MEDIUM, Level.LOW): 4,
    (Level.LOW, Level.HIGH): 3,
    (Level.LOW, Level.MEDIUM): 4,
    (Level.LOW, Level.LOW): 4,
}


@dataclass(frozen=True)
class PriorityMatrix:
    """Maps (impact, urgency) to a priority 1 (highest) to 4."""

    cells: Mapping[tuple[Level, Level], int] = field(default_factory=lambda: dict(DEFAULT_MATRIX))

    def priority(self, impact: Level | str, urgency: Level | str) -> int:
        return self.cells[(Level(impact), Level(urgency))]

    def reason(self, impact: Level | str, urgency: Level | str) -> str:
        return matrix_reason(Level(impact).value, Level(urgency).value, self.priority(impact, urgency))

    @classmethod
    def from_rows(cls, rows: Mapping[str, Mapping[str, int]]) -> "PriorityMatrix":
        """Build from a config table such as ``{"high": {"high": 1, ...}, ...}``.

        Raises ValueError naming the missing or bad cell.
        """
        cells: dict[tuple[Level, Level], int] = {}
        for impact in Level:
            row = rows.get(impact.value)
            if row is None:
                raise ValueError(f"priority matrix: missing impact row {impact.value!r}")
            for urgency in Level:
                value = row.get(urgency.value)
                if value not in (1, 2, 3, 4):
                    raise ValueError(
                        f"priority matrix: impact {impact.value} x urgency {urgency.value} "
                        f"must be 1, 2, 3 or 4, got {value!r}"
                    )
                cells[(impact, urgency)] = value
        return cls(cells)


def matrix_reason(impact: str, urgency: str, priority: int) -> str:
    """The recorded reason of a priority the matrix gave."""
    return f"matrix: impact {impact} x urgency {urgency} = P{priority}"


def priority_label(priority: int) -> str:
    return f"P{priority}"

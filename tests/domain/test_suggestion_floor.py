"""The share of a text's weight a match holds (issue 15 item 13)."""

from __future__ import annotations

from dataclasses import dataclass

from deskui.domain.ranking import best_share, weight_share


@dataclass(frozen=True)
class W:
    idf: float
    holders: frozenset


def test_a_match_on_a_rare_word_weighs_more_than_on_a_common_one():
    weights = [W(8.0, frozenset({1})), W(1.0, frozenset({2})), W(1.0, frozenset({1, 2}))]
    assert weight_share(weights, 1) == 0.9
    assert weight_share(weights, 2) == 0.2
    assert best_share(weights, [2, 1, 3]) == 0.9


def test_nothing_shared_is_zero():
    assert weight_share([W(3.0, frozenset())], 1) == 0.0
    assert weight_share([], 1) == 0.0
    assert best_share([W(3.0, frozenset({1}))], []) == 0.0

"""Score one new profile against its candidates with a trained model, without Splink.

The real-time matcher finds a new or changed profile's candidates through its blocking keys
(``blocking.match_keys``), then scores each pair here: Fellegi-Sunter with the model's m and u
probabilities and the comparison levels of comparisons.py, the string similarities computed by
rapidfuzz (the library DuckDB's own Jaro-Winkler and Levenshtein functions come from). The
probability equals what Splink's ``predict`` gives the same pair with the same model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz.distance import JaroWinkler, Levenshtein

from openprofiles.resolution.comparisons import COMPARISONS, ComparisonSpec, Condition
from openprofiles.resolution.engine import ScoredPair
from openprofiles.resolution.model import MatchModel
from openprofiles.resolution.normalise import NormalisedRecord


def _holds(condition: Condition, left: NormalisedRecord, right: NormalisedRecord) -> bool:
    """The condition as SQL would evaluate it; a comparison with a NULL is not true."""
    a = getattr(left, condition.column)
    b = getattr(right, condition.column)
    if condition.kind == "null":
        return a is None or b is None
    if condition.kind == "reversed":
        assert condition.other is not None
        a_other = getattr(left, condition.other)
        b_other = getattr(right, condition.other)
        return a is not None and a == b_other and b is not None and b == a_other
    if a is None or b is None:
        return False
    if condition.kind == "exact":
        return bool(a == b)
    if condition.kind == "jaro_winkler":
        return float(JaroWinkler.similarity(a, b)) >= condition.threshold
    return int(Levenshtein.distance(a, b)) <= condition.threshold


def level_index(spec: ComparisonSpec, left: NormalisedRecord, right: NormalisedRecord) -> int:
    """The index in ``spec.levels`` of the first level whose conditions all hold."""
    for index, level in enumerate(spec.levels):
        if all(_holds(condition, left, right) for condition in level.conditions):
            return index
    raise AssertionError(f"comparison {spec.name} has no else level")


@dataclass(frozen=True)
class ComparisonOutcome:
    """The level one comparison put a pair in, and what that level says about a match."""

    name: str  # the comparison, as a reviewer reads it: "email", "contact"
    level: str  # what held: "exact match", "Jaro-Winkler \u2265 0.88", "no data"
    m: float | None  # P(level | same person); None for the null level
    u: float | None  # P(level | different people)

    @property
    def weight(self) -> float:
        """Match weight in bits, log2(m/u): positive supports a match; 0 without data."""
        return 0.0 if self.m is None or self.u is None else math.log2(self.m / self.u)


@dataclass(frozen=True)
class Explanation:
    """Why a pair scored what it did: the prior's weight plus each comparison's is the
    match's log-odds in bits, and ``probability`` is ``RealtimeScorer.probability``."""

    prior_weight: float
    outcomes: tuple[ComparisonOutcome, ...]
    probability: float

    @property
    def weight(self) -> float:
        return self.prior_weight + sum(outcome.weight for outcome in self.outcomes)


@dataclass(frozen=True)
class RealtimeScorer:
    """Scores pairs with one model; build it once per model and reuse it for every record."""

    model: MatchModel
    # per comparison, its levels' conditions beside their m/u (None: no evidence), worked out
    # once so that scoring a pair is only the conditions and a product
    _plan: tuple[tuple[tuple[tuple[Condition, ...], float | None], ...], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        plan = tuple(
            tuple(
                (level.conditions, None if weights is None else weights[0] / weights[1])
                for level, weights in zip(spec.levels, self.model.levels(spec), strict=True)
            )
            for spec in COMPARISONS
        )
        object.__setattr__(self, "_plan", plan)

    @classmethod
    def from_json(cls, model: Mapping[str, Any]) -> RealtimeScorer:
        """From an engine's ``trained_model()``."""
        return cls(MatchModel.from_json(model))

    def bayes_factor(self, left: NormalisedRecord, right: NormalisedRecord) -> float:
        """Odds of a match over the prior odds: the product of each comparison's m/u."""
        factor = 1.0
        for levels in self._plan:
            for conditions, ratio in levels:
                if all(_holds(condition, left, right) for condition in conditions):
                    if ratio is not None:
                        factor *= ratio
                    break
        return factor

    def probability(self, left: NormalisedRecord, right: NormalisedRecord) -> float:
        """Probability (0..1) that the two records are the same person."""
        prior = self.model.probability_two_random_records_match
        odds = prior / (1.0 - prior) * self.bayes_factor(left, right)
        return odds / (1.0 + odds)

    def explain(self, left: NormalisedRecord, right: NormalisedRecord) -> Explanation:
        """Each comparison's level for this pair with its m, u and weight, and the prior."""
        outcomes = []
        for spec in COMPARISONS:
            level = level_index(spec, left, right)
            weights = self.model.levels(spec)[level]
            m, u = (None, None) if weights is None else weights
            outcomes.append(ComparisonOutcome(spec.title, spec.describe(spec.levels[level]), m, u))
        prior = self.model.probability_two_random_records_match
        return Explanation(
            math.log2(prior / (1.0 - prior)), tuple(outcomes), self.probability(left, right)
        )

    def score(
        self,
        record: NormalisedRecord,
        candidates: Iterable[NormalisedRecord],
        threshold: float = 0.0,
    ) -> list[ScoredPair]:
        """``record`` against each candidate (itself skipped), best first, at or above
        ``threshold``."""
        pairs = []
        for candidate in candidates:
            if candidate.unique_id == record.unique_id:
                continue
            probability = self.probability(record, candidate)
            if probability >= threshold:
                pairs.append(ScoredPair(record.unique_id, candidate.unique_id, probability))
        return sorted(pairs, key=lambda pair: (-pair.probability, pair.right_id))

"""The real-time scorer gives a pair the probability Splink gives it, with the same model."""

from __future__ import annotations

import pytest

from bench.resolution_customers import generate
from openprofiles.resolution import get_engine
from openprofiles.resolution.engine import ResolutionRecord, ResolutionSettings
from openprofiles.resolution.normalise import NormalisedRecord, normalise_document
from openprofiles.resolution.realtime import RealtimeScorer

from .domain import domain


def _splink_and_realtime(
    records: list[ResolutionRecord], extra: dict[str, int]
) -> list[tuple[float, float]]:
    engine = get_engine("duckdb")
    # a low threshold, so that Splink reports pairs from every part of the probability range
    groups = engine.resolve(records, ResolutionSettings(match_threshold=1e-6, extra=extra))
    scorer = RealtimeScorer.from_json(engine.trained_model())
    normalised = {r.profile_id: normalise_document(r.profile_id, r.document) for r in records}
    return [
        (pair.probability, scorer.probability(normalised[pair.left_id], normalised[pair.right_id]))
        for group in groups
        for pair in group.pairs
    ]


def _assert_equal(scores: list[tuple[float, float]]) -> None:
    assert len(scores) > 100
    assert min(splink for splink, _ in scores) < 0.5 < max(splink for splink, _ in scores)
    for splink, realtime in scores:
        assert realtime == pytest.approx(splink, rel=1e-9, abs=1e-12)


def test_scores_equal_splink_with_the_shipped_model() -> None:
    records = [ResolutionRecord(pid, doc) for pid, _, doc in generate(600, seed=5)]
    _assert_equal(_splink_and_realtime(records, {}))


def test_scores_equal_splink_with_a_model_estimated_by_em() -> None:
    records = [ResolutionRecord(pid, doc) for pid, _, doc in generate(1500, seed=21)]
    _assert_equal(_splink_and_realtime(records, {"estimate_min_records": 1000}))


def test_candidates_come_back_best_first_above_the_threshold() -> None:
    records = {r.profile_id: normalise_document(r.profile_id, r.document) for r in domain()}
    scorer = RealtimeScorer.from_json(get_engine("duckdb").trained_model())
    new = records["nick-2"]
    pairs = scorer.score(new, records.values(), threshold=0.5)
    assert [pair.right_id for pair in pairs] == ["nick-1"]
    assert pairs[0].left_id == "nick-2"


def test_missing_fields_neither_help_nor_hurt() -> None:
    scorer = RealtimeScorer.from_json(get_engine("duckdb").trained_model())
    empty = NormalisedRecord("a"), NormalisedRecord("b")
    prior = scorer.model.probability_two_random_records_match
    assert scorer.probability(*empty) == pytest.approx(prior)

"""The DuckDB engine on a small domain of planted duplicates and look-alikes (shipped model)."""

from __future__ import annotations

from typing import Any

import pytest

from openprofiles.resolution import get_engine
from openprofiles.resolution.engine import MatchGroup, ResolutionRecord, ResolutionSettings
from openprofiles.resolution.model import MatchModel, default_model

from .domain import LOOK_ALIKES, PLANTED, domain


@pytest.fixture(scope="module")
def groups() -> list[MatchGroup]:
    return get_engine("duckdb").resolve(domain(), ResolutionSettings())


def _group_of(groups: list[MatchGroup], profile_id: str) -> set[str]:
    for group in groups:
        if profile_id in group.profile_ids:
            return set(group.profile_ids)
    return {profile_id}


@pytest.mark.parametrize("people", PLANTED, ids=lambda people: people[0])
def test_planted_duplicates_are_one_group(groups: list[MatchGroup], people: list[str]) -> None:
    assert _group_of(groups, people[0]) == set(people)


@pytest.mark.parametrize("pair", LOOK_ALIKES, ids=lambda pair: "-".join(pair))
def test_look_alikes_stay_apart(groups: list[MatchGroup], pair: tuple[str, str]) -> None:
    assert pair[1] not in _group_of(groups, pair[0])


def test_nothing_else_is_grouped(groups: list[MatchGroup]) -> None:
    assert sorted(group.profile_ids for group in groups) == sorted(
        tuple(sorted(people)) for people in PLANTED
    )


def test_groups_carry_their_pairs_and_a_confidence_at_the_threshold(
    groups: list[MatchGroup],
) -> None:
    for group in groups:
        assert group.pairs
        assert group.confidence == min(pair.probability for pair in group.pairs)
        assert 0.9 <= group.confidence <= 1.0
        for pair in group.pairs:
            assert {pair.left_id, pair.right_id} <= set(group.profile_ids)


def test_a_higher_threshold_keeps_only_surer_groups() -> None:
    engine = get_engine("duckdb")
    strict = engine.resolve(domain(), ResolutionSettings(match_threshold=0.999999))
    loose = engine.resolve(domain(), ResolutionSettings(match_threshold=0.9))
    assert {group.profile_ids for group in strict} != {group.profile_ids for group in loose}
    assert all(group.confidence >= 0.999999 for group in strict)


def test_progress_reports_both_stages() -> None:
    seen: list[tuple[str, int, int]] = []
    get_engine("duckdb").resolve(domain(), ResolutionSettings(), lambda *step: seen.append(step))
    assert {stage for stage, _, _ in seen} == {"PREPROCESSING", "FIND_MATCHING"}
    assert seen[-1][1] == seen[-1][2]


def test_the_trained_model_is_json_and_loads_back() -> None:
    engine = get_engine("duckdb")
    engine.resolve(domain(), ResolutionSettings())
    model: dict[str, Any] = dict(engine.trained_model())
    assert MatchModel.from_json(model).to_json() == model


def test_one_record_gives_no_groups() -> None:
    records = [ResolutionRecord("only", {"FirstName": "Ann"})]
    assert get_engine("duckdb").resolve(records, ResolutionSettings()) == []


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="duckdb"):
        get_engine("oracle")


def test_a_large_domain_estimates_its_own_parameters_and_still_finds_the_planted() -> None:
    engine = get_engine("duckdb")
    groups = engine.resolve(domain(filler=1200), ResolutionSettings())
    assert engine.trained_model()["source"] == "estimated"
    assert engine.trained_model()["comparisons"] != default_model().to_json()["comparisons"]
    found = {group.profile_ids for group in groups}
    for people in PLANTED:
        assert tuple(sorted(people)) in found
    for left, right in LOOK_ALIKES:
        assert right not in _group_of(groups, left)


def test_a_large_domain_without_any_duplicate_finds_no_group() -> None:
    # No pair agrees on a deterministic rule, so the prior cannot be estimated from the
    # domain; the shipped one stands and the job still completes, with nothing grouped.
    from tests.support.planted import people

    records = [ResolutionRecord(f"{i:032x}", person) for i, person in enumerate(people(2000))]
    engine = get_engine("duckdb")
    assert engine.resolve(records, ResolutionSettings()) == []
    assert 0.0 < engine.trained_model()["probability_two_random_records_match"] < 1.0

"""The real-time scorer explains a pair: each comparison's level and weight, and the prior."""

from __future__ import annotations

import math

import pytest

from openprofiles.resolution.comparisons import COMPARISONS
from openprofiles.resolution.model import MatchModel, default_model, uninformed_model
from openprofiles.resolution.normalise import normalise_document
from openprofiles.resolution.realtime import RealtimeScorer

ADA = {
    "FirstName": "Ada",
    "LastName": "Lovelace",
    "EmailAddress": "ada@example.com",
    "PhoneNumber": "+12065550111",
    "BirthDate": "1815-12-10",
}


@pytest.mark.parametrize("model", [default_model(), uninformed_model()], ids=["shipped", "start"])
def test_weights_and_prior_sum_to_the_probabilitys_log_odds(model: MatchModel) -> None:
    scorer = RealtimeScorer(model)
    left = normalise_document("a", ADA)
    right = normalise_document("b", {**ADA, "FirstName": "Adah", "BirthDate": "1815-12-11"})
    explained = scorer.explain(left, right)
    probability = scorer.probability(left, right)
    assert explained.probability == probability
    assert explained.weight == pytest.approx(math.log2(probability / (1.0 - probability)))
    assert [o.name for o in explained.outcomes] == [s.name.replace("_", " ") for s in COMPARISONS]


def test_a_missing_field_is_no_data_with_no_weight() -> None:
    scorer = RealtimeScorer(default_model())
    left = normalise_document("a", ADA)
    right = normalise_document("b", {k: v for k, v in ADA.items() if k != "BirthDate"})
    by_name = {o.name: o for o in scorer.explain(left, right).outcomes}
    assert by_name["birth date"].level == "no data"
    assert by_name["birth date"].m is None and by_name["birth date"].weight == 0.0
    assert by_name["account number"].level == "no data"  # neither has one


def test_the_level_that_held_is_named_with_its_weight() -> None:
    scorer = RealtimeScorer(default_model())
    left = normalise_document("a", ADA)
    right = normalise_document(
        "b", {**ADA, "FirstName": "Lovelace", "LastName": "Ada", "EmailAddress": "x@y.org"}
    )
    by_name = {o.name: o for o in scorer.explain(left, right).outcomes}
    assert by_name["first name"].level == "swapped with last name"
    assert by_name["email"].level == "different" and by_name["email"].weight < 0
    assert by_name["birth date"].level == "exact match" and by_name["birth date"].weight > 0
    assert by_name["contact"].level == "phone exact match"
    same = scorer.explain(left, normalise_document("b", ADA)).outcomes
    email = next(o for o in same if o.name == "email")
    assert email.level == "exact match"
    assert email.m is not None and email.u is not None
    assert email.weight == pytest.approx(math.log2(email.m / email.u)) and email.weight > 0

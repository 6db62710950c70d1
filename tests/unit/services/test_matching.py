"""Matching configuration rules the model cannot state, and the auto-merge decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from openprofiles.services.auto_merge import Candidate, attribute, plan_merges
from openprofiles.services.matching import (
    Schedule,
    auto_merge_rules,
    matching_errors,
    schedule_of,
)
from openprofiles.worker.schedule import latest_slot, next_slot

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _auto(**members: Any) -> dict[str, Any]:
    return {"Enabled": True, "AutoMerging": {"Enabled": True, **members}}


RULES = {"MatchingAttributesList": [["FirstName", "LastName", "EmailAddress"], ["PhoneNumber"]]}


@pytest.mark.parametrize(
    ("matching", "named"),
    [
        (_auto(ConflictResolution={"ConflictResolvingModel": "SOURCE"}, Consolidation=RULES),
         "Matching.AutoMerging.ConflictResolution.SourceName"),
        (_auto(), "Matching.AutoMerging.Consolidation"),
        (_auto(Consolidation={"MatchingAttributesList": [["FirstName", "Shoe size"]]}),
         "Matching.AutoMerging.Consolidation.MatchingAttributesList.1.2"),
        (_auto(Consolidation=RULES, MinAllowedConfidenceScoreForMerging=float("nan")),
         "Matching.AutoMerging.MinAllowedConfidenceScoreForMerging"),
    ],
)  # fmt: skip
def test_bad_matching_is_named_by_member(matching: dict[str, Any], named: str) -> None:
    errors = matching_errors(matching)
    assert len(errors) == 1 and errors[0].startswith(named + ":"), errors


def test_good_matching_passes() -> None:
    good = _auto(
        Consolidation={"MatchingAttributesList": [["Address.PostalCode", "Attributes.tier"],
                                                  ["BusinessName", "BirthDate"]]},
        ConflictResolution={"ConflictResolvingModel": "SOURCE", "SourceName": "crm"},
        MinAllowedConfidenceScoreForMerging=0.5,
    )  # fmt: skip
    assert matching_errors(good) == []
    assert matching_errors({"Enabled": False, "AutoMerging": {"Enabled": False}}) == []


def test_schedule_defaults_to_saturday_midnight() -> None:
    assert schedule_of({"Enabled": True}) == Schedule(5, 0, 0)
    wednesday_noon = T0
    assert latest_slot(Schedule(5, 0, 0), wednesday_noon) == datetime(2026, 11, 21, tzinfo=UTC)
    assert next_slot(Schedule(5, 0, 0), wednesday_noon) == datetime(2026, 11, 28, tzinfo=UTC)
    same_day = Schedule(2, 9, 5)  # Wednesday 9:05, before noon
    assert latest_slot(same_day, wednesday_noon) == datetime(2026, 11, 25, 9, 5, tzinfo=UTC)
    later_today = Schedule(2, 13, 0)
    assert latest_slot(later_today, wednesday_noon) == datetime(2026, 11, 18, 13, tzinfo=UTC)


def _p(pid: str, age_minutes: int, sources: set[str] | None = None, **doc: Any) -> Candidate:
    return Candidate(pid, doc, T0 - timedelta(minutes=age_minutes), frozenset(sources or ()))


def test_attributes_compare_after_normalisation() -> None:
    assert attribute({"FirstName": "  José "}, "FirstName") == attribute(
        {"FirstName": "jose"}, "FirstName"
    )
    assert attribute({"EmailAddress": "Ana@Example.COM"}, "EmailAddress") == "ana@example.com"
    assert attribute({"PhoneNumber": "(206) 555-0100"}, "PhoneNumber") == "+12065550100"
    assert attribute({"Address": {"City": "Lisbon"}}, "Address.City") == "lisbon"
    assert attribute({"Attributes": {"tier": "Gold"}}, "Attributes.tier") == "gold"
    assert attribute({}, "FirstName") is None


def test_rules_are_and_within_and_or_across() -> None:
    rules = auto_merge_rules(RULES, None, None)
    a = _p("a", 5, FirstName="Ana", LastName="Lima", EmailAddress="ana@x.com")
    b = _p("b", 1, FirstName="ANA", LastName="lima", EmailAddress="Ana@X.com")
    c = _p("c", 9, FirstName="Ana", LastName="Lima", EmailAddress="other@x.com")
    assert [p.profile_ids for p in plan_merges([a, c], 0.9, rules)] == []  # email differs
    [plan] = plan_merges([a, b, c], 0.9, rules)
    assert plan.main_profile_id == "b" and plan.profile_ids == ("a",)  # c stays apart
    d = _p("d", 2, PhoneNumber="206-555-0100")
    e = _p("e", 3, PhoneNumber="+1 206 555 0100", FirstName="Eve")
    [by_phone] = plan_merges([d, e], 0.9, rules)  # the second rule alone
    assert by_phone.main_profile_id == "d" and by_phone.field_sources == {"FirstName": "e"}


def test_minimum_confidence_holds_a_group_back() -> None:
    rules = auto_merge_rules(RULES, None, 0.95)
    pair = [_p("a", 1, PhoneNumber="+12065550100"), _p("b", 2, PhoneNumber="+12065550100")]
    assert plan_merges(pair, 0.94, rules) == []
    assert len(plan_merges(pair, 0.95, rules)) == 1


def test_source_resolution_prefers_the_source_then_recency() -> None:
    rules = auto_merge_rules(RULES, {"ConflictResolvingModel": "SOURCE", "SourceName": "crm"}, None)
    old_crm = _p("old", 60, {"crm"}, PhoneNumber="+12065550100", EmailAddress="crm@x.com")
    new_web = _p("new", 1, {"web"}, PhoneNumber="+12065550100", FirstName="Web")
    [plan] = plan_merges([new_web, old_crm], 0.9, rules)
    assert plan.main_profile_id == "old"
    assert plan.field_sources == {"FirstName": "new"}
    recency = auto_merge_rules(RULES, {"ConflictResolvingModel": "RECENCY"}, None)
    assert plan_merges([new_web, old_crm], 0.9, recency)[0].main_profile_id == "new"
    both_crm = _p("newer", 1, {"crm"}, PhoneNumber="+12065550100")
    assert plan_merges([old_crm, both_crm], 0.9, rules)[0].main_profile_id == "newer"

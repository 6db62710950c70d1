"""Field sources: which source wins a profile field, and how little is stored for it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from openprofiles.services.field_sources import DIRECT, LOWEST, FieldSources, source, wins

JAN = datetime(2026, 1, 1, tzinfo=UTC)
FEB = datetime(2026, 2, 1, tzinfo=UTC)


def test_the_lower_number_wins_and_none_is_the_lowest() -> None:
    assert wins(source(1, JAN), source(2, FEB))
    assert not wins(source(2, FEB), source(1, JAN))
    assert wins(source(5, JAN), source(None, FEB))
    assert not wins(source(None, FEB), source(5, JAN))
    assert wins(source(DIRECT, JAN), source(1, FEB))
    assert not wins(source(1, FEB), source(DIRECT, JAN))


def test_within_one_priority_an_older_source_loses_and_an_unknown_time_does_not() -> None:
    assert wins(source(1, FEB), source(1, JAN)) and wins(source(1, JAN), source(1, JAN))
    assert not wins(source(1, JAN), source(1, FEB))
    assert wins(source(1, None), source(1, FEB)) and wins(source(1, JAN), source(1, None))
    assert wins(source(None, None), LOWEST)


def test_a_profile_one_source_made_stores_that_source_once() -> None:
    made = FieldSources.new(source(3, JAN))
    made.set("FirstName", source(3, JAN))
    made.set("Address.City", source(3, JAN))
    assert json.loads(made.encode() or "") == {"*": [3, int(JAN.timestamp()) * 1000]}
    made.set("Address.City", source(1, FEB))
    reread = FieldSources(made.encode())
    assert reread.of("Address.City") == source(1, FEB)
    assert reread.of("FirstName") == source(3, JAN)


def test_sources_are_rewritten_only_when_they_change() -> None:
    text = '{"*":[null,1767225600000],"LastName":[0,1769904000500]}'
    stored = FieldSources(text)
    stored.set("LastName", source(DIRECT, datetime.fromtimestamp(1769904000.5, UTC)))
    stored.set("FirstName", source(None, JAN))  # the default: nothing to add
    assert stored.encode() is text
    stored.drop("LastName")
    assert json.loads(stored.encode() or "") == {"*": [None, 1767225600000]}


def test_a_profile_stored_before_sources_reads_as_the_rule_before_priorities() -> None:
    legacy = FieldSources(None, FEB)
    assert legacy.of("FirstName") == source(None, FEB)
    assert legacy.may_come_from("FirstName", 1)  # unknown: the scrub goes by value alone
    assert not wins(source(None, JAN), legacy.of("FirstName"))  # older, same priority
    assert wins(source(7, JAN), legacy.of("FirstName"))
    legacy.set("FirstName", source(7, JAN))
    written = FieldSources(legacy.encode())
    assert written.of("FirstName") == source(7, JAN) and written.of("LastName") == source(None, FEB)
    assert not written.may_come_from("LastName", 7)

"""Which pairs of profiles are compared at all: blocking rules, for Splink and as index keys.

A pair is compared when it agrees on every column of at least one rule. The same rules are
Splink blocking rules for the batch engines (``splink_blocking_rules``) and plain string keys
for the real-time matcher (``match_keys``): two records share a key exactly when a rule would
pair them, so an index on the keys finds a new profile's candidates without a scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from openprofiles.resolution.normalise import NormalisedRecord

if TYPE_CHECKING:
    from splink.internals.blocking_rule_creator import BlockingRuleCreator


@dataclass(frozen=True)
class BlockingRule:
    """Pairs agreeing on all ``columns``; with ``swappable`` the first two columns also pair
    when swapped (a first name given as the last name and the other way round)."""

    name: str
    columns: tuple[str, ...]
    swappable: bool = False


BLOCKING_RULES: Final = (
    BlockingRule("email", ("email",)),
    BlockingRule("phone", ("phone",)),
    BlockingRule("name_birth_date", ("first_name", "last_name", "birth_date"), swappable=True),
    BlockingRule("last_name_postcode", ("last_name", "postcode")),
    BlockingRule("birth_date_postcode", ("birth_date", "postcode")),
    BlockingRule("first_name_birth_date", ("first_name", "birth_date")),
    BlockingRule("last_name_birth_date", ("last_name", "birth_date")),
    BlockingRule("account_number", ("account_number",)),
    BlockingRule("first_name_postcode", ("first_name", "postcode")),
    BlockingRule("city_birth_date", ("city", "birth_date")),
)

# Rules sure enough to count matches for the prior (probability that two records match).
DETERMINISTIC_RULES: Final = (
    BlockingRule("email_name", ("email", "first_name", "last_name")),
    BlockingRule("name_birth_date_postcode", ("first_name", "last_name", "birth_date", "postcode")),
)


def rule_sql(rule: BlockingRule) -> list[str]:
    """The rule as Splink SQL conditions on ``l`` and ``r``; a swappable rule gives two, since
    a join on an OR of equalities cannot use a hash join."""
    conditions = [" AND ".join(f"l.{column} = r.{column}" for column in rule.columns)]
    if rule.swappable:
        first, second, *rest = rule.columns
        conditions.append(
            " AND ".join(
                [f"l.{first} = r.{second}", f"l.{second} = r.{first}"]
                + [f"l.{column} = r.{column}" for column in rest]
            )
        )
    return conditions


def splink_blocking_rules(
    rules: tuple[BlockingRule, ...] = BLOCKING_RULES,
) -> list[BlockingRuleCreator | dict[str, Any]]:
    from splink.blocking_rule_library import CustomRule

    return [CustomRule(sql) for rule in rules for sql in rule_sql(rule)]


def match_keys(record: NormalisedRecord) -> list[str]:
    """The record's blocking keys (``rule:value|value``); records sharing a key are candidates.

    A rule with a missing column gives no key, as a SQL equality on NULL pairs nothing.
    """
    row = record.as_row()
    keys = []
    for rule in BLOCKING_RULES:
        values = [row[column] for column in rule.columns]
        if any(value is None for value in values):
            continue
        texts = [value for value in values if value is not None]
        if rule.swappable:
            texts[:2] = sorted(texts[:2])
        keys.append(f"{rule.name}:{'|'.join(texts)}")
    return keys

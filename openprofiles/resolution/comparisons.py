"""The comparisons every engine scores pairs with, defined once.

Each comparison is an ordered list of levels; a pair falls in the first level whose conditions
all hold. The same definition becomes Splink comparison levels (``splink_comparison``) and the
real-time matcher's Python conditions (realtime.py), so both put a pair in the same level and
give it the same match weight.

Phone, street address, postcode and city form one ``contact`` comparison rather than four:
members of one household share all of them, and four independent comparisons would count that
one fact four times and outvote a different first name and birth date.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    from splink.internals.comparison_creator import ComparisonCreator
    from splink.internals.comparison_level_creator import ComparisonLevelCreator

ConditionKind = Literal["null", "exact", "reversed", "jaro_winkler", "levenshtein"]


@dataclass(frozen=True)
class Condition:
    """``jaro_winkler``: similarity >= threshold; ``levenshtein``: edit distance <= threshold;
    ``reversed``: ``column`` equals the other record's ``other`` both ways round (swapped first
    and last names); ``null``: either record lacks ``column``."""

    kind: ConditionKind
    column: str
    threshold: float = 0.0
    other: str | None = None

    @property
    def label(self) -> str:
        if self.kind in ("jaro_winkler", "levenshtein"):
            return f"{self.column} {self.kind} {self.threshold:g}"
        if self.kind == "reversed":
            return f"{self.column} reversed with {self.other}"
        return f"{self.column} {self.kind}"


@dataclass(frozen=True)
class LevelSpec:
    """All ``conditions`` hold (none: the else level); a null level carries no evidence."""

    conditions: tuple[Condition, ...]
    is_null: bool = False

    @property
    def label(self) -> str:
        return " and ".join(condition.label for condition in self.conditions) or "else"


@dataclass(frozen=True)
class ComparisonSpec:
    name: str
    levels: tuple[LevelSpec, ...]

    @property
    def title(self) -> str:
        """The comparison as a reviewer reads it: "first name", "contact"."""
        return self.name.replace("_", " ")

    def describe(self, level: LevelSpec) -> str:
        """What holds for a pair in ``level``, for a reviewer: "exact match", "Jaro-Winkler
        >= 0.88", "phone exact match and address Jaro-Winkler >= 0.9", "no data"."""
        if level.is_null:
            return "no data"
        if not level.conditions:
            return "different"
        columns = {condition.column for condition in level.conditions}
        if columns == {"name_low", "name_high"}:
            # both records' names sorted: alike however each record orders them
            return "swapped names, " + _similarity(level.conditions[0])
        return " and ".join(
            _similarity(condition)
            if condition.column == self.name
            else f"{condition.column.replace('_', ' ')} {_similarity(condition)}"
            for condition in level.conditions
        )


def _similarity(condition: Condition) -> str:
    if condition.kind == "exact":
        return "exact match"
    if condition.kind == "reversed":
        assert condition.other is not None
        return f"swapped with {condition.other.replace('_', ' ')}"
    if condition.kind == "jaro_winkler":
        return f"Jaro-Winkler \u2265 {condition.threshold:g}"
    if condition.kind == "levenshtein":
        edits = int(condition.threshold)
        return f"within {edits} edit{'' if edits == 1 else 's'}"
    return "missing"


def _level(*conditions: Condition) -> LevelSpec:
    return LevelSpec(conditions)


def _null(*columns: str) -> LevelSpec:
    return LevelSpec(tuple(Condition("null", column) for column in columns), is_null=True)


ELSE: Final = LevelSpec(())

# No edit-distance level on email: namesakes' addresses often differ by one digit
# (maria.garcia7@ and maria.garcia17@), so one edit is weaker evidence than it looks.


def _name(column: str, other: str) -> ComparisonSpec:
    return ComparisonSpec(
        column,
        (
            _null(column),
            _level(Condition("exact", column)),
            _level(Condition("reversed", column, other=other)),
            _level(Condition("jaro_winkler", column, 0.92)),
            # swapped and mistyped: alike once both records' names are in alphabetical order
            _level(
                Condition("jaro_winkler", "name_low", 0.92),
                Condition("jaro_winkler", "name_high", 0.92),
            ),
            _level(Condition("jaro_winkler", column, 0.80)),
            ELSE,
        ),
    )


COMPARISONS: Final = (
    _name("first_name", "last_name"),
    _name("last_name", "first_name"),
    ComparisonSpec(
        "email",
        (
            _null("email"),
            _level(Condition("exact", "email")),
            _level(Condition("jaro_winkler", "email", 0.88)),
            ELSE,
        ),
    ),
    ComparisonSpec(
        "birth_date",
        (
            _null("birth_date"),
            _level(Condition("exact", "birth_date")),
            _level(Condition("levenshtein", "birth_date", 1)),
            _level(Condition("levenshtein", "birth_date", 2)),
            ELSE,
        ),
    ),
    ComparisonSpec(
        "contact",
        (
            _null("phone", "address", "postcode"),
            _level(Condition("exact", "phone"), Condition("jaro_winkler", "address", 0.90)),
            _level(Condition("exact", "phone")),
            _level(
                Condition("jaro_winkler", "address", 0.90),
                Condition("exact", "postcode"),
                Condition("jaro_winkler", "city", 0.90),
            ),
            _level(Condition("jaro_winkler", "address", 0.90), Condition("exact", "postcode")),
            _level(
                Condition("jaro_winkler", "address", 0.90), Condition("jaro_winkler", "city", 0.90)
            ),
            _level(Condition("jaro_winkler", "address", 0.90)),
            _level(Condition("exact", "postcode"), Condition("jaro_winkler", "city", 0.90)),
            _level(Condition("exact", "postcode")),
            _level(Condition("levenshtein", "phone", 1)),
            _level(
                Condition("jaro_winkler", "address", 0.75), Condition("jaro_winkler", "city", 0.90)
            ),
            _level(Condition("jaro_winkler", "city", 0.90)),
            ELSE,
        ),
    ),
    ComparisonSpec(
        "account_number",
        (
            _null("account_number"),
            _level(Condition("exact", "account_number")),
            _level(Condition("levenshtein", "account_number", 1)),
            _level(Condition("levenshtein", "account_number", 2)),
            ELSE,
        ),
    ),
)


def _splink_condition(condition: Condition) -> ComparisonLevelCreator:
    import splink.comparison_level_library as cl

    if condition.kind == "null":
        return cl.NullLevel(condition.column)
    if condition.kind == "exact":
        return cl.ExactMatchLevel(condition.column)
    if condition.kind == "reversed":
        assert condition.other is not None
        return cl.ColumnsReversedLevel(condition.column, condition.other, symmetrical=True)
    if condition.kind == "jaro_winkler":
        return cl.JaroWinklerLevel(condition.column, condition.threshold)
    return cl.LevenshteinLevel(condition.column, int(condition.threshold))


def splink_comparison(
    spec: ComparisonSpec, m_u: list[tuple[float, float] | None] | None = None
) -> ComparisonCreator:
    """The Splink comparison for ``spec``; ``m_u`` gives each level's (m, u), None for null."""
    import splink.comparison_level_library as cl
    import splink.comparison_library as cll

    levels: list[ComparisonLevelCreator | dict[str, Any]] = []
    for index, level in enumerate(spec.levels):
        parts = [_splink_condition(condition) for condition in level.conditions]
        creator = cl.ElseLevel() if not parts else parts[0] if len(parts) == 1 else cl.And(*parts)
        creator.configure(label_for_charts=level.label, is_null_level=level.is_null)
        weights = m_u[index] if m_u is not None else None
        if weights is not None:
            creator.configure(m_probability=weights[0], u_probability=weights[1])
        levels.append(creator)
    return cll.CustomComparison(comparison_levels=levels, output_column_name=spec.name)

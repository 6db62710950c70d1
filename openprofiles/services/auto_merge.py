"""Auto-merge decisions, pure: which profiles of a match group merge, which one is the main
profile, and which profile each field's value comes from.

A group merges where it meets the domain's Consolidation rules: two profiles belong together
when, for at least one rule, every attribute of the rule has a value in both and the values are
equal after normalisation (AND within a rule, OR across rules). The profiles linked that way,
directly or through each other, form one merge; a group below MinAllowedConfidenceScoreForMerging
merges not at all. ConflictResolution orders the profiles of a merge: RECENCY puts the most
recently updated first; SOURCE puts those holding objects of the SourceName object type first
(most recent first among them), then the others by recency, so that two profiles of one source
fall back to RECENCY as AWS documents. The first profile is the main one, and each field comes
from the first profile in that order that has it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openprofiles.ingest.normalise import normalise_email, normalise_phone
from openprofiles.services.matching import SOURCE, AutoMergeRules

ADDRESS_FIELDS = ("Address", "ShippingAddress", "MailingAddress", "BillingAddress")
# The members of MergeProfiles' FieldSourceProfileIds other than Attributes (a map).
FIELD_SOURCE_MEMBERS = (
    "AccountNumber", "AdditionalInformation", "PartyType", "BusinessName", "FirstName",
    "MiddleName", "LastName", "BirthDate", "Gender", "PhoneNumber", "MobilePhoneNumber",
    "HomePhoneNumber", "BusinessPhoneNumber", "EmailAddress", "PersonalEmailAddress",
    "BusinessEmailAddress", *ADDRESS_FIELDS, "ProfileType", "EngagementPreferences",
)  # fmt: skip

_PUNCTUATION = re.compile(r"[^\w\s]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Candidate:
    """A profile of a match group as the decisions see it."""

    profile_id: str
    document: Mapping[str, Any]
    updated_at: datetime
    sources: frozenset[str] = frozenset()  # object types of the objects it holds


@dataclass(frozen=True)
class MergePlan:
    main_profile_id: str
    profile_ids: tuple[str, ...]  # merged into the main profile
    field_sources: dict[str, Any]  # FieldSourceProfileIds' shape

    @property
    def size(self) -> int:
        return 1 + len(self.profile_ids)


def _text(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", plain)).strip()


def normalised(name: str, value: Any) -> str | None:
    """The value a rule compares for attribute ``name``; None when it has none."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        parts = [normalised(k, v) for k, v in sorted(value.items())]
        text = "|".join(p for p in parts if p)
        return text or None
    text = str(value).strip()
    if not text:
        return None
    leaf = name.rsplit(".", 1)[-1]
    if leaf.endswith("EmailAddress"):
        return normalise_email(text)
    if leaf.endswith("PhoneNumber"):
        return normalise_phone(text)
    if leaf == "BirthDate":
        return re.sub(r"[^0-9]", "", text) or None
    return _text(text) or None


def attribute(document: Mapping[str, Any], name: str) -> str | None:
    """The normalised value of ``name`` (``Address.City``, ``Attributes.tier`` or a field)."""
    head, _, member = name.partition(".")
    value = document.get(head)
    if member:
        value = value.get(member) if isinstance(value, Mapping) else None
    return normalised(name, value)


def meets_rule(a: Candidate, b: Candidate, rule: Sequence[str]) -> bool:
    for name in rule:
        left = attribute(a.document, name)
        if left is None or left != attribute(b.document, name):
            return False
    return bool(rule)


def belong_together(a: Candidate, b: Candidate, rules: AutoMergeRules) -> bool:
    return any(meets_rule(a, b, rule) for rule in rules.rules)


def merge_sets(candidates: Sequence[Candidate], rules: AutoMergeRules) -> list[list[Candidate]]:
    """The sets of two or more profiles linked by the rules, in the group's order."""
    parent = list(range(len(candidates)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(candidates)):
        for j in range(i + 1, len(candidates)):
            if root(i) != root(j) and belong_together(candidates[i], candidates[j], rules):
                parent[root(j)] = root(i)
    sets: dict[int, list[Candidate]] = {}
    for i, candidate in enumerate(candidates):
        sets.setdefault(root(i), []).append(candidate)
    return [members for members in sets.values() if len(members) > 1]


def precedence(members: Sequence[Candidate], rules: AutoMergeRules) -> list[Candidate]:
    """``members`` in the order ConflictResolution gives them: the first is the main profile."""

    def key(c: Candidate) -> tuple[bool, float, str]:
        from_source = (
            rules.conflict_model == SOURCE
            and rules.source_name is not None
            and rules.source_name in c.sources
        )
        return (not from_source, -c.updated_at.timestamp(), c.profile_id)

    return sorted(members, key=key)


def field_sources(ordered: Sequence[Candidate]) -> dict[str, Any]:
    """FieldSourceProfileIds for a merge into ``ordered[0]``: each field the main profile lacks,
    from the first other profile that has it."""
    main, others = ordered[0], ordered[1:]
    chosen: dict[str, Any] = {}
    for member in FIELD_SOURCE_MEMBERS:
        if _has(main.document.get(member)):
            continue
        for other in others:
            if _has(other.document.get(member)):
                chosen[member] = other.profile_id
                break
    attributes: dict[str, str] = {}
    main_attributes = main.document.get("Attributes") or {}
    for other in others:
        for name, value in (other.document.get("Attributes") or {}).items():
            if name not in attributes and not _has(main_attributes.get(name)) and _has(value):
                attributes[name] = other.profile_id
    if attributes:
        chosen["Attributes"] = attributes
    return chosen


def _has(value: Any) -> bool:
    return value not in (None, "", {}, [])


def plan_merges(
    candidates: Sequence[Candidate], confidence: float, rules: AutoMergeRules
) -> list[MergePlan]:
    """The merges a match group of ``candidates`` (with its ``confidence``) gets."""
    if rules.min_confidence is not None and confidence < rules.min_confidence:
        return []
    plans = []
    for members in merge_sets(candidates, rules):
        ordered = precedence(members, rules)
        plans.append(
            MergePlan(
                main_profile_id=ordered[0].profile_id,
                profile_ids=tuple(c.profile_id for c in ordered[1:]),
                field_sources=field_sources(ordered),
            )
        )
    return plans

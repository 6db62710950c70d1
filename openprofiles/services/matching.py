"""A domain's ``Matching`` configuration: the rules its model cannot state, and its reading.

The model checks each member alone (enums, the ``Time`` pattern, ranges); what depends on two
members, or on what a profile is, is checked here, before anything is stored. Every message
names the member (its dotted path in the request) and the rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

from openprofiles.errors import invalid

DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
# AWS: "If you do not specify a date and time for Identity Resolution Job to run, by default it
# runs every Saturday at 12AM UTC".
DEFAULT_DAY = "SATURDAY"
DEFAULT_TIME = "0:00"
RECENCY = "RECENCY"
SOURCE = "SOURCE"


@cache
def _profile_shape() -> Any:
    import botocore.session

    model = botocore.session.get_session().get_service_model("customer-profiles")
    return model.shape_for("Profile")


@cache
def profile_attribute_names() -> frozenset[str]:
    """The names a Consolidation rule may compare: the Profile shape's fields (an address as a
    whole or ``Address.City`` member by member); ``Attributes.<name>`` is accepted besides."""
    shape = _profile_shape()
    names: set[str] = set()
    for name, member in shape.members.items():
        if name in ("ProfileId", "FoundByItems", "Attributes", "EngagementPreferences"):
            continue
        if member.type_name == "string":
            names.add(name)
        elif member.type_name == "structure" and name.endswith("Address"):
            names.add(name)
            names.update(f"{name}.{inner}" for inner in member.members)
    return frozenset(names)


def is_profile_attribute(name: str) -> bool:
    if name.startswith("Attributes.") and len(name) > len("Attributes."):
        return True
    return name in profile_attribute_names()


def consolidation_errors(consolidation: Any, path: str) -> list[str]:
    errors: list[str] = []
    rules = (consolidation or {}).get("MatchingAttributesList") or []
    for i, rule in enumerate(rules, 1):
        for j, name in enumerate(rule, 1):
            if isinstance(name, str) and not is_profile_attribute(name):
                errors.append(
                    f"{path}.MatchingAttributesList.{i}.{j}: {name!r} is not a profile field; "
                    "use a field of the Profile shape (FirstName, LastName, EmailAddress, "
                    "PhoneNumber, BirthDate, BusinessName, Address or a member such as "
                    "Address.PostalCode, ...) or Attributes.<name>"
                )
    return errors


def conflict_resolution_errors(resolution: Any, path: str) -> list[str]:
    if not resolution:
        return []
    model = resolution.get("ConflictResolvingModel")
    if model == SOURCE and not resolution.get("SourceName"):
        return [
            f"{path}.SourceName: must be given when ConflictResolvingModel is SOURCE (the "
            "object type whose profiles win conflicts)"
        ]
    return []


def confidence_errors(value: Any, path: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, int | float) or not math.isfinite(value) or not 0 <= value <= 1:
        return [f"{path}: must be a number between 0 and 1"]
    return []


def matching_errors(matching: Any) -> list[str]:
    """What is wrong with a CreateDomain / UpdateDomain ``Matching`` beyond its model."""
    if not isinstance(matching, dict):
        return []
    errors: list[str] = []
    auto = matching.get("AutoMerging")
    if isinstance(auto, dict):
        path = "Matching.AutoMerging"
        if auto.get("Enabled") and not auto.get("Consolidation"):
            errors.append(
                f"{path}.Consolidation: must be given when AutoMerging is enabled (the "
                "attributes two profiles must share to be merged)"
            )
        errors += consolidation_errors(auto.get("Consolidation"), f"{path}.Consolidation")
        errors += conflict_resolution_errors(
            auto.get("ConflictResolution"), f"{path}.ConflictResolution"
        )
        errors += confidence_errors(
            auto.get("MinAllowedConfidenceScoreForMerging"),
            f"{path}.MinAllowedConfidenceScoreForMerging",
        )
    exporting = matching.get("ExportingConfig")
    if isinstance(exporting, dict):
        s3 = exporting.get("S3Exporting")
        if isinstance(s3, dict) and ".." in str(s3.get("S3BucketName", "")):
            errors.append(
                "Matching.ExportingConfig.S3Exporting.S3BucketName: must not contain two "
                "adjacent periods"
            )
    return errors


def check_matching(matching: Any) -> None:
    """Raise a 400 naming every broken rule of ``matching``; nothing is stored then."""
    errors = matching_errors(matching)
    if errors:
        raise invalid("; ".join(errors))


@dataclass(frozen=True)
class Schedule:
    """When a domain's weekly job runs: ``weekday`` 0 (Monday) .. 6, at ``hour``:``minute`` UTC."""

    weekday: int
    hour: int
    minute: int


def schedule_of(matching: dict[str, Any]) -> Schedule:
    job_schedule = matching.get("JobSchedule") or {}
    day = job_schedule.get("DayOfTheWeek") or DEFAULT_DAY
    hour, minute = (job_schedule.get("Time") or DEFAULT_TIME).split(":")
    return Schedule(DAYS.index(day), int(hour), int(minute))


@dataclass(frozen=True)
class AutoMergeRules:
    """What decides a merge: rules of attributes (AND within a rule, OR across rules), the
    minimum confidence of the group, and how conflicting values are chosen."""

    rules: tuple[tuple[str, ...], ...]
    min_confidence: float | None = None
    conflict_model: str = RECENCY
    source_name: str | None = None


def auto_merge_rules(
    consolidation: dict[str, Any] | None,
    conflict_resolution: dict[str, Any] | None,
    min_confidence: float | None,
) -> AutoMergeRules:
    rules = tuple(tuple(rule) for rule in (consolidation or {}).get("MatchingAttributesList", []))
    resolution = conflict_resolution or {}
    return AutoMergeRules(
        rules=rules,
        min_confidence=min_confidence,
        conflict_model=resolution.get("ConflictResolvingModel") or RECENCY,
        source_name=resolution.get("SourceName"),
    )


def domain_auto_merge(matching: dict[str, Any]) -> AutoMergeRules | None:
    """The domain's auto-merge rules, None when auto-merging is off."""
    auto = matching.get("AutoMerging") or {}
    if not auto.get("Enabled"):
        return None
    return auto_merge_rules(
        auto.get("Consolidation"),
        auto.get("ConflictResolution"),
        auto.get("MinAllowedConfidenceScoreForMerging"),
    )

"""Which value each field of a merged profile takes (MergeProfiles' rules), without storage.

A field is a member of the profile document (an address as a whole, as FieldSourceProfileIds
names it) or one attribute (``Attributes.tier``). For each field:

- named in FieldSourceProfileIds: the named profile's value, even when it has none (then the
  field is empty on the result): "the specified profileId is always taken, even if it is a NULL
  value";
- otherwise the main profile's value when it has one ("the main Profile value is always taken"),
  else the first value among the merged profiles in the order given (fields are "union"-ed).

FieldSourceProfileIds' ``PartyType`` and ``Gender`` decide ``PartyTypeString`` and
``GenderString`` too: they are two wire forms of one field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from openprofiles.errors import invalid

# FieldSourceProfileIds members that decide more than their own document member.
_DECIDES: Final[Mapping[str, tuple[str, ...]]] = {
    "PartyType": ("PartyType", "PartyTypeString"),
    "Gender": ("Gender", "GenderString"),
}
ATTRIBUTES: Final = "Attributes"

# How a field's value was chosen (shown by the merge explanation).
CHOSEN: Final = "FieldSourceProfileIds"  # named in the request
MAIN: Final = "MainProfile"  # the main profile had a value
FILLED: Final = "FilledFromMergedProfile"  # empty on main, the first merged profile's value

Document = dict[str, Any]


@dataclass(frozen=True, slots=True)
class FieldChoice:
    """``field`` of the result came from ``profile_id``'s value (absent there when
    ``empty``), by ``rule`` (:data:`CHOSEN`, :data:`MAIN` or :data:`FILLED`)."""

    field: str  # "FirstName", "Address", "Attributes.tier"
    profile_id: str
    rule: str
    empty: bool = False


def check_field_sources(
    main_id: str, merged_ids: Sequence[str], field_sources: Mapping[str, Any]
) -> None:
    """400 naming the member when FieldSourceProfileIds names a profile that is neither the
    main profile nor one of those merged."""
    allowed = {main_id, *merged_ids}
    for member, value in field_sources.items():
        named = value.items() if member == ATTRIBUTES else [(None, value)]
        for attribute, profile_id in named:
            if profile_id not in allowed:
                where = member if attribute is None else f"{member}.{attribute}"
                raise invalid(
                    f"FieldSourceProfileIds.{where}: profile {profile_id} is neither "
                    "MainProfileId nor one of ProfileIdsToBeMerged"
                )


def _chosen_members(field_sources: Mapping[str, Any]) -> dict[str, str]:
    """Document member -> the profile FieldSourceProfileIds takes it from."""
    chosen: dict[str, str] = {}
    for member, profile_id in field_sources.items():
        if member != ATTRIBUTES:
            for decided in _DECIDES.get(member, (member,)):
                chosen[decided] = profile_id
    return chosen


def merge_documents(
    main: tuple[str, Document],
    merged: Sequence[tuple[str, Document]],
    field_sources: Mapping[str, Any],
) -> tuple[Document, list[FieldChoice]]:
    """The merged profile's document and, for each field it has or was told to take, where
    its value came from. ``main`` and ``merged`` are (profile id, document); field sources
    are FieldSourceProfileIds as sent (checked by :func:`check_field_sources`)."""
    main_id = main[0]
    documents = dict([main, *merged])
    order = [main_id, *(pid for pid, _ in merged)]
    chosen = _chosen_members(field_sources)
    result: Document = {}
    choices: list[FieldChoice] = []

    members = list(dict.fromkeys(m for pid in order for m in documents[pid]))
    members += [m for m in chosen if m not in members]
    for member in members:
        if member == ATTRIBUTES:
            continue
        value, choice = _pick(member, {p: documents[p].get(member) for p in order}, chosen)
        if choice is not None:
            choices.append(choice)
        if value is not None:
            result[member] = value

    attributes: Document = {}
    chosen_attributes = dict(field_sources.get(ATTRIBUTES) or {})
    names = list(dict.fromkeys(n for p in order for n in documents[p].get(ATTRIBUTES) or {}))
    names += [n for n in chosen_attributes if n not in names]
    for name in names:
        values = {p: (documents[p].get(ATTRIBUTES) or {}).get(name) for p in order}
        value, choice = _pick(name, values, chosen_attributes)
        if choice is not None:
            choices.append(
                FieldChoice(f"{ATTRIBUTES}.{name}", choice.profile_id, choice.rule, choice.empty)
            )
        if value is not None:
            attributes[name] = value
    if attributes:
        result[ATTRIBUTES] = attributes
    return result, choices


def _pick(
    field: str, values: Mapping[str, Any], chosen: Mapping[str, str]
) -> tuple[Any, FieldChoice | None]:
    """(value, choice) of one field given each profile's value in order, main first; a
    value of None or "" (or an empty address) is no value."""
    if field in chosen:
        source = chosen[field]
        value = values.get(source)
        empty = _is_empty(value)
        return (None if empty else value), FieldChoice(field, source, CHOSEN, empty)
    for index, (profile_id, value) in enumerate(values.items()):
        if not _is_empty(value):
            return value, FieldChoice(field, profile_id, MAIN if index == 0 else FILLED)
    return None, None


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == {}

"""What an object would become if ingested by its type, without storing anything: the console's
mapping preview runs the ingestion engine's own preparation (parse, map, identify) on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openprofiles.context import Caller
from openprofiles.services.object_prepare import prepare
from openprofiles.services.object_types import ObjectTypeService


@dataclass(frozen=True)
class PreviewKey:
    name: str
    value: str
    identifiers: tuple[str, ...]  # StandardIdentifiers: PROFILE, UNIQUE, LOOKUP_ONLY, ...


@dataclass(frozen=True)
class MappingPreview:
    profile: dict[str, Any]  # the profile fields the object sets (wire-shaped)
    keys: list[PreviewKey]
    unique_key: str  # its ProfileObjectUniqueKey
    own_fields: dict[str, Any]  # values mapped to the object type's own fields
    standard_objects: dict[str, dict[str, Any]]  # _asset, _case, _order fields it carries
    inferred_profile: dict[str, str]  # what a new inferred profile would get


def preview_mapping(
    object_types: ObjectTypeService, caller: Caller, domain: str, object_type: str, text: str
) -> MappingPreview:
    """Map ``text`` (a JSON object) by ``object_type`` of ``domain``; raises the ServiceError
    PutProfileObject would raise for it (an invalid object, an unknown type)."""
    found, _tags = object_types.get(caller, domain, object_type)
    prepared = prepare(found.definition, text)
    mapped = prepared.mapped
    keys = [PreviewKey(k.name, k.value, tuple(sorted(k.standard_identifiers))) for k in mapped.keys]
    return MappingPreview(
        profile=mapped.profile,
        keys=keys,
        unique_key=prepared.unique_key,
        own_fields=mapped.own_fields,
        standard_objects=mapped.standard_objects,
        inferred_profile=mapped.inferred_profile,
    )

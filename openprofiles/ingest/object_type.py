"""Object type definitions: PutProfileObjectType's members, validated, as one frozen value.

``ObjectTypeDefinition.from_wire`` checks what the botocore model cannot express (the protocol
layer has already enforced types, lengths, patterns and enums) and raises
``openprofiles.errors.invalid`` / ``quota`` with the offending member named. Rules, from AWS's
object type mapping documentation: custom type names may not start with ``_`` (the standard
object type names may); TemplateId excludes Fields and Keys; every key field is a defined field;
Sources read ``_source``; Targets name real standard-object members; one UNIQUE key at most,
never combined with LOOKUP_ONLY or NEW_ONLY; SECONDARY goes with PROFILE; reserved keys
(``_profileId``, ``_assetId``, ``_caseId``, ``_orderId``) are LOOKUP_ONLY; a field targeting a
standard object needs a key carrying that object's identifier; at most ``keys_per_object_type``
key definitions and ``fields_per_object_type`` fields per type (quotas.json).

Not enforced here, because they need the domain: that an ``_``-prefixed key name is a domain key,
and that a key name reused across types keeps its content types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from openprofiles.errors import invalid, quota
from openprofiles.ingest.normalise import CONTENT_TYPES
from openprofiles.ingest.source import compile_source
from openprofiles.ingest.targets import (
    STANDARD_OBJECT_IDENTIFIERS,
    STANDARD_OBJECT_TYPES,
    Target,
    parse_target,
)
from openprofiles.ingest.timestamps import compile_timestamp_format
from openprofiles.quotas import quota as quota_limit

if TYPE_CHECKING:
    from openprofiles.ingest.catalogue import TemplateCatalogue

RESERVED_LOOKUP_ONLY_KEYS: Final = frozenset({"_profileId", "_assetId", "_caseId", "_orderId"})
_FORBIDDEN_NAMES: Final = frozenset({"Tags", "tags"})
# Members carried through to GetProfileObjectType unchanged.
_PASSTHROUGH: Final = ("Description", "ExpirationDays", "EncryptionKey", "MaxProfileObjectCount",
                       "SourcePriority")  # fmt: skip


@dataclass(frozen=True, slots=True)
class FieldDefinition:
    """One entry of ``Fields``; ``content_type`` is None when the request gave none (STRING)."""

    name: str
    source: str
    target: Target | None
    target_text: str | None
    content_type: str | None
    fans_out: bool = False  # the Source reads every element of a list ('[]')

    def to_wire(self) -> dict[str, str]:
        wire = {"Source": self.source}
        if self.target_text is not None:
            wire["Target"] = self.target_text
        if self.content_type is not None:
            wire["ContentType"] = self.content_type
        return wire


@dataclass(frozen=True, slots=True)
class KeyDefinition:
    """One definition in a key's list; a key name may have several."""

    name: str
    standard_identifiers: frozenset[str]
    identifier_order: tuple[str, ...]  # as given, so to_wire round-trips
    field_names: tuple[str, ...]

    def to_wire(self) -> dict[str, list[str]]:
        return {
            "StandardIdentifiers": list(self.identifier_order),
            "FieldNames": list(self.field_names),
        }


@dataclass(frozen=True)
class ObjectTypeDefinition:
    """A validated object type; build it with :meth:`from_wire`."""

    name: str
    fields: tuple[FieldDefinition, ...]
    keys: tuple[KeyDefinition, ...]
    allow_profile_creation: bool = False
    source_last_updated_timestamp_format: str | None = None
    template_id: str | None = None
    options: tuple[tuple[str, Any], ...] = ()  # Description, ExpirationDays, … as given
    # The compiled mapping plan (see mapping.py), built on first use and kept with the value.
    _plan: Any = field(default=None, init=False, repr=False, compare=False, hash=False)

    @property
    def unique_key(self) -> KeyDefinition | None:
        return next((k for k in self.keys if "UNIQUE" in k.standard_identifiers), None)

    def option(self, member: str) -> Any:
        """A pass-through member (``"Description"``, ``"ExpirationDays"``, …) or None."""
        return dict(self.options).get(member)

    @classmethod
    def from_wire(
        cls,
        name: str,
        params: Mapping[str, Any],
        template_catalogue: TemplateCatalogue | None = None,
    ) -> ObjectTypeDefinition:
        """Validate PutProfileObjectType's members (``params``) for the type ``name``."""
        if name.startswith("_") and name not in STANDARD_OBJECT_TYPES:
            raise invalid(
                f"ObjectTypeName: {name!r} may not start with '_', which is reserved for the "
                f"standard object types ({', '.join(sorted(STANDARD_OBJECT_TYPES))})"
            )
        options = tuple((m, params[m]) for m in _PASSTHROUGH if params.get(m) is not None)
        template_id = params.get("TemplateId")
        if template_id is not None:
            return cls._from_template(name, template_id, params, options, template_catalogue)
        fields_wire = params.get("Fields") or {}
        keys_wire = params.get("Keys") or {}
        timestamp_format = params.get("SourceLastUpdatedTimestampFormat")
        definition = cls(
            name=name,
            fields=_parse_fields(name, fields_wire),
            keys=_parse_keys(keys_wire),
            allow_profile_creation=bool(params.get("AllowProfileCreation", False)),
            source_last_updated_timestamp_format=timestamp_format,
            options=options,
        )
        _check_consistency(definition)
        return definition

    @classmethod
    def _from_template(
        cls,
        name: str,
        template_id: str,
        params: Mapping[str, Any],
        options: tuple[tuple[str, Any], ...],
        template_catalogue: TemplateCatalogue | None,
    ) -> ObjectTypeDefinition:
        given = [m for m in ("Fields", "Keys") if params.get(m)]
        if given:
            raise invalid(
                f"TemplateId: cannot be combined with {' or '.join(given)}; an object type "
                "created from a template takes its Fields and Keys from the template"
            )
        if template_catalogue is None:
            from openprofiles.ingest.catalogue import default_catalogue

            template_catalogue = default_catalogue()
        template = template_catalogue.get_template(template_id)
        if template is None:
            raise invalid(f"TemplateId: {template_id!r} is not a known template")
        for member in ("AllowProfileCreation", "SourceLastUpdatedTimestampFormat"):
            if params.get(member) is not None and params[member] != template.get(member):
                raise invalid(
                    f"{member}: cannot be set with TemplateId {template_id!r}; the template "
                    f"defines it as {template.get(member)!r}"
                )
        base = cls.from_wire(name, {k: v for k, v in template.items() if k != "TemplateId"})
        return cls(
            name=name,
            fields=base.fields,
            keys=base.keys,
            allow_profile_creation=base.allow_profile_creation,
            source_last_updated_timestamp_format=base.source_last_updated_timestamp_format,
            template_id=template_id,
            options=options,
        )

    def to_wire(self) -> dict[str, Any]:
        """The definition members of GetProfileObjectType / PutProfileObjectType's response
        (the service adds CreatedAt, LastUpdatedAt, Tags and MaxAvailableProfileObjectCount)."""
        wire: dict[str, Any] = {"ObjectTypeName": self.name}
        if self.template_id is not None:
            wire["TemplateId"] = self.template_id
        wire.update(self.options)
        wire["AllowProfileCreation"] = self.allow_profile_creation
        if self.source_last_updated_timestamp_format is not None:
            wire["SourceLastUpdatedTimestampFormat"] = self.source_last_updated_timestamp_format
        wire["Fields"] = {f.name: f.to_wire() for f in self.fields}
        keys: dict[str, list[dict[str, list[str]]]] = {}
        for key in self.keys:
            keys.setdefault(key.name, []).append(key.to_wire())
        wire["Keys"] = keys
        return wire


def _parse_fields(type_name: str, fields_wire: Mapping[str, Any]) -> tuple[FieldDefinition, ...]:
    limit = quota_limit("fields_per_object_type")
    if len(fields_wire) > limit:
        raise quota(
            f"Fields: {len(fields_wire)} fields exceed the quota of {limit} fields per object type"
        )
    parsed: list[FieldDefinition] = []
    for field_name, spec in fields_wire.items():
        member = f"Fields.{field_name}"
        if field_name in _FORBIDDEN_NAMES:
            raise invalid(f"{member}: 'Tags' and 'tags' cannot be used as field names")
        if not isinstance(spec, Mapping) or not spec.get("Source"):
            raise invalid(f"{member}.Source: every field needs a Source")
        source = spec["Source"]
        compiled = compile_source(source, f"{member}.Source")
        content_type = spec.get("ContentType")
        if content_type is not None and content_type not in CONTENT_TYPES:
            raise invalid(
                f"{member}.ContentType: {content_type!r} is not one of {', '.join(CONTENT_TYPES)}"
            )
        target_text = spec.get("Target")
        target = None
        if target_text is not None:
            target = parse_target(target_text, type_name, f"{member}.Target")
            if target.fans_out != compiled.fans_out:
                raise invalid(
                    f"{member}: a Source that fans out over a list ('[]') needs a Target with "
                    "'[]' and the other way round"
                )
        parsed.append(
            FieldDefinition(
                field_name, source, target, target_text, content_type, compiled.fans_out
            )
        )
    return tuple(parsed)


def _parse_keys(keys_wire: Mapping[str, Any]) -> tuple[KeyDefinition, ...]:
    count = sum(len(definitions or []) for definitions in keys_wire.values())
    limit = quota_limit("keys_per_object_type")
    if count > limit:
        raise quota(
            f"Keys: {count} key definitions exceed the quota of {limit} keys per object type"
        )
    parsed: list[KeyDefinition] = []
    for key_name, definitions in keys_wire.items():
        if key_name in _FORBIDDEN_NAMES:
            raise invalid(f"Keys.{key_name}: 'Tags' and 'tags' cannot be used as key names")
        for index, spec in enumerate(definitions or []):
            member = f"Keys.{key_name}[{index}]"
            identifiers = tuple(spec.get("StandardIdentifiers") or ())
            field_names = tuple(spec.get("FieldNames") or ())
            if not field_names:
                raise invalid(f"{member}.FieldNames: a key must name at least one field")
            parsed.append(KeyDefinition(key_name, frozenset(identifiers), identifiers, field_names))
    return tuple(parsed)


def _check_consistency(definition: ObjectTypeDefinition) -> None:
    fields = {f.name: f for f in definition.fields}
    uniques = [k for k in definition.keys if "UNIQUE" in k.standard_identifiers]
    if len(uniques) > 1:
        raise invalid(
            f"Keys: only one key may be UNIQUE, found {', '.join(k.name for k in uniques)}"
        )
    for key in definition.keys:
        member = f"Keys.{key.name}"
        ids = key.standard_identifiers
        for field_name in key.field_names:
            if field_name not in fields:
                raise invalid(f"{member}.FieldNames: {field_name!r} is not defined in Fields")
            if fields[field_name].fans_out:
                raise invalid(f"{member}.FieldNames: {field_name!r} fans out over a list")
        if "UNIQUE" in ids and ids & {"LOOKUP_ONLY", "NEW_ONLY"}:
            raise invalid(f"{member}.StandardIdentifiers: UNIQUE cannot be combined with "
                          f"{' or '.join(sorted(ids & {'LOOKUP_ONLY', 'NEW_ONLY'}))}")  # fmt: skip
        if "SECONDARY" in ids and "PROFILE" not in ids:
            raise invalid(f"{member}.StandardIdentifiers: SECONDARY must be used with PROFILE")
        if key.name in RESERVED_LOOKUP_ONLY_KEYS and "LOOKUP_ONLY" not in ids:
            raise invalid(f"{member}: the reserved key {key.name} must be declared LOOKUP_ONLY")
    carried = set().union(*(k.standard_identifiers for k in definition.keys))
    needs_format = False
    for f in definition.fields:
        if f.target is None:
            continue
        needs_format |= f.target.is_source_last_updated
        identifier = STANDARD_OBJECT_IDENTIFIERS.get(f.target.container)
        if identifier and identifier not in carried:
            raise invalid(
                f"Fields.{f.name}.Target: {f.target_text!r} targets the standard "
                f"{f.target.container[1:]} object, so a key must carry the {identifier} "
                "standard identifier"
            )
    timestamp_format = definition.source_last_updated_timestamp_format
    if timestamp_format is not None:
        compile_timestamp_format(timestamp_format, "SourceLastUpdatedTimestampFormat")
    elif needs_format:
        raise invalid(
            "SourceLastUpdatedTimestampFormat: required because a field targets "
            "_profile.SourceLastUpdatedTimestamp"
        )

"""The mapping engine: one source object through an object type → profile fields and keys.

``map_object`` is pure and fast: each definition is compiled once into a plan (a list of
readers, normalisers and writers) kept on the definition, so bulk import pays the parsing cost
once per type, not per object.

Semantics the service layer builds on:

* A Source path that is absent (or JSON null, or an empty string) gives no value: no error, no
  target written, no key part. A template whose every reference is absent gives no value.
* Values written to targets are normalised by the field's ContentType; key values additionally
  fold NAME to lower case (see ``normalise.normalise_key``).
* A key over several FieldNames joins the values of its present fields, in FieldNames order,
  with :data:`KEY_VALUE_SEPARATOR`. AWS does not document its separator; a single space matches
  how its own documentation builds multi-part keys (``{{_source.FirstName}} {{_source.LastName}}``).
* AWS rejects an object when every field of its UNIQUE key, or of all its PROFILE keys, is empty:
  ``map_object`` raises ``invalid`` then, naming the keys.
* Fields with ContentType EMAIL_ADDRESS / PHONE_NUMBER also fill ``inferred_profile`` (first
  value wins), which AWS writes to EmailAddress / PhoneNumber only when it creates an inferred
  profile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, NamedTuple

from openprofiles.errors import invalid
from openprofiles.ingest.normalise import normaliser_for
from openprofiles.ingest.object_type import ObjectTypeDefinition
from openprofiles.ingest.source import compile_source
from openprofiles.ingest.targets import Target
from openprofiles.ingest.timestamps import Parser, compile_timestamp_format
from openprofiles.jsontext import parse

MAX_OBJECT_CHARACTERS: Final = 256_000
KEY_VALUE_SEPARATOR: Final = " "
_MATCHING: Final = frozenset({"PROFILE", "LOOKUP_ONLY", "NEW_ONLY"})


class ExtractedKey(NamedTuple):
    """A key value of one object: ``(key_name, normalised value, standard_identifiers)``."""

    name: str
    value: str
    standard_identifiers: frozenset[str]


@dataclass(slots=True)
class MappedObject:
    """What one object contributes; see the module docstring for the rules."""

    profile: dict[str, Any]  # partial wire-shaped Profile: {"FirstName": …, "Address": {…}}
    standard_objects: dict[str, dict[str, Any]]  # {"_asset": {"SerialNumber": …}, …}
    own_fields: dict[str, Any]  # values targeted at "<ObjectTypeName>.<field>"
    keys: list[ExtractedKey]
    unique_key: str | None  # the ProfileObjectUniqueKey, when the type has a UNIQUE key
    source_last_updated: datetime | None
    inferred_profile: dict[str, str]  # EmailAddress / PhoneNumber for a new inferred profile
    values: dict[str, str]  # every field's normalised value, by field name

    @property
    def matching_keys(self) -> list[ExtractedKey]:
        """Keys for the primary matching pass: PROFILE, LOOKUP_ONLY, NEW_ONLY, not SECONDARY."""
        return [
            k
            for k in self.keys
            if k.standard_identifiers & _MATCHING and "SECONDARY" not in k.standard_identifiers
        ]

    @property
    def secondary_keys(self) -> list[ExtractedKey]:
        """Fallback matching keys, tried only when no primary key matched one profile."""
        return [k for k in self.keys if "SECONDARY" in k.standard_identifiers]

    def keys_with(self, identifier: str) -> list[ExtractedKey]:
        """Keys carrying ``identifier`` (``"ASSET"``, ``"ORDER"``, ``"CASE"``, …)."""
        return [k for k in self.keys if identifier in k.standard_identifiers]

    def stored_keys(self, profile_created: bool) -> list[ExtractedKey]:
        """Keys to persist on the profile: never LOOKUP_ONLY; NEW_ONLY only on a new profile."""
        return [
            k
            for k in self.keys
            if "LOOKUP_ONLY" not in k.standard_identifiers
            and (profile_created or "NEW_ONLY" not in k.standard_identifiers)
        ]


def check_object_length(text: str) -> None:
    """PutProfileObject's ``Object`` has at most 256,000 characters."""
    if len(text) > MAX_OBJECT_CHARACTERS:
        raise invalid(f"Object: {len(text)} characters exceed the limit of {MAX_OBJECT_CHARACTERS}")


def parse_object(text: str) -> dict[str, Any]:
    """PutProfileObject's ``Object``: a JSON object of at most 256,000 characters."""
    check_object_length(text)
    try:
        parsed = parse(text)
    except (ValueError, RecursionError) as error:
        raise invalid(f"Object: not valid JSON ({error})") from None
    if not isinstance(parsed, dict):
        raise invalid(f"Object: must be a JSON object, not a JSON {type(parsed).__name__}")
    return parsed


def map_object(definition: ObjectTypeDefinition, obj: dict[str, Any]) -> MappedObject:
    """Map one parsed source object through ``definition``."""
    plan: _Plan | None = definition._plan
    if plan is None:
        plan = _compile(definition)
        object.__setattr__(definition, "_plan", plan)
    return plan.run(obj)


# --- compilation -------------------------------------------------------------------------------

_Containers = tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, Any]]
_Writer = Callable[[_Containers, Any], None]


class _Step(NamedTuple):
    name: str
    read: Callable[[dict[str, Any]], str | list[str] | None]
    normalise: Callable[[str], str]
    write: _Writer | None
    inferred: str | None  # "EmailAddress" / "PhoneNumber" / None
    timestamp: bool


class _KeyPlan(NamedTuple):
    name: str
    field_names: tuple[str, ...]
    fold: tuple[bool, ...]  # lower-case this part (NAME)
    identifiers: frozenset[str]


def _writer(target: Target) -> _Writer:
    container, path = target.container, target.path
    if container == "_profile":
        index = 0
    elif container.startswith("_"):
        index = 1
    else:
        index = 2

    def root(containers: _Containers) -> dict[str, Any]:
        base = containers[index]
        if index == 1:
            return base.setdefault(container, {})
        return base

    if target.fans_out:
        split = next(i for i, segment in enumerate(path) if segment.endswith("[]"))
        head, list_name, tail = path[:split], path[split][:-2], path[split + 1 :]

        def write_many(containers: _Containers, values: list[str]) -> None:
            node = root(containers)
            for segment in head:
                node = node.setdefault(segment, {})
            items: list[Any] = node.setdefault(list_name, [])
            while len(items) < len(values):
                items.append({} if tail else None)
            for i, value in enumerate(values):
                if not value:
                    continue
                if not tail:
                    items[i] = value
                    continue
                item = items[i]
                for segment in tail[:-1]:
                    item = item.setdefault(segment, {})
                item[tail[-1]] = value

        return write_many
    if len(path) == 1:
        (leaf,) = path

        def write_leaf(containers: _Containers, value: str) -> None:
            root(containers)[leaf] = value

        return write_leaf
    parents, leaf = path[:-1], path[-1]

    def write_nested(containers: _Containers, value: str) -> None:
        node = root(containers)
        for segment in parents:
            node = node.setdefault(segment, {})
        node[leaf] = value

    return write_nested


def _compile(definition: ObjectTypeDefinition) -> _Plan:
    steps: list[_Step] = []
    content_types: dict[str, str | None] = {}
    for f in definition.fields:
        compiled = compile_source(f.source, f"Fields.{f.name}.Source")
        content_types[f.name] = f.content_type
        # X.SourceLastUpdatedTimestamp feeds newer-wins ordering; only standard objects other
        # than the profile store it as a member.
        timestamp = f.target is not None and f.target.path == ("SourceLastUpdatedTimestamp",)
        write = None
        if f.target is not None and not (timestamp and f.target.is_profile):
            write = _writer(f.target)
        inferred = {"EMAIL_ADDRESS": "EmailAddress", "PHONE_NUMBER": "PhoneNumber"}.get(
            f.content_type or ""
        )
        steps.append(
            _Step(
                f.name,
                compiled.read,
                normaliser_for(f.content_type),
                write,
                None if compiled.fans_out else inferred,
                timestamp,
            )
        )
    keys = tuple(
        _KeyPlan(
            k.name,
            k.field_names,
            tuple(content_types[n] == "NAME" for n in k.field_names),
            k.standard_identifiers,
        )
        for k in definition.keys
    )
    timestamp_format = definition.source_last_updated_timestamp_format
    parser = (
        compile_timestamp_format(timestamp_format, "SourceLastUpdatedTimestampFormat")
        if timestamp_format
        else None
    )
    return _Plan(tuple(steps), keys, parser)


class _Plan:
    __slots__ = ("_has_profile_keys", "_keys", "_parser", "_steps", "_unique_index")

    def __init__(
        self, steps: tuple[_Step, ...], keys: tuple[_KeyPlan, ...], parser: Parser | None
    ) -> None:
        self._steps = steps
        self._keys = keys
        self._parser = parser
        self._unique_index = next(
            (i for i, k in enumerate(keys) if "UNIQUE" in k.identifiers), None
        )
        self._has_profile_keys = any("PROFILE" in k.identifiers for k in keys)

    def run(self, obj: dict[str, Any]) -> MappedObject:
        profile: dict[str, Any] = {}
        standard: dict[str, dict[str, Any]] = {}
        own: dict[str, Any] = {}
        containers = (profile, standard, own)
        values: dict[str, str] = {}
        inferred: dict[str, str] = {}
        last_updated_text: str | None = None
        for step in self._steps:
            raw = step.read(obj)
            if raw is None:
                continue
            if isinstance(raw, list):
                normalised = [step.normalise(v) if v else "" for v in raw]
                if step.write is not None and any(normalised):
                    step.write(containers, normalised)
                continue
            value = step.normalise(raw)
            if not value:
                continue
            values[step.name] = value
            if step.write is not None:
                step.write(containers, value)
            if step.timestamp and last_updated_text is None:
                last_updated_text = value
            if step.inferred is not None and step.inferred not in inferred:
                inferred[step.inferred] = value
        keys: list[ExtractedKey] = []
        unique_value: str | None = None
        for index, key in enumerate(self._keys):
            key_value = _key_value(key, values)
            if key_value is None:
                continue
            keys.append(ExtractedKey(key.name, key_value, key.identifiers))
            if index == self._unique_index:
                unique_value = key_value
        self._check_required(keys, unique_value)
        last_updated = None
        if last_updated_text is not None and self._parser is not None:
            last_updated = self._parser(last_updated_text)
        return MappedObject(
            profile, standard, own, keys, unique_value, last_updated, inferred, values
        )

    def _check_required(self, keys: list[ExtractedKey], unique_value: str | None) -> None:
        if self._unique_index is not None and unique_value is None:
            key = self._keys[self._unique_index]
            raise invalid(
                f"Object: the UNIQUE key {key.name} is empty; its fields "
                f"({', '.join(key.field_names)}) have no value in the object"
            )
        if self._has_profile_keys and not any("PROFILE" in k.standard_identifiers for k in keys):
            names = sorted({k.name for k in self._keys if "PROFILE" in k.identifiers})
            raise invalid(
                f"Object: every PROFILE key ({', '.join(names)}) is empty; the object cannot be "
                "associated with a profile"
            )


def _key_value(key: _KeyPlan, values: dict[str, str]) -> str | None:
    if len(key.field_names) == 1:
        value = values.get(key.field_names[0])
        if value is None:
            return None
        return value.lower() if key.fold[0] else value
    parts = [
        (value.lower() if fold else value)
        for name, fold in zip(key.field_names, key.fold, strict=True)
        if (value := values.get(name)) is not None
    ]
    return KEY_VALUE_SEPARATOR.join(parts) if parts else None

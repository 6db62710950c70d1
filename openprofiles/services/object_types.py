"""Object types (PutProfileObjectType & co.) and the template catalogue, with AWS's rules.

The ingest package validates a definition on its own; the rules needing the domain live here:
at most 100 types per domain; an ``_``-prefixed key name must be one of the domain's predefined
keys (the standard profile keys, the reserved lookup keys and the keys of AWS's templates);
and a key name shared between types (key names are global to a domain) must be built from
fields of the same ContentTypes in every type, or values would not compare equal.
"""

from __future__ import annotations

import builtins
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from threading import Lock
from typing import Any, Final

from sqlalchemy import Connection

from openprofiles import arns
from openprofiles.clock import Clock
from openprofiles.context import Caller
from openprofiles.errors import ServiceError, invalid, not_found, quota
from openprofiles.ingest import (
    STANDARD_OBJECT_TYPES,
    ObjectTypeDefinition,
    detect_object_type,
    get_template,
    list_templates,
    normalise_key,
)
from openprofiles.ingest.mapping import map_object, parse_object
from openprofiles.ingest.object_type import RESERVED_LOOKUP_ONLY_KEYS
from openprofiles.jsontext import compact, sorted_object
from openprofiles.quotas import quota as quota_limit
from openprofiles.services.domains import require_domain
from openprofiles.services.field_sources import FieldSources, field_name
from openprofiles.services.standard_keys import STANDARD_KEY_NAMES, standard_keys
from openprofiles.services.tags import TagService
from openprofiles.storage.database import Database
from openprofiles.storage.paging import Pager, request_scope
from openprofiles.storage.repositories import object_types as repo
from openprofiles.storage.repositories import profile_keys as keys_repo
from openprofiles.storage.repositories import profile_objects as objects_repo
from openprofiles.storage.repositories.object_types import ObjectTypeRecord

# Keys ObjectFilter documents for the standard asset object, beyond the reserved ids.
_STANDARD_OBJECT_KEYS: Final = frozenset({"_assetName", "_serialNumber"})
# Members stored with the type: PutProfileObjectType's input without routing and Tags.
_STORED_MEMBERS: Final = (
    "Description", "TemplateId", "ExpirationDays", "EncryptionKey", "AllowProfileCreation",
    "SourceLastUpdatedTimestampFormat", "MaxProfileObjectCount", "SourcePriority", "Fields",
    "Keys",
)  # fmt: skip


@cache
def predefined_keys() -> frozenset[str]:
    """Key names starting with ``_`` that a domain knows without being told."""
    names = set(STANDARD_KEY_NAMES) | RESERVED_LOOKUP_ONLY_KEYS | _STANDARD_OBJECT_KEYS
    for summary in list_templates():
        template = get_template(summary["TemplateId"]) or {}
        names.update(template.get("Keys", {}))
    return frozenset(n for n in names if n.startswith("_"))


@dataclass(frozen=True)
class ObjectType:
    record: ObjectTypeRecord
    definition: ObjectTypeDefinition

    def to_wire(self, tags: dict[str, str]) -> dict[str, Any]:
        """PutProfileObjectType's / GetProfileObjectType's response."""
        wire = self.definition.to_wire()
        max_count = self.definition.option("MaxProfileObjectCount")
        if max_count is not None:
            wire["MaxAvailableProfileObjectCount"] = max_count
        wire["CreatedAt"] = self.record.created_at
        wire["LastUpdatedAt"] = self.record.updated_at
        if tags:
            wire["Tags"] = tags
        return wire


class DefinitionCache:
    """Built definitions by (name, stored text): building compiles the mapping plan, which bulk
    ingestion must not pay per batch. Keyed by the text, so a replaced type is rebuilt."""

    def __init__(self, size: int = 512) -> None:
        self._items: OrderedDict[tuple[str, str], ObjectTypeDefinition] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def get(self, record: ObjectTypeRecord) -> ObjectTypeDefinition:
        key = (record.name, record.definition_text)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        built = ObjectTypeDefinition.from_wire(record.name, record.definition)
        with self._lock:
            self._items[key] = built
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return built


class ObjectTypeService:
    def __init__(self, database: Database, clock: Clock, pager: Pager, tags: TagService) -> None:
        self.database = database
        self.clock = clock
        self.pager = pager
        self.tags = tags
        self.definitions = DefinitionCache()

    # --- used by ingestion and search ---------------------------------------------------------
    def load(self, conn: Connection, domain_id: int, name: str) -> ObjectType | None:
        record = repo.find(conn, domain_id, name)
        if record is None:
            return None
        return ObjectType(record, self.definitions.get(record))

    def require(self, conn: Connection, domain_id: int, domain: str, name: str) -> ObjectType:
        found = self.load(conn, domain_id, name)
        if found is None:
            raise not_found(f"Object type {name} does not exist in domain {domain}.")
        return found

    def key_content_types(self, conn: Connection, domain_id: int) -> dict[str, str | None]:
        """Key name → the ContentType of its (first) field, over every type of the domain."""
        found: dict[str, str | None] = {}
        for record in repo.all_types(conn, domain_id):
            definition = self.definitions.get(record)
            fields = {f.name: f.content_type for f in definition.fields}
            for key in definition.keys:
                if key.field_names and key.name not in found:
                    found[key.name] = fields.get(key.field_names[0])
        return found

    def search_values(
        self, conn: Connection, domain_id: int, key_name: str, values: Sequence[str]
    ) -> list[str]:
        """SearchProfiles' values for ``key_name``: as given plus, when an object type defines
        the key, normalised as ingestion indexes it (so ``(206) 555-0100`` finds
        ``+12065550100``). Values are kept as given too, since keys from CreateProfile's own
        fields and AddProfileKey are stored as given."""
        if key_name == "_profileId":  # ids are never normalised: spare the type lookup
            return list(values)
        content_type = self.key_content_types(conn, domain_id).get(key_name, "absent")
        if content_type == "absent" and key_name not in ("_phone", "_email"):
            return list(values)
        if content_type == "absent":
            content_type = "PHONE_NUMBER" if key_name == "_phone" else "EMAIL_ADDRESS"
        out = list(values)
        for value in values:
            normalised = normalise_key(content_type, value)
            if normalised and normalised not in out:
                out.append(normalised)
        return out

    # --- operations -----------------------------------------------------------------------------
    def put(
        self, caller: Caller, domain: str, name: str, params: dict[str, Any]
    ) -> tuple[ObjectType, dict[str, str]]:
        stored = {m: params[m] for m in _STORED_MEMBERS if params.get(m) is not None}
        definition = ObjectTypeDefinition.from_wire(name, stored)
        with self.database.write() as conn:
            record = require_domain(conn, caller, domain)
            others = [t for t in repo.all_types(conn, record.id) if t.name != name]
            limit = quota_limit("object_types_per_domain")
            if len(others) >= limit and repo.find(conn, record.id, name) is None:
                raise quota(
                    f"ObjectTypeName: domain {domain} already has {len(others)} object types, "
                    f"the quota of {limit} object types per domain"
                )
            self._check_keys(definition, [self.definitions.get(t) for t in others])
            saved = repo.save(conn, record.id, name, stored, self.clock.now())
            arn = arns.object_type_arn(caller, domain, name)
            tags = params.get("Tags")
            stored_tags = (
                self.tags.set_tags(conn, caller, arn, tags)
                if tags
                else self.tags.get_tags(conn, caller, arn)
            )
        return ObjectType(saved, self.definitions.get(saved)), stored_tags

    def get(self, caller: Caller, domain: str, name: str) -> tuple[ObjectType, dict[str, str]]:
        with self.database.read() as conn:
            record = require_domain(conn, caller, domain)
            found = self.require(conn, record.id, domain, name)
            tags = self.tags.get_tags(conn, caller, arns.object_type_arn(caller, domain, name))
        return found, tags

    def list(
        self, caller: Caller, domain: str, max_results: int | None, token: str | None
    ) -> tuple[list[tuple[ObjectType, dict[str, str]]], str | None]:
        limit = max_results or quota_limit("list_max_results_default")
        scope = request_scope("ListProfileObjectTypes", caller.account, caller.region, domain)
        with self.database.read() as conn:
            record = require_domain(conn, caller, domain)
            query = repo.list_query(record.id)
            rows, next_token = self.pager.page(
                conn, query, [query.selected_columns.name], scope=scope, token=token, limit=limit
            )
            items = []
            for row in rows:
                found = self.require(conn, record.id, domain, row.name)
                arn = arns.object_type_arn(caller, domain, row.name)
                items.append((found, self.tags.get_tags(conn, caller, arn)))
        return items, next_token

    def delete(self, caller: Caller, domain: str, name: str) -> None:
        """Delete the type, its objects and their keys (profile keys only its objects carried
        go too) and its tags, and scrub the profile fields its objects populated."""
        with self.database.write() as conn:
            record = require_domain(conn, caller, domain)
            found = self.load(conn, record.id, name)
            if found is None or not repo.remove(conn, record.id, name):
                raise not_found(f"Object type {name} does not exist in domain {domain}.")
            scrub_profiles(conn, record.id, found.definition, self.clock.now())
            objects_repo.delete_type_objects(conn, record.id, name)
            self.tags.drop_resource(conn, caller, arns.object_type_arn(caller, domain, name))

    def exists(self, conn: Connection, domain_id: int, name: str) -> bool:
        return repo.find(conn, domain_id, name) is not None

    # --- templates and detection ---------------------------------------------------------------
    def get_template(self, template_id: str) -> dict[str, Any]:
        template = get_template(template_id)
        if template is None:
            raise not_found(f"Template {template_id} does not exist.")
        return template

    def list_templates(
        self, max_results: int | None, token: str | None
    ) -> tuple[builtins.list[dict[str, str]], str | None]:
        limit = max_results or quota_limit("list_max_results_default")
        scope = request_scope("ListProfileObjectTypeTemplates")
        after = self.pager.decode(token, scope)
        items = list_templates()
        if after:
            items = [t for t in items if t["TemplateId"] > str(after[0])]
        if len(items) <= limit:
            return items, None
        page = items[:limit]
        return page, self.pager.encode(scope, [page[-1]["TemplateId"]])

    def detect(self, caller: Caller, domain: str, objects: builtins.list[str]) -> dict[str, Any]:
        with self.database.read() as conn:
            require_domain(conn, caller, domain)
        return detect_object_type(objects)

    # --- rules needing the domain --------------------------------------------------------------
    @staticmethod
    def _check_keys(
        definition: ObjectTypeDefinition, others: Sequence[ObjectTypeDefinition]
    ) -> None:
        known = predefined_keys() | {
            k.name for other in others for k in other.keys if k.name.startswith("_")
        }
        for key in definition.keys:
            if key.name.startswith("_") and key.name not in known:
                raise invalid(
                    f"Keys.{key.name}: key names starting with '_' are reserved for the "
                    f"domain's predefined keys ({', '.join(sorted(predefined_keys()))}); "
                    "choose a name without the leading '_'"
                )
        mine = _key_content_types(definition)
        for other in others:
            theirs = _key_content_types(other)
            for key_name, types in mine.items():
                if key_name in theirs and theirs[key_name] != types:
                    raise invalid(
                        f"Keys.{key_name}: the key is already defined by object type "
                        f"{other.name} over fields of ContentType "
                        f"{', '.join(theirs[key_name])}; key names are global to a domain and "
                        f"must keep their ContentTypes (this type uses {', '.join(types)})"
                    )


def _key_content_types(definition: ObjectTypeDefinition) -> dict[str, tuple[str, ...]]:
    fields = {f.name: f.content_type or "STRING" for f in definition.fields}
    return {
        key.name: tuple(fields.get(n, "STRING") for n in key.field_names) for key in definition.keys
    }


def is_standard_type(name: str) -> bool:
    return name in STANDARD_OBJECT_TYPES


# --- scrubbing -----------------------------------------------------------------------------------

_SCRUB_BATCH: Final = 500  # profiles scrubbed per round trip


def scrub_profiles(
    conn: Connection, domain_id: int, definition: ObjectTypeDefinition, now: datetime
) -> int:
    """Remove from each profile the fields that the objects of ``definition``'s type populated
    (DeleteProfileObjectType): a field whose value is still one this type's objects mapped
    there, set by a source of this type's priority. A value set since by UpdateProfile or
    another type differs, or has another source, and stays. The number of profiles changed."""
    changed = 0
    pending: dict[str, dict[tuple[str, str | None], set[str]]] = {}
    current_pid: str | None = None
    priority = definition.option("SourcePriority")
    for pid, document in objects_repo.type_objects_by_profile(conn, domain_id, definition.name):
        if pid != current_pid and len(pending) >= _SCRUB_BATCH:
            changed += _scrub(conn, domain_id, pending, priority, now)
            pending = {}
        current_pid = pid
        try:
            mapped = map_object(definition, parse_object(document))
        except ServiceError:
            continue  # stored before a rule it breaks: it populated nothing we can tell
        fields = pending.setdefault(pid, {})
        for member, value in [*mapped.profile.items(), *mapped.inferred_profile.items()]:
            if isinstance(value, dict):
                for inner, inner_value in value.items():
                    fields.setdefault((member, inner), set()).add(str(inner_value))
            else:
                fields.setdefault((member, None), set()).add(str(value))
    if pending:
        changed += _scrub(conn, domain_id, pending, priority, now)
    return changed


def _scrub(
    conn: Connection,
    domain_id: int,
    populated: dict[str, dict[tuple[str, str | None], set[str]]],
    priority: int | None,
    now: datetime,
) -> int:
    states = objects_repo.profile_states(conn, domain_id, populated, for_update=True)
    updates: list[objects_repo.ProfileUpdate] = []
    stale: list[keys_repo.KeyRow] = []
    added: list[keys_repo.KeyRow] = []
    for pid, state in states.items():
        document = state.document
        sources = FieldSources(state.field_sources, state.source_updated_at)
        before = sorted_object(document)
        keys_before = standard_keys(pid, document)
        for (member, inner), values in populated[pid].items():
            field = field_name(member, inner)
            container = document if inner is None else document.get(member)
            name = member if inner is None else inner
            if not (isinstance(container, dict) and name in container):
                continue
            if str(container[name]) in values and sources.may_come_from(field, priority):
                del container[name]
                sources.drop(field)
                if inner is not None and not container:
                    del document[member]
        if sorted_object(document) == before:
            continue
        text = compact(document)  # as every other writer of profiles: sizes must agree
        updates.append(
            objects_repo.ProfileUpdate(
                text,
                len(text.encode()),
                now,
                state.source_updated_at,
                state.added_keys,
                sources.encode(),
                domain_id,
                pid,
            )
        )
        gone, new = keys_repo.standard_key_changes(
            domain_id, pid, keys_before, standard_keys(pid, document)
        )
        stale += gone
        added += new
    objects_repo.update_profiles(conn, updates)
    keys_repo.delete_profile_keys(conn, stale)
    keys_repo.insert_profile_keys(conn, added)
    return len(updates)

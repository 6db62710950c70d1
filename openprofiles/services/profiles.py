"""Standard profiles: create, update (seed 001 semantics), delete, batch get, keys."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection

from openprofiles import ids
from openprofiles.clock import Clock
from openprofiles.context import Caller
from openprofiles.errors import not_found
from openprofiles.services.domains import require_domain
from openprofiles.services.field_sources import DIRECT, FieldSources, Source, field_name, source
from openprofiles.services.standard_keys import standard_keys
from openprofiles.storage.database import Database
from openprofiles.storage.repositories import profile_objects as object_repo
from openprofiles.storage.repositories import profiles as repo
from openprofiles.storage.repositories.domains import DomainRecord
from openprofiles.storage.repositories.profile_objects import ProfileState

# Told, once the write commits, which profiles of a domain with Matching enabled were created or
# changed: the real-time matcher (worker/realtime.py) scores them.
ProfilesChanged = Callable[[int, list[str]], None]


def announce_changes(
    database: Database, hook: ProfilesChanged | None, domain: DomainRecord, profile_ids: list[str]
) -> None:
    """Have ``hook`` told of ``profile_ids`` after the open write commits, for a domain with
    Matching enabled."""
    if hook is None or not profile_ids:
        return
    if not (domain.config.get("Matching") or {}).get("Enabled"):
        return
    domain_id = domain.id
    database.after_commit(lambda: hook(domain_id, profile_ids))


ADDRESS_MEMBERS = ("Address", "ShippingAddress", "MailingAddress", "BillingAddress")


def apply_update(document: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """UpdateProfile semantics: an absent member keeps its value, an empty string removes it;
    inside addresses and Attributes the same holds member by member."""
    result = dict(document)
    for member, value in changes.items():
        if member in ADDRESS_MEMBERS or member == "Attributes":
            merged = dict(result.get(member) or {})
            for name, inner in value.items():
                if inner == "" or inner is None:
                    merged.pop(name, None)
                else:
                    merged[name] = inner
            if merged:
                result[member] = merged
            else:
                result.pop(member, None)
        elif value == "" or value is None:
            result.pop(member, None)
        else:
            result[member] = value
    return result


def _record_update(sources: FieldSources, changes: dict[str, Any], given: Source) -> None:
    """The fields UpdateProfile sets (as :func:`apply_update` does) now come from ``given``;
    those it removes have no source any more."""
    for member, value in changes.items():
        nested = member in ADDRESS_MEMBERS or member == "Attributes"
        for inner, inner_value in value.items() if nested else [(None, value)]:
            field = field_name(member, inner)
            if inner_value == "" or inner_value is None:
                sources.drop(field)
            else:
                sources.set(field, given)


def with_id(profile_id: str, document: dict[str, Any]) -> dict[str, Any]:
    return {"ProfileId": profile_id, **document}


def _locked_state(conn: Connection, domain_id: int, domain: str, profile_id: str) -> ProfileState:
    """The profile's document and added keys, its row locked (PostgreSQL) until the write
    ends; ResourceNotFoundException when there is no such profile."""
    state = object_repo.profile_states(conn, domain_id, [profile_id], for_update=True).get(
        profile_id
    )
    if state is None:
        raise not_found(f"Profile {profile_id} does not exist in domain {domain}.")
    return state


class ProfileService:
    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock
        self.on_profiles_changed: ProfilesChanged | None = None

    def create(self, caller: Caller, domain: str, document: dict[str, Any]) -> str:
        profile_id = ids.new_profile_id()
        now = self.clock.now()
        with self.database.write() as conn:
            record = require_domain(conn, caller, domain)
            repo.insert_profile(
                conn,
                record.id,
                profile_id,
                document,
                standard_keys(profile_id, document),
                now,
                FieldSources.new(source(DIRECT, now)).encode(),
            )
            announce_changes(self.database, self.on_profiles_changed, record, [profile_id])
        return profile_id

    def update(self, caller: Caller, domain: str, profile_id: str, changes: dict[str, Any]) -> str:
        now = self.clock.now()
        with self.database.write() as conn:
            record = require_domain(conn, caller, domain)
            state = _locked_state(conn, record.id, domain, profile_id)
            current = state.document
            document = apply_update(current, changes)
            sources = FieldSources(state.field_sources, state.source_updated_at)
            _record_update(sources, changes, source(DIRECT, now))
            repo.replace_document(
                conn,
                record.id,
                profile_id,
                document,
                standard_keys(profile_id, current),
                standard_keys(profile_id, document),
                now,
                sources.encode(),
            )
            announce_changes(self.database, self.on_profiles_changed, record, [profile_id])
        return profile_id

    def delete(self, caller: Caller, domain: str, profile_id: str) -> None:
        with self.database.write() as conn:
            record = require_domain(conn, caller, domain)
            state = _locked_state(conn, record.id, domain, profile_id)
            repo.delete_profile(
                conn,
                record.id,
                profile_id,
                standard_keys(profile_id, state.document),
                state.added(),
            )
            object_repo.delete_profile_objects(conn, record.id, profile_id)

    def batch_get(
        self, caller: Caller, domain: str, profile_ids: Sequence[str]
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """(profiles found in request order, ids not found)."""
        with self.database.read() as conn:
            record = require_domain(conn, caller, domain)
            documents = repo.get_documents(conn, record.id, profile_ids)
        found = [
            with_id(pid, documents[pid]) for pid in dict.fromkeys(profile_ids) if pid in documents
        ]
        missing = [pid for pid in dict.fromkeys(profile_ids) if pid not in documents]
        return found, missing

    def add_key(
        self, caller: Caller, domain: str, profile_id: str, key_name: str, values: Sequence[str]
    ) -> None:
        with self.database.write() as conn:
            record = require_domain(conn, caller, domain)
            state = _locked_state(conn, record.id, domain, profile_id)
            pairs = [(key_name, v) for v in values]
            repo.add_keys(conn, record.id, profile_id, state.added(), pairs)

    def delete_key(
        self, caller: Caller, domain: str, profile_id: str, key_name: str, values: Sequence[str]
    ) -> None:
        with self.database.write() as conn:
            record = require_domain(conn, caller, domain)
            state = _locked_state(conn, record.id, domain, profile_id)
            if repo.remove_keys(conn, record.id, profile_id, state.added(), key_name, values) == 0:
                raise not_found(
                    f"Profile {profile_id} has no key {key_name} with the given values."
                )

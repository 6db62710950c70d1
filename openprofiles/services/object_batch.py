"""The ingestion engine's write side: one PutProfileObject batch in its write transaction.

A :class:`Batch` takes the objects ``services/object_prepare.py`` prepared, locks and looks up
the keys they carry, places each object on a profile, merges the profiles and writes
everything with executemany.

Placing an object, as AWS documents it ("Profile matching and inferred profiles"):

1. Each primary matching key (PROFILE, LOOKUP_ONLY, NEW_ONLY; not SECONDARY) in definition
   order is looked up among the domain's profile keys (any origin: standard, AddProfileKey,
   objects). A value owned by exactly one profile places the object there; a value owned by
   several is ambiguous and skipped; no owner, the next key is tried. Then the SECONDARY keys.
2. No match: a stored object with the same ProfileObjectUniqueKey stays on its profile (an
   update never spawns a profile). Otherwise a new inferred profile is created with the mapped
   fields (plus EmailAddress / PhoneNumber from EMAIL_ADDRESS / PHONE_NUMBER fields), unless the
   type's AllowProfileCreation is false (AWS's default): then nothing is stored, one dead
   letter is kept (and sent to the domain's DeadLetterQueueUrl) and the object is rejected
   with BadRequestException.
3. A match on another profile than the one a re-sent object was stored on moves the object
   there (its keys now say it belongs to that profile); profile keys on the old profile that
   no remaining object carries are dropped.
4. The mapped ``_profile`` fields merge into the profile, member by member inside addresses
   and Attributes: a field the profile lacks is filled; one it has is replaced when the
   object's source wins over the source that set the field (``services/field_sources.py``):
   its type's SourcePriority is higher (a lower number; none is the lowest), or the same and
   its SourceLastUpdatedTimestamp is not older. CreateProfile and UpdateProfile outrank every
   object type. The standard keys (``_email``, ``_phone``, …) follow the document.
5. The object is upserted on (type, ProfileObjectUniqueKey); its keys are kept with it (for
   ListProfileObjects' ObjectFilter) and its persisted keys (never LOOKUP_ONLY; NEW_ONLY only on
   the profile it created) become 'object' profile keys, so SearchProfiles finds them. Such a
   key row expires with the latest of the profile's objects carrying it (a batch's objects
   share one expiry); once it has, neither SearchProfiles nor step 1 sees it, before any
   purge.
6. Fields targeting a standard object (``_asset``, ``_case``, ``_order``) are stored as an
   object of that standard type, identified by the object's ASSET / CASE / ORDER keys, with a
   generated ``AssetId`` / ``CaseId`` / ``OrderId``; listing ``_asset`` objects shows them.

Concurrency: on SQLite writes are serialised by the database's write path. On PostgreSQL each
batch takes transaction advisory locks on hashes of every key value and unique key it touches,
sorted, before looking anything up, and locks the profile rows it merges into; two objects
sharing a key therefore never both miss and create two profiles. Every lock of a transaction
takes a slot of PostgreSQL's shared lock table (64 per allowed connection by default), so a
batch that would need more than MAX_KEY_LOCKS of them (a bulk import's thousands) takes one
exclusive lock on the domain's ingestion instead; every smaller batch takes that lock shared
first, so the two kinds exclude each other as they must.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Connection

from openprofiles import ids
from openprofiles.clock import Clock
from openprofiles.errors import ServiceError, invalid
from openprofiles.ingest import ExtractedKey, ObjectTypeDefinition
from openprofiles.jsontext import compact
from openprofiles.services.field_sources import LOWEST, FieldSources, source
from openprofiles.services.object_prepare import Prepared, merge_profile
from openprofiles.services.standard_keys import standard_keys
from openprofiles.storage.database import Database
from openprofiles.storage.repositories import dead_letters as dead_letter_repo
from openprofiles.storage.repositories import profile_keys as keys_repo
from openprofiles.storage.repositories import profile_objects as repo
from openprofiles.storage.repositories.domains import DomainRecord
from openprofiles.storage.repositories.profile_keys import OBJECT, STANDARD, AddedKey
from openprofiles.storage.repositories.profile_objects import ProfileState, StoredObject

# PostgreSQL: a batch needing more advisory locks than this locks its domain's ingestion whole.
# PostgreSQL's shared lock table holds 64 locks per allowed connection by default (6,400 with
# its default 100): 30 connections (the database pool's most) holding 200 each still fit, while
# a server's combined PutProfileObject batches keep their per-key locks and run side by side.
MAX_KEY_LOCKS: Final = 200


@dataclass(frozen=True, slots=True)
class PutResult:
    unique_key: str  # ProfileObjectUniqueKey
    profile_id: str
    profile_created: bool


@dataclass(slots=True)
class _Pending:
    """An object row to write, new or replacing a stored one (``stored``)."""

    object_type: str
    unique_key: str
    profile_id: str
    document: str
    source_updated_at: datetime | None
    keys: list[tuple[str, str]]
    stored: StoredObject | None
    merge_fields: dict[str, Any] | None = None  # standard objects merge into the stored document


@dataclass
class _Profiles:
    """Profile documents touched by a batch."""

    states: dict[str, ProfileState] = field(default_factory=dict)
    sources: dict[str, FieldSources] = field(default_factory=dict)
    created: set[str] = field(default_factory=set)
    changed: set[str] = field(default_factory=set)
    original_keys: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def _lock_hash(domain_id: int, *parts: str) -> int:
    digest = hashlib.blake2b("\x00".join((str(domain_id), *parts)).encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def hold_off_ingestion(conn: Connection, domain_id: int) -> None:
    """PostgreSQL: wait for the domain's ingesting transactions to end, and keep new ones
    waiting until this transaction ends. A merge moves keys that ingestion's look-ups read: an
    object matched to a profile being merged away would otherwise start that profile again.
    (SQLite's single writer already keeps them apart.)"""
    if conn.dialect.name == "postgresql":
        repo.advisory_lock(conn, [_lock_hash(domain_id, "domain")])


def _later(expires: int | None, than: int | None) -> bool:
    """Whether one expiry (Unix seconds; None: never) is later than another."""
    return than is not None and (expires is None or expires > than)


class Batch:
    """One put_many transaction: look up, place, then write everything with executemany."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        conn: Connection,
        domain: DomainRecord,
        definition: ObjectTypeDefinition,
        prepared: list[Prepared | ServiceError],
    ) -> None:
        self.database = database
        self.conn = conn
        self.domain = domain
        self.definition = definition
        self.prepared = prepared
        self.now = clock.now()
        days = definition.option("ExpirationDays") or domain.default_expiration_days
        # A whole second, so that the key rows' expiry (Unix seconds) is the objects' own.
        self.expires_at: datetime | None = None
        if days:
            expiry = (self.now + timedelta(days=int(days))).timestamp()
            self.expires_at = datetime.fromtimestamp(math.ceil(expiry), UTC)
        self.key_expires = keys_repo.expiry_seconds(self.expires_at)
        self.priority: int | None = definition.option("SourcePriority")
        self.dead_letters: list[dict[str, Any]] = []
        self.owners: dict[tuple[str, str], set[str]] = {}
        # Object-origin key rows this batch adds (rows already stored keep the later expiry).
        self.object_key_rows: set[tuple[str, str, str]] = set()
        self.new_profile_keys: list[keys_repo.KeyRow] = []
        self.pending: dict[tuple[str, str], _Pending] = {}
        self.stored: dict[tuple[str, str], StoredObject] = {}
        # Profiles whose 'object' key rows need their expiry worked out again from their
        # objects: those an object left, and those where one now expires earlier than before
        # (its type's ExpirationDays went down), which the key rows' "later expiry wins" misses.
        self.recompute: set[str] = set()

    def run(self) -> list[PutResult | ServiceError]:
        valid = [p for p in self.prepared if isinstance(p, Prepared)]
        if not valid:
            return [p for p in self.prepared if isinstance(p, ServiceError)]
        self._lock_and_look_up(valid)
        placements: list[tuple[Prepared, str, bool] | ServiceError] = []
        results: list[PutResult | ServiceError] = []
        for item in self.prepared:
            if isinstance(item, ServiceError):
                placements.append(item)
                continue
            placed = self._place(item)
            placements.append(placed if placed is not None else self._dead_letter(item))
        profiles = self._load_profiles(placements)
        for placement in placements:
            if isinstance(placement, ServiceError):
                results.append(placement)
                continue
            item, profile_id, created = placement
            mapped = item.mapped
            given = source(self.priority, mapped.source_last_updated)
            sources = profiles.sources.get(profile_id)
            if sources is None:  # a profile this object creates: every field is from it
                sources = profiles.sources[profile_id] = FieldSources.new(given)
            state = profiles.states[profile_id]
            if merge_profile(state, sources, mapped.profile, given, mapped.source_last_updated):
                profiles.changed.add(profile_id)
            self._queue_objects(item, profile_id)
            results.append(PutResult(item.unique_key, profile_id, created))
        self._write(profiles)
        return results

    # --- look-ups ----------------------------------------------------------------------------
    def _lock_and_look_up(self, valid: list[Prepared]) -> None:
        domain_id = self.domain.id
        pairs = {(k.name, k.value) for p in valid for k in p.mapped.keys}
        refs = [(self.definition.name, p.unique_key) for p in valid]
        refs += [(s.object_type, s.unique_key) for p in valid for s in p.standard]
        if self.database.dialect == "postgresql":
            whole_domain = [_lock_hash(domain_id, "domain")]
            if len(pairs) + len(set(refs)) > MAX_KEY_LOCKS:
                # Not hashed: a bulk batch's thousands of hashes cost more than its look-ups.
                repo.advisory_lock(self.conn, whole_domain)
            else:
                hashes = {_lock_hash(domain_id, "key", n, v) for n, v in pairs}
                hashes |= {_lock_hash(domain_id, "object", t, u) for t, u in refs}
                repo.advisory_lock(self.conn, whole_domain, shared=True)
                repo.advisory_lock(self.conn, list(hashes))  # it sorts them
        for name, value, one, another in repo.key_owners(self.conn, domain_id, pairs, self.now):
            # Two owners stand for "several": enough to tell an ambiguous key.
            self.owners[(name, value)] = {one, another}
        self.stored = repo.find_objects(self.conn, domain_id, refs)

    def _match(self, keys: list[ExtractedKey]) -> str | None:
        for key in keys:
            owners = self.owners.get((key.name, key.value))
            if owners and len(owners) == 1:
                return next(iter(owners))
        return None

    # --- placing -----------------------------------------------------------------------------
    def _place(self, item: Prepared) -> tuple[Prepared, str, bool] | None:
        ref = (self.definition.name, item.unique_key)
        before = self.pending.get(ref)
        previous = before.profile_id if before else None
        stored = self.stored.get(ref)
        if previous is None and stored is not None:
            previous = stored.profile_id
            if _later(stored.expires, self.key_expires):
                self.recompute.add(previous)
        mapped = item.mapped
        profile_id = self._match(mapped.matching_keys) or self._match(mapped.secondary_keys)
        created = False
        if profile_id is None:
            if previous is not None:
                profile_id = previous
            elif self.definition.allow_profile_creation:
                profile_id = ids.new_profile_id()
                created = True
            else:
                return None
        if previous is not None and previous != profile_id:
            self.recompute.add(previous)
        for key in mapped.stored_keys(created):
            row = (key.name, key.value, profile_id)
            if row not in self.object_key_rows:
                self.object_key_rows.add(row)
                self.new_profile_keys.append(
                    (self.domain.id, key.name, key.value, profile_id, OBJECT)
                )
                self.owners.setdefault((key.name, key.value), set()).add(profile_id)
        # Reserve the object now, so a later object of the batch with the same key sees it.
        self._pending_object(
            self.definition.name,
            item.unique_key,
            profile_id,
            item.text,
            mapped.source_last_updated,
            [(k.name, k.value) for k in mapped.keys],
        )
        return item, profile_id, created

    def _dead_letter(self, item: Prepared) -> ServiceError:
        reason = (
            f"No profile matched the object's keys and object type {self.definition.name} "
            "does not allow profile creation (AllowProfileCreation is false); the object was "
            "not stored and was kept as a dead letter."
        )
        self.dead_letters.append(
            {
                "domain_id": self.domain.id,
                "object_type": self.definition.name,
                "object": item.text,
                "reason": reason,
                "created_at": self.now,
            }
        )
        return invalid(reason)

    def _pending_object(
        self,
        object_type: str,
        unique_key: str,
        profile_id: str,
        document: str,
        source_updated_at: datetime | None,
        keys: list[tuple[str, str]],
        merge_fields: dict[str, Any] | None = None,
    ) -> None:
        ref = (object_type, unique_key)
        before = self.pending.get(ref)
        if before is not None and merge_fields is not None and before.merge_fields is not None:
            merge_fields = {**before.merge_fields, **merge_fields}
            keys = list(dict.fromkeys([*before.keys, *keys]))
        self.pending[ref] = _Pending(
            object_type,
            unique_key,
            profile_id,
            document,
            source_updated_at,
            keys,
            self.stored.get(ref),
            merge_fields,
        )

    def _queue_objects(self, item: Prepared, profile_id: str) -> None:
        for standard in item.standard:
            self._pending_object(
                standard.object_type,
                standard.unique_key,
                profile_id,
                "",
                item.mapped.source_last_updated,
                standard.keys,
                standard.fields,
            )

    # --- profiles ----------------------------------------------------------------------------
    def _load_profiles(
        self, placements: list[tuple[Prepared, str, bool] | ServiceError]
    ) -> _Profiles:
        profiles = _Profiles()
        existing: set[str] = set()
        for placement in placements:
            if isinstance(placement, ServiceError):
                continue
            item, profile_id, created = placement
            if created:
                profiles.created.add(profile_id)
                document = dict(item.mapped.inferred_profile)
                profiles.states[profile_id] = ProfileState(document, None)
            elif profile_id not in profiles.created:
                existing.add(profile_id)
        postgres = self.database.dialect == "postgresql"
        loaded = repo.profile_states(self.conn, self.domain.id, existing, for_update=postgres)
        for profile_id in existing:
            state = loaded.get(profile_id)
            if state is None:  # keys of a profile deleted meanwhile: start it again
                state = ProfileState({}, None)
                profiles.created.add(profile_id)
                profiles.sources[profile_id] = FieldSources.new(LOWEST)
            else:
                profiles.original_keys[profile_id] = standard_keys(profile_id, state.document)
                sources = FieldSources(state.field_sources, state.source_updated_at)
                profiles.sources[profile_id] = sources
            profiles.states[profile_id] = state
        return profiles

    # --- writing -----------------------------------------------------------------------------
    def _write(self, profiles: _Profiles) -> None:
        conn, domain_id, now = self.conn, self.domain.id, self.now
        new_rows: list[repo.ProfileRow] = []
        update_rows: list[repo.ProfileUpdate] = []
        stale_keys: list[keys_repo.KeyRow] = []
        # The object keys placing gave each profile (so far the only rows of new_profile_keys),
        # and the existing profiles whose added keys they extend.
        object_keys: dict[str, list[AddedKey]] = {}
        for _, name, value, profile_id, origin in self.new_profile_keys:
            object_keys.setdefault(profile_id, []).append((name, value, origin))
        extended: dict[str, list[AddedKey]] = {}
        for profile_id, given in object_keys.items():
            if profile_id not in profiles.created:
                have = profiles.states[profile_id].added()
                present = set(have)
                fresh = [k for k in given if k not in present]
                if fresh:
                    extended[profile_id] = have + fresh
        for profile_id in profiles.created | profiles.changed:
            state = profiles.states[profile_id]
            text = compact(state.document)
            size, updated = len(text.encode()), state.source_updated_at
            field_sources = profiles.sources[profile_id].encode()
            keys = standard_keys(profile_id, state.document)
            if profile_id in profiles.created:
                added_text = keys_repo.encode_added(object_keys.get(profile_id, ()))
                new_rows.append(
                    repo.ProfileRow(
                        domain_id,
                        profile_id,
                        text,
                        size,
                        now,
                        now,
                        updated,
                        added_text,
                        field_sources,
                    )
                )
                rows = [(domain_id, n, v, profile_id, STANDARD) for n, v in keys]
                self.new_profile_keys.extend(dict.fromkeys(rows))
            else:
                added_text = (
                    keys_repo.encode_added(extended.pop(profile_id))
                    if profile_id in extended
                    else state.added_keys
                )
                update_rows.append(
                    repo.ProfileUpdate(
                        text,
                        size,
                        now,
                        updated,
                        added_text,
                        field_sources,
                        domain_id,
                        profile_id,
                    )
                )
                stale, added = keys_repo.standard_key_changes(
                    domain_id, profile_id, profiles.original_keys.get(profile_id, ()), keys
                )
                stale_keys += stale
                self.new_profile_keys += added
        repo.insert_profiles(conn, new_rows)
        repo.update_profiles(conn, update_rows)
        keys_repo.set_added_keys(conn, domain_id, extended)  # documents unchanged
        keys_repo.delete_profile_keys(conn, stale_keys)
        database, expires = self.database, self.key_expires
        if database.commit_handed_on and not self.recompute:
            # A bulk load: the key rows go in on the commit's thread (nothing below reads
            # them; drop_unbacked_object_keys deletes some, so it needs them in first).
            inserter = keys_repo.profile_keys_inserter(conn, self.new_profile_keys, expires)
            database.before_commit(inserter)
        else:
            keys_repo.insert_profile_keys(conn, self.new_profile_keys, expires)
        self._write_objects()
        if self.recompute:
            repo.drop_unbacked_object_keys(conn, domain_id, self.recompute)
        dead_letter_repo.add(conn, self.dead_letters)

    def _write_objects(self) -> None:
        conn, domain_id, now = self.conn, self.domain.id, self.now
        merged = [p for p in self.pending.values() if p.merge_fields is not None]
        stored_docs = repo.object_documents(
            conn, [p.stored.id for p in merged if p.stored is not None]
        )
        for p in merged:
            fields = dict(p.merge_fields or {})
            if p.stored is not None and p.stored.id in stored_docs:
                fields = {**json.loads(stored_docs[p.stored.id]), **fields}
            p.document = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
        inserts = [p for p in self.pending.values() if p.stored is None]
        updates = [p for p in self.pending.values() if p.stored is not None]
        repo.insert_objects(
            conn,
            [
                repo.ObjectRow(
                    domain_id,
                    p.object_type,
                    p.unique_key,
                    p.profile_id,
                    p.document,
                    len(p.document.encode()),
                    p.source_updated_at,
                    now,
                    now,
                    self.expires_at,
                    repo.encode_keys(p.keys),
                )
                for p in inserts
            ],
        )
        repo.update_objects(
            conn,
            [
                repo.ObjectUpdate(
                    p.profile_id,
                    p.document,
                    len(p.document.encode()),
                    p.source_updated_at,
                    now,
                    self.expires_at,
                    repo.encode_keys(p.keys),
                    p.stored.id,
                )
                for p in updates
                if p.stored is not None
            ],
        )

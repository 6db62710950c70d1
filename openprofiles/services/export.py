"""A domain's profiles with their keys and objects, batch after batch, for
``openprofiles export``.

Each batch is read in a read transaction of its own, in profile-id order from where the last
one ended: memory stays flat however large the domain, and a long export holds no snapshot
(which on SQLite would keep the write-ahead log from being checkpointed). A profile written
meanwhile is exported as its batch saw it; one created meanwhile is exported when its id
comes after the batch under way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from openprofiles.clock import Clock
from openprofiles.context import Caller
from openprofiles.errors import not_found
from openprofiles.jsontext import parse
from openprofiles.services.domains import require_domain
from openprofiles.services.profiles import with_id
from openprofiles.services.standard_keys import standard_keys
from openprofiles.storage.database import Database
from openprofiles.storage.repositories import domain_export as repo
from openprofiles.storage.repositories import domains as domain_repo
from openprofiles.storage.repositories import object_types as object_type_repo
from openprofiles.storage.repositories.profile_keys import OBJECT


@dataclass(frozen=True, slots=True)
class ExportedObject:
    object_type: str
    unique_key: str  # ProfileObjectUniqueKey
    document: str  # the object as received


@dataclass(slots=True)
class ExportedProfile:
    profile_id: str
    document: dict[str, Any]  # the profile as GetProfile-like reads return it, ProfileId first
    keys: dict[str, list[str]]  # every search key of the profile: name -> values
    objects: list[ExportedObject] = field(default_factory=list)


class ExportService:
    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock

    def count(self, caller: Caller, domain: str) -> int:
        """How many profiles the domain holds now (raises ResourceNotFound for no domain)."""
        with self.database.read() as conn:
            record = require_domain(conn, caller, domain)
            return domain_repo.profile_stats(conn, record.id)[0]

    def count_objects(self, caller: Caller, domain: str, object_type: str) -> int:
        """How many unexpired objects of the type the domain holds now (ResourceNotFound for no
        domain or no such type)."""
        with self.database.read() as conn:
            record = require_domain(conn, caller, domain)
            if object_type_repo.find(conn, record.id, object_type) is None:
                raise not_found(f"Object type {object_type} does not exist in domain {domain}.")
            return repo.count_type_objects(conn, record.id, object_type, self.clock.now())

    def object_batches(
        self, caller: Caller, domain: str, object_type: str, batch_size: int
    ) -> Iterator[list[str]]:
        """The type's unexpired objects as received, ``batch_size`` at a time, in the order
        they were first stored (so that importing them again places them as they were)."""
        after = 0
        while True:
            with self.database.read() as conn:
                record = require_domain(conn, caller, domain)
                rows = repo.type_objects_after(
                    conn, record.id, object_type, after, batch_size, self.clock.now()
                )
            if not rows:
                return
            yield [document for _, document in rows]
            after = rows[-1][0]

    def batches(
        self, caller: Caller, domain: str, batch_size: int
    ) -> Iterator[list[ExportedProfile]]:
        """The domain's profiles, ``batch_size`` at a time, in profile-id order."""
        after: str | None = None
        while True:
            with self.database.read() as conn:
                record = require_domain(conn, caller, domain)
                rows = repo.profiles_after(conn, record.id, after, batch_size)
                ids = [row.profile_id for row in rows]
                objects = repo.objects_of(conn, record.id, ids, self.clock.now())
            if not rows:
                return
            yield _assemble(rows, objects)
            after = rows[-1].profile_id


def _assemble(rows: list[repo.ProfileRow], objects: list[repo.ObjectRow]) -> list[ExportedProfile]:
    by_profile: dict[str, list[repo.ObjectRow]] = {}
    for found in objects:
        by_profile.setdefault(found.profile_id, []).append(found)
    exported = []
    for row in rows:
        document = parse(row.document)
        mine = by_profile.get(row.profile_id, [])
        # An object key stays on a profile until the last object carrying it expires: the
        # profile's object keys are those its unexpired objects carry.
        carried = {pair for o in mine for pair in o.key_pairs()}
        keys: dict[str, list[str]] = {}
        pairs = standard_keys(row.profile_id, document) + [
            (name, value)
            for name, value, origin in row.added()
            if origin != OBJECT or (name, value) in carried
        ]
        for name, value in pairs:
            values = keys.setdefault(name, [])
            if value not in values:
                values.append(value)
        exported.append(
            ExportedProfile(
                row.profile_id,
                with_id(row.profile_id, document),
                keys,
                [ExportedObject(o.object_type, o.unique_key, o.document) for o in mine],
            )
        )
    return exported

"""What a person looking at one profile sees: its fields, every search key it carries and how
many objects of each type hang off it (the console's profile page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openprofiles.clock import Clock
from openprofiles.context import Caller
from openprofiles.errors import not_found
from openprofiles.services.domains import require_domain
from openprofiles.services.standard_keys import standard_keys
from openprofiles.storage.database import Database
from openprofiles.storage.repositories import profile_objects as object_repo
from openprofiles.storage.repositories.profile_keys import STANDARD


@dataclass(frozen=True)
class ProfileKey:
    name: str
    value: str
    origin: str  # "standard", "custom" (AddProfileKey) or "object" (from an ingested object)


@dataclass(frozen=True)
class ProfileView:
    profile_id: str
    document: dict[str, Any]
    keys: list[ProfileKey]
    object_counts: dict[str, int]  # object type → unexpired objects on this profile


class ProfileViewService:
    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock

    def get(self, caller: Caller, domain: str, profile_id: str) -> ProfileView:
        """The profile, its keys sorted by name and value, and its object counts by type;
        ResourceNotFoundException when the caller's domain has no such profile."""
        with self.database.read() as conn:
            record = require_domain(conn, caller, domain)
            states = object_repo.profile_states(conn, record.id, [profile_id], for_update=False)
            state = states.get(profile_id)
            if state is None:
                raise not_found(f"Profile {profile_id} does not exist in domain {domain}.")
            counts = object_repo.object_counts(conn, record.id, profile_id, self.clock.now())
        keys = {
            ProfileKey(name, value, STANDARD)
            for name, value in standard_keys(profile_id, state.document)
        }
        keys |= {ProfileKey(name, value, origin) for name, value, origin in state.added()}
        return ProfileView(
            profile_id,
            state.document,
            sorted(keys, key=lambda k: (k.name, k.value, k.origin)),
            counts,
        )

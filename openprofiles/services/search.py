"""SearchProfiles: find profiles by key values, with AND / OR over several keys."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from openprofiles.context import Caller
from openprofiles.services.domains import require_domain
from openprofiles.services.profiles import with_id
from openprofiles.services.quotas import quota
from openprofiles.storage.database import Database
from openprofiles.storage.paging import Pager
from openprofiles.storage.repositories import profiles as repo


@dataclass(frozen=True)
class SearchKey:
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Found:
    profile: dict[str, Any]
    found_by: list[SearchKey]  # for each searched key, the values this profile matched


# (conn, domain_id, key_name, values) -> the values to look up (object types normalise them).
ValueExpander = Callable[[Connection, int, str, Sequence[str]], Sequence[str]]


class SearchService:
    def __init__(self, database: Database, pager: Pager) -> None:
        self.database = database
        self.pager = pager
        self.expand_values: ValueExpander | None = None

    def search(
        self,
        caller: Caller,
        domain: str,
        keys: Sequence[SearchKey],
        match_all: bool,
        max_results: int | None,
        token: str | None,
    ) -> tuple[list[Found], str | None]:
        limit = max_results or quota("search_max_results_default")
        searched = [(k.name, list(k.values)) for k in keys]
        fingerprint = hashlib.sha256(
            json.dumps([searched, match_all], sort_keys=True).encode()
        ).hexdigest()
        scope = f"SearchProfiles:{caller.account}:{caller.region}:{domain}:{fingerprint}"
        with self.database.read() as conn:
            record = require_domain(conn, caller, domain)
            if self.expand_values is not None:
                keys = [
                    SearchKey(k.name, tuple(self.expand_values(conn, record.id, k.name, k.values)))
                    for k in keys
                ]
            conditions = [(k.name, list(k.values)) for k in keys]
            rows, next_token = self.pager.page(
                conn,
                repo.search_query(len(conditions), match_all),
                scope=scope,
                token=token,
                limit=limit,
                params=repo.search_params(record.id, conditions),
            )
            page_ids = [row.profile_id for row in rows]
            documents = repo.get_documents(conn, record.id, page_ids)
            matched = repo.matched_keys(conn, record.id, page_ids, conditions)
        by_profile: dict[str, dict[str, list[str]]] = {}
        for profile_id, name, value in matched:
            by_profile.setdefault(profile_id, {}).setdefault(name, []).append(value)
        results = []
        for profile_id in page_ids:
            if profile_id not in documents:
                continue  # deleted between the two reads of this snapshot's page: skip
            hits = by_profile.get(profile_id, {})
            found_by = [
                SearchKey(k.name, tuple(v for v in k.values if v in hits.get(k.name, ())))
                for k in keys
                if any(v in hits.get(k.name, ()) for v in k.values)
            ]
            results.append(Found(with_id(profile_id, documents[profile_id]), found_by))
        return results, next_token

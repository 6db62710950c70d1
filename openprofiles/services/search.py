"""SearchProfiles: find profiles by key values, with AND / OR over several keys."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from openprofiles.clock import Clock
from openprofiles.context import Caller
from openprofiles.quotas import quota
from openprofiles.services.domains import require_domain
from openprofiles.services.profiles import with_id
from openprofiles.storage.database import Database
from openprofiles.storage.paging import Pager, request_scope
from openprofiles.storage.repositories import profiles as repo


@dataclass(frozen=True)
class SearchKey:
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Found:
    profile: dict[str, Any]
    found_by: list[SearchKey]  # the request's keys that found this profile, as sent


# (conn, domain_id, key_name, values) -> the values to look up (object types normalise them).
ValueExpander = Callable[[Connection, int, str, Sequence[str]], Sequence[str]]


class SearchService:
    def __init__(self, database: Database, clock: Clock, pager: Pager) -> None:
        self.database = database
        self.clock = clock
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
        scope = request_scope(
            "SearchProfiles", caller.account, caller.region, domain, searched, match_all
        )
        with self.database.read() as conn:
            record = require_domain(conn, caller, domain)
            looked_up = keys
            if self.expand_values is not None:
                looked_up = [
                    SearchKey(k.name, tuple(self.expand_values(conn, record.id, k.name, k.values)))
                    for k in keys
                ]
            conditions = [(k.name, list(k.values)) for k in looked_up]
            now = self.clock.now()
            rows, next_token = self.pager.page(
                conn,
                repo.search_query(len(conditions), match_all),
                scope=scope,
                token=token,
                limit=limit,
                params=repo.search_params(record.id, conditions, now),
            )
            page_ids = [row.profile_id for row in rows]
            documents = repo.get_documents(conn, record.id, page_ids)
            # AND: every key found each profile, so no look-up is needed to say which.
            matched = (
                [] if match_all else repo.matched_keys(conn, record.id, page_ids, conditions, now)
            )
        hits: dict[str, set[tuple[str, str]]] = {}
        for profile_id, name, value in matched:
            hits.setdefault(profile_id, set()).add((name, value))
        results = []
        for profile_id in page_ids:
            if profile_id not in documents:
                continue  # deleted between the two reads of this snapshot's page: skip
            if match_all:
                found_by = list(keys)
            else:
                found_by = _found_by(keys, looked_up, hits.get(profile_id, set()))
            results.append(Found(with_id(profile_id, documents[profile_id]), found_by))
        return results, next_token


def _found_by(
    keys: Sequence[SearchKey], looked_up: Sequence[SearchKey], hits: set[tuple[str, str]]
) -> list[SearchKey]:
    """FoundByItems of an OR search: each key of the request, with the values the client sent
    (never the normalised forms looked up beside them), of which a looked-up value matched."""
    return [
        sent
        for sent, used in zip(keys, looked_up, strict=True)
        if any((used.name, v) in hits for v in used.values)
    ]

"""Domains: the container of profiles, objects and matching configuration (AWS semantics)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from openprofiles import arns
from openprofiles.clock import Clock
from openprofiles.context import Caller
from openprofiles.errors import conflict, not_found, quota
from openprofiles.quotas import quota as quota_limit
from openprofiles.services.matching import check_matching
from openprofiles.services.tags import TagService
from openprofiles.storage.database import Database
from openprofiles.storage.paging import Pager, request_scope
from openprofiles.storage.repositories import domains as repo
from openprofiles.storage.repositories import jobs as job_repo
from openprofiles.storage.repositories import profile_objects as object_repo
from openprofiles.storage.repositories import profiles as profile_repo
from openprofiles.storage.repositories.domains import DomainRecord

# Configuration members kept as given (wire JSON) in the domain's config column. Matching is
# checked (services/matching.py) and acted on by the identity resolution jobs; RuleBasedMatching
# and DataStore are kept only.
CONFIG_MEMBERS = (
    "DefaultEncryptionKey",
    "DeadLetterQueueUrl",
    "Matching",
    "RuleBasedMatching",
    "DataStore",
)


@dataclass(frozen=True)
class DomainStats:
    profile_count: int
    metering_profile_count: int
    object_count: int
    total_size: int


def require_domain(conn: Connection, caller: Caller, name: str) -> DomainRecord:
    """The caller's domain of that name, or ResourceNotFoundException."""
    record = repo.find(conn, caller.account, caller.region, name)
    if record is None:
        raise not_found(f"Domain {name} does not exist.")
    return record


class DomainService:
    def __init__(self, database: Database, clock: Clock, pager: Pager, tags: TagService) -> None:
        self.database = database
        self.clock = clock
        self.pager = pager
        self.tags = tags

    def create(
        self,
        caller: Caller,
        name: str,
        default_expiration_days: int,
        config: dict[str, Any],
        tags: dict[str, str] | None,
    ) -> tuple[DomainRecord, dict[str, str]]:
        check_matching(config.get("Matching"))
        with self.database.write() as conn:
            if repo.count(conn, caller.account, caller.region) >= quota_limit(
                "domains_per_account"
            ):
                raise quota(
                    f"You have reached the maximum number of domains "
                    f"({quota_limit('domains_per_account')}) for this account in {caller.region}."
                )
            record = repo.create(
                conn,
                caller.account,
                caller.region,
                name,
                default_expiration_days,
                _config(config),
                self.clock.now(),
            )
            if record is None:
                raise conflict(f"Domain {name} already exists.")
            stored = self.tags.set_tags(conn, caller, arns.domain_arn(caller, name), tags or {})
        return record, stored

    def get(self, caller: Caller, name: str) -> tuple[DomainRecord, DomainStats, dict[str, str]]:
        with self.database.read() as conn:
            record = require_domain(conn, caller, name)
            count, size = repo.profile_stats(conn, record.id)
            objects = self._object_stats(conn, record.id)
            tags = self.tags.get_tags(conn, caller, arns.domain_arn(caller, name))
        stats = DomainStats(
            profile_count=count,
            metering_profile_count=count + objects[2],
            object_count=objects[0],
            total_size=size + objects[1],
        )
        return record, stats, tags

    def settings(self, caller: Caller, name: str) -> tuple[DomainRecord, dict[str, str]]:
        """The domain and its tags, without :meth:`get`'s stats (which read every profile
        and object: seconds in a domain of millions)."""
        with self.database.read() as conn:
            record = require_domain(conn, caller, name)
            tags = self.tags.get_tags(conn, caller, arns.domain_arn(caller, name))
        return record, tags

    def profile_count(self, caller: Caller, name: str) -> int:
        """How many profiles the domain has, from the profiles' primary key alone."""
        with self.database.read() as conn:
            record = require_domain(conn, caller, name)
            return profile_repo.count_profiles(conn, record.id)

    def _object_stats(self, conn: Connection, domain_id: int) -> tuple[int, int, int]:
        """(objects, their bytes, extra metered profiles); profile objects add to these."""
        return object_repo.stats(conn, domain_id, self.clock.now())

    def update(
        self,
        caller: Caller,
        name: str,
        default_expiration_days: int | None,
        changes: dict[str, Any],
        tags: dict[str, str] | None,
    ) -> tuple[DomainRecord, dict[str, str]]:
        check_matching(changes.get("Matching"))
        with self.database.write() as conn:
            record = require_domain(conn, caller, name)
            config = dict(record.config)
            for member in CONFIG_MEMBERS:
                if member in changes:
                    value = changes[member]
                    # An empty string clears a string setting, as UpdateDomain documents.
                    if value == "":
                        config.pop(member, None)
                    else:
                        config[member] = value
            was_on = bool((record.config.get("Matching") or {}).get("Enabled"))
            if was_on and not (config.get("Matching") or {}).get("Enabled"):
                job_repo.delete_pending(conn, record.id)
            days = default_expiration_days or record.default_expiration_days
            repo.save(conn, record.id, days, config, self.clock.now())
            arn = arns.domain_arn(caller, name)
            stored = (
                self.tags.set_tags(conn, caller, arn, tags)
                if tags
                else self.tags.get_tags(conn, caller, arn)
            )
            updated = repo.find(conn, caller.account, caller.region, name)
        assert updated is not None
        return updated, stored

    def delete(self, caller: Caller, name: str) -> None:
        with self.database.write() as conn:
            record = require_domain(conn, caller, name)
            repo.remove(conn, record.id)
            self.tags.drop_resource(conn, caller, arns.domain_arn(caller, name))

    def list(
        self, caller: Caller, max_results: int | None, token: str | None
    ) -> tuple[list[tuple[Any, dict[str, str]]], str | None]:
        """One page of (row with name, created_at, updated_at; tags) and the next token."""
        limit = max_results or quota_limit("list_max_results_default")
        scope = request_scope("ListDomains", caller.account, caller.region)
        with self.database.read() as conn:
            query = repo.list_query(caller.account, caller.region)
            rows, next_token = self.pager.page(
                conn, query, [query.selected_columns.name], scope=scope, token=token, limit=limit
            )
            items = [
                (row, self.tags.get_tags(conn, caller, arns.domain_arn(caller, row.name)))
                for row in rows
            ]
        return items, next_token


def _config(params: dict[str, Any]) -> dict[str, Any]:
    return {m: params[m] for m in CONFIG_MEMBERS if params.get(m) not in (None, "")}

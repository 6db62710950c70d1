"""GetMatches and GetAutoMergingPreview: reading the domain's current match groups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from typing import Any

from openprofiles.clock import Clock
from openprofiles.context import Caller
from openprofiles.errors import invalid, not_found
from openprofiles.quotas import quota as quota_limit
from openprofiles.resolution.engine import ResolutionSettings
from openprofiles.resolution.model import default_model
from openprofiles.resolution.normalise import normalise_document
from openprofiles.resolution.realtime import Explanation, RealtimeScorer
from openprofiles.services.auto_merge import Candidate, plan_merges
from openprofiles.services.domains import require_domain
from openprofiles.services.matching import (
    auto_merge_rules,
    confidence_errors,
    conflict_resolution_errors,
    consolidation_errors,
)
from openprofiles.storage.database import Database
from openprofiles.storage.paging import Pager, request_scope
from openprofiles.storage.repositories import match_keys as model_repo
from openprofiles.storage.repositories import matches as repo
from openprofiles.storage.repositories import profiles as profile_repo
from openprofiles.storage.repositories.matches import MatchRow, ProfileFacts

_PAGE = repo.page_query()
_PREVIEW_BATCH = 500


@dataclass(frozen=True)
class MatchPage:
    matches: list[MatchRow]
    next_token: str | None
    generated_at: datetime | None
    potential_matches: int


@dataclass(frozen=True)
class PairExplanation:
    """Why the engine scores two profiles of a group as it does."""

    left_id: str
    right_id: str
    explanation: Explanation


@dataclass(frozen=True)
class Preview:
    matches: int
    profiles: int
    profiles_merged: int


def candidates(facts: dict[str, ProfileFacts], profile_ids: tuple[str, ...]) -> list[Candidate]:
    """The group's profiles that still exist, as the auto-merge decisions see them."""
    return [
        Candidate(f.profile_id, f.document, f.updated_at, f.object_types)
        for f in (facts.get(pid) for pid in profile_ids)
        if f is not None
    ]


class MatchService:
    def __init__(self, database: Database, clock: Clock, pager: Pager) -> None:
        self.database = database
        self.clock = clock
        self.pager = pager

    def get_matches(
        self, caller: Caller, domain: str, max_results: int | None, token: str | None
    ) -> MatchPage:
        limit = max_results or quota_limit("list_max_results_default")
        with self.database.read() as conn:
            record = require_domain(conn, caller, domain)
            shown = repo.shown(conn, record.id)
            rows, next_token = self.pager.page(
                conn,
                _PAGE,
                scope=_scope(caller, domain, shown.job_id),
                token=token,
                limit=limit,
                params={"domain_id": record.id, "job_id": shown.job_id},
            )
        return MatchPage(repo.as_rows(rows), next_token, shown.generated_at, shown.count)

    def explain(self, caller: Caller, domain: str, profile_ids: list[str]) -> list[PairExplanation]:
        """Each pair of these profiles (those that still exist) scored now with the domain's
        model: the one its last job trained, else the engine's shipped defaults. Nothing is
        stored; a group found by an earlier job may have been scored with another model."""
        with self.database.read() as conn:
            record = require_domain(conn, caller, domain)
            documents = profile_repo.get_documents(conn, record.id, profile_ids)
            trained = model_repo.model(conn, record.id)
        scorer = (
            RealtimeScorer(default_model())
            if trained is None
            else RealtimeScorer.from_json(trained)
        )
        region = ResolutionSettings().default_region
        records = [
            normalise_document(pid, documents[pid], region)
            for pid in profile_ids
            if pid in documents
        ]
        return [
            PairExplanation(left.unique_id, right.unique_id, scorer.explain(left, right))
            for left, right in combinations(records, 2)
        ]

    def dismiss(self, caller: Caller, domain: str, match_id: str) -> None:
        """Take a group out of the domain's matches (a reviewer judged its profiles not to
        be one person): GetMatches no longer lists it; a later job may find it again."""
        with self.database.write() as conn:
            record = require_domain(conn, caller, domain)
            if repo.remove_group(conn, record.id, match_id) == 0:
                raise not_found(f"Match group {match_id} does not exist in domain {domain}.")

    def preview(
        self,
        caller: Caller,
        domain: str,
        consolidation: dict[str, Any],
        conflict_resolution: dict[str, Any],
        min_confidence: float | None,
    ) -> Preview:
        """What auto-merging with these settings would do to the stored matches; changes
        nothing."""
        errors = consolidation_errors(consolidation, "Consolidation")
        errors += conflict_resolution_errors(conflict_resolution, "ConflictResolution")
        errors += confidence_errors(min_confidence, "MinAllowedConfidenceScoreForMerging")
        if errors:
            raise invalid("; ".join(errors))
        rules = auto_merge_rules(consolidation, conflict_resolution, min_confidence)
        groups = profiles = merged = 0
        with self.database.read() as conn:
            record = require_domain(conn, caller, domain)
            job_id = repo.shown(conn, record.id).job_id
            for batch in repo.read_batches(conn, record.id, job_id, _PREVIEW_BATCH, realtime=True):
                ids = [pid for row in batch for pid in row.profile_ids]
                facts = repo.profile_facts(conn, record.id, ids)
                for row in batch:
                    members = candidates(facts, row.profile_ids)
                    groups += 1
                    profiles += len(members)
                    merged += sum(p.size for p in plan_merges(members, row.confidence, rules))
        return Preview(groups, profiles, merged)


def _scope(caller: Caller, domain: str, job_id: str) -> str:
    # A token names the job whose groups it pages: a newer job's groups start a new listing.
    return request_scope("GetMatches", caller.account, caller.region, domain, job_id)

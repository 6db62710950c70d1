"""Real-time matching: a profile created or changed in a domain with Matching enabled is
scored against its candidates the moment its write commits, and its matches show in
GetMatches without waiting for a job.

The services tell :meth:`RealtimeMatcher.submit` which profiles changed (after their
transaction commits); a thread of its own takes them in batches, so the request path pays for a
queue put only. For each profile it: normalises the document and works out its blocking keys
(the engine's ``normalise_document`` and ``match_keys``), replaces the profile's stored keys,
looks up the profiles sharing a key (``match_keys``, by index: no scan), and scores each pair
with the engine's real-time scorer and the domain's model (the one its last job scored with,
else the engine's shipped defaults). The candidates at or above the match threshold form the
profile's real-time group (storage/repositories/matches.py), replacing its earlier one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from openprofiles.clock import Clock
from openprofiles.resolution.blocking import match_keys
from openprofiles.resolution.engine import ResolutionSettings
from openprofiles.resolution.model import default_model
from openprofiles.resolution.normalise import NormalisedRecord, normalise_document
from openprofiles.resolution.realtime import RealtimeScorer
from openprofiles.storage.database import Database
from openprofiles.storage.repositories import domains as domain_repo
from openprofiles.storage.repositories import jobs as job_repo
from openprofiles.storage.repositories import match_keys as key_repo
from openprofiles.storage.repositories import matches as match_repo
from openprofiles.storage.repositories import profiles as profile_repo

log = logging.getLogger(__name__)

CANDIDATES_PER_PROFILE = 200
BATCH = 500


def realtime_match_id(domain_id: int, profile_id: str) -> str:
    """The id of a profile's real-time group: one per profile, the same each time."""
    return hashlib.sha256(f"realtime:{domain_id}:{profile_id}".encode()).hexdigest()[:32]


class _Engine:
    """The engine's real-time pieces (openprofiles/resolution): normalising, blocking keys, and
    a scorer per model, the last one built kept."""

    def __init__(self) -> None:
        self._scorers: dict[str, RealtimeScorer] = {}

    def record(self, profile_id: str, document: Mapping[str, Any], region: str) -> NormalisedRecord:
        return normalise_document(profile_id, document, region)

    def keys(self, record: NormalisedRecord) -> list[str]:
        return match_keys(record)

    def scorer(self, trained: Mapping[str, Any] | None) -> RealtimeScorer:
        text = "" if trained is None else json.dumps(trained, sort_keys=True)
        scorer = self._scorers.get(text)
        if scorer is None:
            scorer = (
                RealtimeScorer(default_model())
                if trained is None
                else RealtimeScorer.from_json(trained)
            )
            self._scorers = {text: scorer}
        return scorer


class RealtimeMatcher:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        settings: ResolutionSettings | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.settings = settings or ResolutionSettings()
        self._queue: queue.Queue[tuple[int, list[str], datetime] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._engine: _Engine | None = None
        self.scored = 0  # profiles scored so far

    def submit(self, domain_id: int, profile_ids: list[str]) -> None:
        """Score these profiles soon (called once their write has committed)."""
        self._queue.put((domain_id, profile_ids, self.clock.now()))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="openprofiles-realtime", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            work: dict[int, list[str]] = {}
            submitted: dict[int, datetime] = {}
            while item is not None:
                work.setdefault(item[0], []).extend(item[1])
                submitted[item[0]] = max(item[2], submitted.get(item[0], item[2]))
                if sum(len(v) for v in work.values()) >= BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            for domain_id, ids in work.items():
                try:
                    self.process(domain_id, list(dict.fromkeys(ids)), submitted[domain_id])
                except Exception:
                    log.exception("real-time matching of %d profiles failed", len(ids))
            if item is None:
                return

    def index_domain(self, domain_id: int, page_size: int = 5000) -> None:
        """Store the keys of the domain's profiles that have none (those written before
        Matching was enabled, or by a command-line import): the server does it after each
        job, so the job's own time does not include it."""
        after = ""
        while True:
            with self.database.read() as conn:
                page = match_repo.profile_page(conn, domain_id, after, page_size)
            if not page:
                return
            self.index(domain_id, page)
            after = page[-1][0]

    def index(self, domain_id: int, page: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        """Store the keys of those profiles of ``page`` (id, document) that have none."""
        if self._engine is None:
            self._engine = _Engine()
        engine = self._engine
        with self.database.read() as conn:
            missing = key_repo.without_keys(conn, domain_id, [pid for pid, _ in page])
        if not missing:
            return
        region = self.settings.default_region
        keys = {
            pid: engine.keys(engine.record(pid, doc, region)) for pid, doc in page if pid in missing
        }
        with self.database.write() as conn:
            key_repo.replace(conn, domain_id, keys)

    def process(
        self, domain_id: int, profile_ids: Sequence[str], changed_at: datetime | None = None
    ) -> int:
        """Score ``profile_ids`` of a domain, changed at ``changed_at`` (by default now); the
        number of real-time groups written. None are when a job began reading the domain
        after that: its groups hold these profiles as they are."""
        changed_at = changed_at or self.clock.now()
        if self._engine is None:
            self._engine = _Engine()
        engine = self._engine
        with self.database.read() as conn:
            domain = domain_repo.find_by_id(conn, domain_id)
            if domain is None or not (domain.config.get("Matching") or {}).get("Enabled"):
                return 0
            documents = profile_repo.get_documents(conn, domain_id, list(profile_ids))
            trained = key_repo.model(conn, domain_id)
        region = self.settings.default_region
        records = {pid: engine.record(pid, doc, region) for pid, doc in documents.items()}
        keys = {pid: engine.keys(record) for pid, record in records.items()}
        gone = [pid for pid in profile_ids if pid not in documents]
        # Candidates: the stored profiles sharing a key, and the batch's own profiles that do
        # (their keys are written with the groups, in one transaction).
        by_key: dict[str, list[str]] = {}
        for pid, values in keys.items():
            for key in values:
                by_key.setdefault(key, []).append(pid)
        with self.database.read() as conn:
            found = {
                pid: key_repo.candidates(conn, domain_id, keys[pid], CANDIDATES_PER_PROFILE)
                for pid in records
            }
            wanted = {c for ids in found.values() for c in ids} - set(records)
            others = profile_repo.get_documents(conn, domain_id, sorted(wanted))
        pool = {pid: engine.record(pid, doc, region) for pid, doc in others.items()}
        pool.update(records)
        scorer = engine.scorer(trained)
        threshold = self.settings.match_threshold
        groups: dict[str, tuple[list[str], float]] = {}
        for pid, record in records.items():
            near = dict.fromkeys([*found[pid], *(q for k in keys[pid] for q in by_key[k])])
            candidates = [pool[c] for c in near if c != pid and c in pool]
            pairs = scorer.score(record, candidates, threshold)
            members = [pid, *(pair.right_id for pair in pairs)]
            confidence = min((pair.probability for pair in pairs), default=0.0)
            groups[pid] = (members, confidence)
        written = 0
        with self.database.write() as conn:
            key_repo.replace(conn, domain_id, keys)
            key_repo.forget(conn, domain_id, gone)
            now = changed_at
            for pid in gone:
                match_repo.upsert_realtime(
                    conn, domain_id, realtime_match_id(domain_id, pid), [], 0.0, now
                )
            latest = job_repo.latest_read(conn, domain_id)
            if latest is not None and changed_at <= latest:
                groups = {}  # a job read these profiles after they changed: its groups hold them
            for pid, (members, confidence) in groups.items():
                # A member's own group that this one holds whole says nothing more: one group
                # for A and B, not one from each side.
                theirs = [realtime_match_id(domain_id, m) for m in members[1:]]
                for match_id, group in match_repo.realtime_members(conn, domain_id, theirs).items():
                    if group <= set(members):
                        match_repo.upsert_realtime(conn, domain_id, match_id, [], 0.0, now)
                match_repo.upsert_realtime(
                    conn, domain_id, realtime_match_id(domain_id, pid), members, confidence, now
                )
                written += len(members) > 1
        self.scored += len(records)
        return written

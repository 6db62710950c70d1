"""MergeProfiles, and the merge history that explains and undoes a merge.

A merge moves every key and object of the merged profiles to the main profile, gives the main
profile the fields :func:`~openprofiles.services.merge_fields.merge_documents` chooses, and
deletes the merged profiles, in one transaction. Their standard keys (``_email``, ``_phone``,
...; not ``_profileId``) stay searchable on the main profile as 'merged' keys, so a search
that found a merged profile finds the main one; objects keep their rows and so their keys.

Each merge leaves a row of ``merge_history`` (storage/repositories/merges.py), JSON columns:

- ``before_images``: profile id -> {Document, CreatedAt, UpdatedAt, SourceUpdatedAt,
  FieldSources, AddedKeys} of every profile involved, as it was before the merge;
- ``moved``: {"Profiles": merged id -> {"Keys": [[name, value, origin on main]],
  "Objects": [[object row id, object type, unique key]]}, "AddedToMain": the keys (other than
  objects') the main profile did not have before};
- ``field_choices``: [{Field, ProfileId, Rule, Empty}] (merge_fields.FieldChoice).

Undoing a merge brings the merged profiles back with their ids, fields, keys and objects, and
the main profile's fields as they were before; what reached the main profile after the merge
(objects, keys) stays there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from openprofiles import ids
from openprofiles.clock import Clock, iso_utc, to_utc
from openprofiles.context import Caller
from openprofiles.errors import conflict, invalid, not_found
from openprofiles.jsontext import compact
from openprofiles.quotas import quota
from openprofiles.services.domains import require_domain
from openprofiles.services.field_sources import FieldSources, field_name
from openprofiles.services.merge_fields import FieldChoice, check_field_sources, merge_documents
from openprofiles.services.object_batch import hold_off_ingestion
from openprofiles.services.standard_keys import standard_keys
from openprofiles.storage.database import Database
from openprofiles.storage.paging import Pager, request_scope
from openprofiles.storage.repositories import merges as repo
from openprofiles.storage.repositories import profile_keys as keys_repo
from openprofiles.storage.repositories import profile_objects as object_repo
from openprofiles.storage.repositories import profiles as profile_repo
from openprofiles.storage.repositories.domains import DomainRecord
from openprofiles.storage.repositories.merges import MergeRow
from openprofiles.storage.repositories.profile_keys import MERGED, OBJECT, STANDARD, AddedKey
from openprofiles.storage.repositories.profile_objects import (
    ProfileRow,
    ProfileState,
    ProfileUpdate,
)

MERGE_PROFILES = "MergeProfiles"  # the origin of a merge asked for with MergeProfiles


def auto_merge_origin(job_id: str) -> str:
    """The origin of a merge an identity-resolution job made."""
    return f"auto-merge job {job_id}"


def merge_in(
    conn: Connection,
    domain: DomainRecord,
    main_profile_id: str,
    profile_ids: Sequence[str],
    field_sources: Mapping[str, Any] | None,
    *,
    now: datetime,
    origin: str,
) -> str:
    """Merge ``profile_ids`` into ``main_profile_id`` inside the caller's write transaction
    ``conn``; the merge's id (its ``merge_history`` row).

    ``field_sources`` is FieldSourceProfileIds as the wire has it (member -> profile id,
    ``Attributes``: attribute name -> profile id; None or empty: the main profile's values win
    and its empty fields are filled from the merged profiles in the order given). ``origin``
    says who merged: :data:`MERGE_PROFILES` or :func:`auto_merge_origin`. Raises a 400
    (``invalid``) for the main profile among those merged or a field source that is neither,
    and a 404 for a profile the domain does not have; nothing is written before these checks.
    A repeated id in ``profile_ids`` counts once. On PostgreSQL it first waits for the
    domain's ingesting transactions and holds off new ones (``hold_off_ingestion``), then locks
    the involved profiles' rows in id order; a caller merging several groups in one
    transaction takes these locks once per call, which PostgreSQL allows.
    """
    merged_ids = list(dict.fromkeys(profile_ids))
    if main_profile_id in merged_ids:
        raise invalid(f"ProfileIdsToBeMerged: must not contain MainProfileId ({main_profile_id})")
    sources_given = dict(field_sources or {})
    check_field_sources(main_profile_id, merged_ids, sources_given)
    involved = [main_profile_id, *merged_ids]
    hold_off_ingestion(conn, domain.id)
    states = object_repo.profile_states(conn, domain.id, involved, for_update=True)
    for profile_id in involved:
        if profile_id not in states:
            raise not_found(f"Profile {profile_id} does not exist in domain {domain.name}.")
    times = profile_repo.profile_times(conn, domain.id, involved)
    main = states[main_profile_id]
    document, choices = merge_documents(
        (main_profile_id, main.document),
        [(pid, states[pid].document) for pid in merged_ids],
        sources_given,
    )
    sources = _merged_sources(main_profile_id, states, choices)

    objects = object_repo.objects_of(conn, domain.id, merged_ids)
    main_added = main.added()
    present = set(main_added)
    added_to_main: list[AddedKey] = []
    moved: dict[str, Any] = {}
    for pid in merged_ids:
        state = states[pid]
        standard = standard_keys(pid, state.document)
        added = state.added()
        placed = [(n, v, MERGED) for n, v in standard if n != "_profileId"] + added
        for key in placed:
            if key[2] != OBJECT and key not in present:
                present.add(key)
                added_to_main.append(key)
        own: list[list[Any]] = [[i, t, u] for i, t, u, owner in objects if owner == pid]
        moved[pid] = {"Keys": [list(k) for k in placed], "Objects": own}
        profile_repo.delete_profile(conn, domain.id, pid, standard, added)
        object_repo.move_objects(conn, domain.id, [o[0] for o in own], pid, main_profile_id)

    _write_profile(
        conn,
        domain.id,
        main_profile_id,
        main.document,
        document,
        now,
        _latest(s.source_updated_at for s in states.values()),
        [*main_added, *added_to_main],
        sources.encode(),
    )
    keys_repo.insert_profile_keys(
        conn, keys_repo.added_key_rows(domain.id, main_profile_id, added_to_main)
    )
    object_repo.sync_object_keys(conn, domain.id, [main_profile_id])

    merge_id = ids.new_merge_id()
    repo.insert_merge(
        conn,
        MergeRow(
            id=merge_id,
            domain_id=domain.id,
            main_profile_id=main_profile_id,
            merged_profile_ids=merged_ids,
            before_images={pid: _image(states[pid], times[pid]) for pid in involved},
            moved={"Profiles": moved, "AddedToMain": [list(k) for k in added_to_main]},
            field_choices=[asdict(c) for c in choices],
            origin=origin,
            created_at=now,
            undone_at=None,
        ),
    )
    return merge_id


def undo_in(conn: Connection, domain: DomainRecord, merge_id: str, *, now: datetime) -> MergeRow:
    """Undo a merge inside the caller's write transaction; the merge as it now stands.

    404 for a merge the domain does not have; a conflict (400 on the wire) for one undone
    already, or whose main profile is gone (deleted, or merged into another: undo that first).
    """
    merge = repo.find(conn, domain.id, merge_id, for_update=True)
    if merge is None:
        raise not_found(f"Merge {merge_id} does not exist in domain {domain.name}.")
    if merge.undone_at is not None:
        raise conflict(
            f"Merge {merge_id} was undone at {iso_utc(merge.undone_at)}; a merge is undone once."
        )
    main_id = merge.main_profile_id
    hold_off_ingestion(conn, domain.id)
    states = object_repo.profile_states(
        conn, domain.id, [main_id, *merge.merged_profile_ids], for_update=True
    )
    if main_id not in states:
        raise conflict(_main_gone(conn, domain.id, merge))
    back = [p for p in merge.merged_profile_ids if p in states]
    if back:
        raise conflict(f"Merge {merge_id} cannot be undone: profile {back[0]} exists again.")

    # Keys this merge gave the main profile go, unless another standing merge into it moved
    # the same key there too.
    others = {
        tuple(key)
        for other in repo.involving(conn, domain.id, main_id)
        if other.id != merge.id and other.undone_at is None and other.main_profile_id == main_id
        for moved in other.moved["Profiles"].values()
        for key in moved["Keys"]
    }
    removed = {(n, v, o) for n, v, o in merge.moved["AddedToMain"]} - others
    main = states[main_id]
    kept = [k for k in main.added() if k not in removed]
    gone = [k for k in main.added() if k in removed]
    image = merge.before_images[main_id]
    keys_repo.delete_profile_keys(conn, keys_repo.added_key_rows(domain.id, main_id, gone))
    _write_profile(
        conn,
        domain.id,
        main_id,
        main.document,
        image["Document"],
        now,
        _time(image["SourceUpdatedAt"]),
        kept,
        image["FieldSources"],
    )

    for pid in merge.merged_profile_ids:
        image = merge.before_images[pid]
        own: list[AddedKey] = [(n, v, o) for n, v, o in image["AddedKeys"] if o != OBJECT]
        text = compact(image["Document"])
        object_repo.insert_profiles(
            conn,
            [
                ProfileRow(
                    domain.id,
                    pid,
                    text,
                    len(text.encode()),
                    _required_time(image["CreatedAt"]),
                    _required_time(image["UpdatedAt"]),
                    _time(image["SourceUpdatedAt"]),
                    keys_repo.encode_added(own),
                    image["FieldSources"],
                )
            ],
        )
        rows = [(domain.id, n, v, pid, STANDARD) for n, v in standard_keys(pid, image["Document"])]
        keys_repo.insert_profile_keys(conn, rows + keys_repo.added_key_rows(domain.id, pid, own))
        object_ids = [o[0] for o in merge.moved["Profiles"][pid]["Objects"]]
        object_repo.move_objects(conn, domain.id, object_ids, main_id, pid)
    object_repo.sync_object_keys(conn, domain.id, [main_id, *merge.merged_profile_ids])
    repo.mark_undone(conn, [merge.id], now)
    found = repo.find(conn, domain.id, merge.id, for_update=False)
    assert found is not None
    return found


def _main_gone(conn: Connection, domain_id: int, merge: MergeRow) -> str:
    main_id = merge.main_profile_id
    for later in repo.involving(conn, domain_id, main_id):
        if later.undone_at is None and main_id in later.merged_profile_ids:
            return (
                f"Merge {merge.id} cannot be undone: its main profile {main_id} was merged into"
                f" {later.main_profile_id} by merge {later.id}; undo that merge first."
            )
    return f"Merge {merge.id} cannot be undone: its main profile {main_id} was deleted."


def _write_profile(
    conn: Connection,
    domain_id: int,
    profile_id: str,
    before: dict[str, Any],
    document: dict[str, Any],
    now: datetime,
    source_updated_at: datetime | None,
    added: Iterable[AddedKey],
    field_sources: str | None,
) -> None:
    """Store a profile's new document, added keys and field sources; its standard key rows
    follow the document (``before`` is the stored one)."""
    text = compact(document)
    object_repo.update_profiles(
        conn,
        [
            ProfileUpdate(
                text,
                len(text.encode()),
                now,
                source_updated_at,
                keys_repo.encode_added(added),
                field_sources,
                domain_id,
                profile_id,
            )
        ],
    )
    stale, fresh = keys_repo.standard_key_changes(
        domain_id,
        profile_id,
        standard_keys(profile_id, before),
        standard_keys(profile_id, document),
    )
    keys_repo.delete_profile_keys(conn, stale)
    keys_repo.insert_profile_keys(conn, fresh)


def _merged_sources(
    main_id: str, states: Mapping[str, ProfileState], choices: Sequence[FieldChoice]
) -> FieldSources:
    """The main profile's field sources after the merge: a field taken from a merged profile
    keeps the source it had there, so SourcePriority goes on deciding it as before."""
    main = states[main_id]
    merged = FieldSources(main.field_sources, main.source_updated_at)
    of_profile: dict[str, FieldSources] = {}
    for choice in choices:
        if choice.profile_id == main_id:
            continue
        state = states[choice.profile_id]
        source = of_profile.get(choice.profile_id)
        if source is None:
            source = of_profile[choice.profile_id] = FieldSources(
                state.field_sources, state.source_updated_at
            )
        for leaf in _leaves(choice.field, main.document):
            merged.drop(leaf)
        if not choice.empty:
            for leaf in _leaves(choice.field, state.document):
                merged.set(leaf, source.of(leaf))
    return merged


def _leaves(field: str, document: Mapping[str, Any]) -> list[str]:
    """The names field_sources gives a field's values in ``document``: an address's members
    one by one (``Address.City``)."""
    if "." in field:
        return [field]
    value = document.get(field)
    if isinstance(value, dict):
        return [field_name(field, inner) for inner in value]
    return [] if value is None else [field]


def _image(state: ProfileState, times: tuple[datetime, datetime]) -> dict[str, Any]:
    return {
        "Document": state.document,
        "CreatedAt": iso_utc(times[0]),
        "UpdatedAt": iso_utc(times[1]),
        "SourceUpdatedAt": None
        if state.source_updated_at is None
        else iso_utc(state.source_updated_at),
        "FieldSources": state.field_sources,
        "AddedKeys": [list(k) for k in state.added()],
    }


def _latest(times: Iterable[datetime | None]) -> datetime | None:
    known = [to_utc(t) for t in times if t is not None]
    return max(known) if known else None


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _required_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


class MergeService:
    """MergeProfiles and the merge-history extensions, each in its own transaction."""

    def __init__(self, database: Database, clock: Clock, pager: Pager) -> None:
        self.database = database
        self.clock = clock
        self.pager = pager

    def merge(
        self,
        caller: Caller,
        domain: str,
        main_profile_id: str,
        profile_ids: Sequence[str],
        field_sources: Mapping[str, Any] | None,
    ) -> str:
        """MergeProfiles; the merge's id."""
        with self.database.write() as conn:
            record = require_domain(conn, caller, domain)
            return merge_in(
                conn,
                record,
                main_profile_id,
                profile_ids,
                field_sources,
                now=self.clock.now(),
                origin=MERGE_PROFILES,
            )

    def undo(self, caller: Caller, domain: str, merge_id: str) -> MergeRow:
        with self.database.write() as conn:
            record = require_domain(conn, caller, domain)
            return undo_in(conn, record, merge_id, now=self.clock.now())

    def explain(self, caller: Caller, domain: str, merge_id: str) -> MergeRow:
        with self.database.read() as conn:
            record = require_domain(conn, caller, domain)
            found = repo.find(conn, record.id, merge_id, for_update=False)
        if found is None:
            raise not_found(f"Merge {merge_id} does not exist in domain {domain}.")
        return found

    def listing(
        self,
        caller: Caller,
        domain: str,
        profile_id: str | None,
        max_results: int | None,
        token: str | None,
    ) -> tuple[list[MergeRow], str | None]:
        """The domain's merges (those involving ``profile_id`` when given), oldest first."""
        limit = max_results or quota("list_max_results_default")
        scope = request_scope("ListMerges", caller.account, caller.region, domain, profile_id)
        with self.database.read() as conn:
            record = require_domain(conn, caller, domain)
            query = repo.list_query(record.id, profile_id)
            rows, next_token = self.pager.page(
                conn, query, [query.selected_columns.id], scope=scope, token=token, limit=limit
            )
        return [repo.read_row(r) for r in rows], next_token

    def history(self, caller: Caller, domain: str, profile_id: str) -> list[MergeRow]:
        """Every merge involving a profile, as main or merged, oldest first (a profile page's
        merge history)."""
        with self.database.read() as conn:
            record = require_domain(conn, caller, domain)
            return repo.involving(conn, record.id, profile_id)

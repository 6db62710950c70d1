"""SQLAlchemy Core tables: the schema every migration brings a database to.

Profiles keep their wire document as JSON text: the Profile shape grows with AWS releases
(ProfileType, EngagementPreferences, ...) and a document mirrors it without a migration per
release. What is queried lives in columns: the search keys in ``profile_keys``.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

UTC_DATETIME = DateTime(timezone=True)

# Server-wide values that must survive a restart (the paging-token secret).
server_meta = Table(
    "server_meta",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

domains = Table(
    "domains",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(64), nullable=False),
    Column("default_expiration_days", Integer, nullable=False),
    # The remaining configuration members (DefaultEncryptionKey, DeadLetterQueueUrl, Matching,
    # RuleBasedMatching, DataStore) as their wire JSON.
    Column("config", Text, nullable=False),
    Column("created_at", UTC_DATETIME, nullable=False),
    Column("updated_at", UTC_DATETIME, nullable=False),
    UniqueConstraint("account", "region", "name", name="uq_domains_account_region_name"),
)

profiles = Table(
    "profiles",
    metadata,
    Column("domain_id", Integer, ForeignKey("domains.id", ondelete="CASCADE"), primary_key=True),
    Column("profile_id", String(32), primary_key=True),
    Column("document", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("created_at", UTC_DATETIME, nullable=False),
    Column("updated_at", UTC_DATETIME, nullable=False),
    # The newest SourceLastUpdatedTimestamp of the objects merged into this profile; on a
    # profile whose field_sources is NULL, every field's source time.
    Column("source_updated_at", UTC_DATETIME),
    # The profile's keys other than the standard ones (AddProfileKey's and its objects'): a
    # JSON array of [key_name, key_value, origin], equal to its rows of profile_keys with those
    # origins. With its standard keys, which follow from the document, it tells which rows a
    # profile has, so profile_keys needs no index by profile (migration 0007).
    Column("added_keys", Text, nullable=False, server_default="[]"),
    # Which source (priority, time) set each field of the document, as JSON: see
    # services/field_sources.py. NULL on profiles not written since migration 0008.
    Column("field_sources", Text),
)

# Every searchable key of every profile. origin 'standard': derived from the profile's own
# fields (_email, _phone, ...) and recomputed on each write; 'custom': AddProfileKey;
# 'object': extracted from an ingested object's keys, and then ``expires`` (Unix seconds; NULL:
# never) is the latest expiry of the profile's objects carrying it, so that reads by key skip
# it once they have all expired (migration 0008); 'merged': a standard key of a profile merged
# into this one (MergeProfiles), which moved here with the rest of its keys. Read only by key,
# through its primary key, so on SQLite it is stored clustered on it, without a row id (see
# migration 0005); a profile's rows are known from the profile (its document and added_keys),
# not looked up by profile.
profile_keys = Table(
    "profile_keys",
    metadata,
    Column("domain_id", Integer, ForeignKey("domains.id", ondelete="CASCADE"), nullable=False),
    Column("key_name", String(64), nullable=False),
    Column("key_value", String(1024), nullable=False),
    Column("profile_id", String(32), nullable=False),
    Column("origin", String(16), nullable=False),
    Column("expires", Integer),
    PrimaryKeyConstraint(
        "domain_id", "key_name", "key_value", "profile_id", "origin", name="pk_profile_keys"
    ),
    sqlite_with_rowid=False,
)

object_types = Table(
    "object_types",
    metadata,
    Column("domain_id", Integer, ForeignKey("domains.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(255), primary_key=True),
    # PutProfileObjectType's members as given (wire JSON), without DomainName, name and Tags.
    Column("definition", Text, nullable=False),
    Column("created_at", UTC_DATETIME, nullable=False),
    Column("updated_at", UTC_DATETIME, nullable=False),
)

profile_objects = Table(
    "profile_objects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("domain_id", Integer, ForeignKey("domains.id", ondelete="CASCADE"), nullable=False),
    Column("object_type", String(255), nullable=False),
    Column("unique_key", String(1024), nullable=False),  # ProfileObjectUniqueKey
    Column("profile_id", String(32), nullable=False),
    Column("document", Text, nullable=False),  # the object as received
    Column("size", Integer, nullable=False),
    Column("source_updated_at", UTC_DATETIME),
    Column("created_at", UTC_DATETIME, nullable=False),
    Column("updated_at", UTC_DATETIME, nullable=False),
    Column("expires_at", UTC_DATETIME),
    # The object's keys, for ListProfileObjects' ObjectFilter: a JSON array of [name, value]
    # pairs. A filter only ever looks among one profile's objects of one type (found through
    # ix_profile_objects_profile), so the keys need no index of their own (migration 0006).
    Column("key_values", Text, nullable=False, server_default="[]"),
    UniqueConstraint("domain_id", "object_type", "unique_key", name="uq_profile_objects_key"),
    Index("ix_profile_objects_profile", "domain_id", "profile_id", "object_type"),
    Index("ix_profile_objects_expiry", "expires_at"),
)

# One merge of profiles (MergeProfiles, or an identity-resolution auto-merge), kept so that it
# can be explained and undone: see services/merges.py for the JSON columns' contents.
merge_history = Table(
    "merge_history",
    metadata,
    Column("id", String(32), primary_key=True),  # ids.new_merge_id: time-ordered
    Column("domain_id", Integer, ForeignKey("domains.id", ondelete="CASCADE"), nullable=False),
    Column("main_profile_id", String(32), nullable=False),
    Column("merged_profile_ids", Text, nullable=False),  # JSON array, in the order given
    # JSON: every involved profile's row as it was before the merge, by profile id.
    Column("before_images", Text, nullable=False),
    # JSON: by merged profile id, the keys and objects that moved from it to the main profile.
    Column("moved", Text, nullable=False),
    Column("field_choices", Text, nullable=False),  # JSON array: which field came from where
    Column("origin", String(255), nullable=False),  # "MergeProfiles", "auto-merge job ..."
    Column("created_at", UTC_DATETIME, nullable=False),
    Column("undone_at", UTC_DATETIME),
    Index("ix_merge_history_domain", "domain_id", "id"),
)

# The profiles each merge involved (main and merged), so that a profile's merges are found by
# index.
merge_history_profiles = Table(
    "merge_history_profiles",
    metadata,
    Column("domain_id", Integer, nullable=False),
    Column("profile_id", String(32), nullable=False),
    Column(
        "merge_id",
        String(32),
        ForeignKey("merge_history.id", ondelete="CASCADE"),
        nullable=False,
    ),
    PrimaryKeyConstraint("domain_id", "profile_id", "merge_id", name="pk_merge_history_profiles"),
    # What ON DELETE CASCADE looks rows up by when a domain's merges go.
    Index("ix_merge_history_profiles_merge", "merge_id"),
)

# Objects that could not be placed on a profile, kept for inspection and replay.
dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("domain_id", Integer, ForeignKey("domains.id", ondelete="CASCADE"), nullable=False),
    Column("object_type", String(255), nullable=False),
    Column("object", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UTC_DATETIME, nullable=False),
)

tags = Table(
    "tags",
    metadata,
    Column("account", String(12), primary_key=True),
    Column("resource_arn", String(1024), primary_key=True),
    Column("tag_key", String(128), primary_key=True),
    Column("tag_value", String(256), nullable=False),
)

# B2B Data Interchange trading-partner profiles: regional, like every b2bi resource.
b2bi_profiles = Table(
    "b2bi_profiles",
    metadata,
    Column("account", String(12), primary_key=True),
    Column("profile_id", String(64), primary_key=True),
    Column("region", String(32), nullable=False),
    Column("name", String(254), nullable=False),
    Column("email", String(254)),
    Column("phone", String(22), nullable=False),
    Column("business_name", String(254), nullable=False),
    Column("logging", String(16), nullable=False),
    Column("log_group_name", String(512)),
    # SHA-256 (hex) of CreateProfile's clientToken: the model sets no length limit on it.
    Column("client_token", String(256)),
    # SHA-256 (hex) of the CreateProfile parameters, so a replayed token can be told from a
    # reused one (ConflictException).
    Column("request_hash", String(64)),
    Column("created_at", UTC_DATETIME, nullable=False),
    Column("modified_at", UTC_DATETIME),
    Index("ix_b2bi_profiles_token", "account", "region", "client_token"),
)

# PutIntegration's integrations: one per (domain, Uri). ``definition`` holds the members stored
# as given (wire JSON: ObjectTypeNames, FlowDefinition, RoleArn, EventTriggerNames, Scope, ...);
# ``state`` what the flow runner keeps between runs (the next scheduled time, a source's
# watermark), as JSON.
integrations = Table(
    "integrations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("domain_id", Integer, ForeignKey("domains.id", ondelete="CASCADE"), nullable=False),
    Column("uri", String(255), nullable=False),
    Column("object_type_name", String(255)),
    Column("definition", Text, nullable=False),
    Column("hidden", Integer, nullable=False, server_default="0"),
    Column("state", Text, nullable=False, server_default="{}"),
    Column("next_run_at", UTC_DATETIME),
    Column("created_at", UTC_DATETIME, nullable=False),
    Column("updated_at", UTC_DATETIME, nullable=False),
    UniqueConstraint("domain_id", "uri", name="uq_integrations_domain_uri"),
    Index("ix_integrations_uri", "uri"),
    Index("ix_integrations_next_run", "next_run_at"),
)

# One row per flow run of an integration: what it read, stored and rejected (the first
# rejections' reasons as a JSON array), and how it ended.
integration_runs = Table(
    "integration_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("domain_id", Integer, ForeignKey("domains.id", ondelete="CASCADE"), nullable=False),
    Column(
        "integration_id",
        Integer,
        ForeignKey("integrations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("uri", String(255), nullable=False),
    Column("trigger", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("message", Text),
    Column("records_read", Integer, nullable=False, server_default="0"),
    Column("records_ingested", Integer, nullable=False, server_default="0"),
    Column("records_rejected", Integer, nullable=False, server_default="0"),
    Column("records_filtered", Integer, nullable=False, server_default="0"),
    Column("rejections", Text, nullable=False, server_default="[]"),
    Column("started_at", UTC_DATETIME, nullable=False),
    Column("ended_at", UTC_DATETIME),
    Index("ix_integration_runs_domain", "domain_id", "id"),
    Index("ix_integration_runs_status", "status"),
)

# What an integration's runs took from its source, so that nothing is taken twice: one row per
# source item (an S3 object: key and ETag), with the records of it already stored (``done``,
# committed with them) and whether it was taken whole.
integration_items = Table(
    "integration_items",
    metadata,
    Column(
        "integration_id",
        Integer,
        ForeignKey("integrations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("item", String(1024), primary_key=True),
    Column("version", String(256), primary_key=True),
    Column("done", Integer, nullable=False, server_default="0"),
    Column("complete", Integer, nullable=False, server_default="0"),
    Column("run_id", Integer),
    Column("updated_at", UTC_DATETIME, nullable=False),
)

# Identity resolution jobs (migration 0015). A job is a row so that a restarted server resumes
# or fails it: ``runner`` is the server process running it and ``heartbeat`` (Unix seconds,
# wall clock) when it last said so; a running job whose heartbeat is stale is an orphan.
# ``scheduled_for`` is the weekly JobSchedule slot a scheduled job is for (NULL for a job
# started on demand), unique per domain so that two servers on one database start it once.
identity_resolution_jobs = Table(
    "identity_resolution_jobs",
    metadata,
    Column("job_id", String(32), primary_key=True),
    Column("domain_id", Integer, ForeignKey("domains.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("origin", String(16), nullable=False),  # SCHEDULE, REQUEST (the extension), CLI
    Column("scheduled_for", UTC_DATETIME),
    Column("message", Text),
    Column("started_at", UTC_DATETIME, nullable=False),  # JobStartTime
    Column("ended_at", UTC_DATETIME),  # JobEndTime
    Column("updated_at", UTC_DATETIME, nullable=False),  # LastUpdatedAt
    Column("expires_at", UTC_DATETIME, nullable=False),  # JobExpirationTime
    # The domain's AutoMerging and ExportingConfig when the job started (wire JSON), and the
    # ExportingLocation it wrote to.
    Column("auto_merging", Text),
    Column("exporting_config", Text),
    Column("exporting_location", Text),
    Column("profiles_reviewed", Integer, nullable=False, server_default="0"),
    Column("matches_found", Integer, nullable=False, server_default="0"),
    Column("merges_done", Integer, nullable=False, server_default="0"),
    # When its last attempt began reading the domain: a profile changed before then is in
    # its groups, so the real-time matcher leaves it to the job.
    Column("read_from", UTC_DATETIME),
    # When the job's matches became the domain's (GetMatches' MatchGenerationDate); NULL once
    # a newer job's replace them.
    Column("matches_at", UTC_DATETIME),
    Column("runner", String(64)),
    Column("heartbeat", Integer),
    Column("attempts", Integer, nullable=False, server_default="0"),
    UniqueConstraint("domain_id", "scheduled_for", name="uq_identity_resolution_jobs_slot"),
    Index("ix_identity_resolution_jobs_domain", "domain_id", "started_at"),
    Index("ix_identity_resolution_jobs_status", "status"),
)

# Match groups (migration 0015): a job's, in the order GetMatches pages them (``position``:
# by confidence, highest first). GetMatches shows the groups of the one job of the domain whose
# identity_resolution_jobs.matches_at is set; a job writes its groups, then makes them the
# domain's (setting its matches_at, clearing the others'), then deletes the older ones.
matches = Table(
    "matches",
    metadata,
    Column("domain_id", Integer, ForeignKey("domains.id", ondelete="CASCADE"), nullable=False),
    Column("job_id", String(32), nullable=False),
    Column("position", Integer, nullable=False),
    Column("match_id", String(32), nullable=False),
    Column("profile_ids", Text, nullable=False),  # JSON array
    Column("confidence", Float, nullable=False),
    Column("created_at", UTC_DATETIME, nullable=False),
    PrimaryKeyConstraint("domain_id", "job_id", "position", name="pk_matches"),
)

# Real-time matching (migration 0016): each profile's blocking keys (resolution/blocking.py's
# match_keys), so a new or changed profile finds its candidates by index instead of a scan;
# kept for domains with Matching enabled. By key for the look-up, by profile to replace a
# profile's keys.
match_keys = Table(
    "match_keys",
    metadata,
    Column("domain_id", Integer, ForeignKey("domains.id", ondelete="CASCADE"), nullable=False),
    Column("match_key", String(512), nullable=False),
    Column("profile_id", String(32), nullable=False),
    PrimaryKeyConstraint("domain_id", "match_key", "profile_id", name="pk_match_keys"),
    Index("ix_match_keys_profile", "domain_id", "profile_id"),
)

# The model each domain's last job scored with (an engine's trained_model(), JSON), which the
# real-time matcher scores with; a domain without one uses the engine's shipped defaults.
resolution_models = Table(
    "resolution_models",
    metadata,
    Column("domain_id", Integer, ForeignKey("domains.id", ondelete="CASCADE"), primary_key=True),
    Column("model", Text, nullable=False),
    Column("job_id", String(32), nullable=False),
    Column("updated_at", UTC_DATETIME, nullable=False),
)

__all__ = [
    "b2bi_profiles",
    "dead_letters",
    "domains",
    "identity_resolution_jobs",
    "integration_items",
    "integration_runs",
    "integrations",
    "match_keys",
    "matches",
    "merge_history",
    "merge_history_profiles",
    "metadata",
    "object_types",
    "profile_keys",
    "profile_objects",
    "profiles",
    "resolution_models",
    "server_meta",
    "tags",
]

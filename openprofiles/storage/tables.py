"""SQLAlchemy Core tables: the schema every migration brings a database to.

Profiles keep their wire document as JSON text: the Profile shape grows with AWS releases
(ProfileType, EngagementPreferences, ...) and a document mirrors it without a migration per
release. What is queried lives in columns: the search keys in ``profile_keys``.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
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
)

# Every searchable key of every profile. origin 'standard': derived from the profile's own
# fields (_email, _phone, ...) and recomputed on each write; 'custom': AddProfileKey;
# 'object': extracted from an ingested object's keys.
profile_keys = Table(
    "profile_keys",
    metadata,
    Column("domain_id", Integer, ForeignKey("domains.id", ondelete="CASCADE"), nullable=False),
    Column("key_name", String(64), nullable=False),
    Column("key_value", String(1024), nullable=False),
    Column("profile_id", String(32), nullable=False),
    Column("origin", String(16), nullable=False),
    UniqueConstraint(
        "domain_id", "key_name", "key_value", "profile_id", "origin", name="uq_profile_keys"
    ),
    Index("ix_profile_keys_profile", "domain_id", "profile_id"),
)

tags = Table(
    "tags",
    metadata,
    Column("account", String(12), primary_key=True),
    Column("resource_arn", String(1024), primary_key=True),
    Column("tag_key", String(128), primary_key=True),
    Column("tag_value", String(256), nullable=False),
)

b2bi_profiles = Table(
    "b2bi_profiles",
    metadata,
    Column("account", String(12), primary_key=True),
    Column("profile_id", String(64), primary_key=True),
    Column("name", String(254), nullable=False),
    Column("email", String(254)),
    Column("phone", String(22), nullable=False),
    Column("business_name", String(254), nullable=False),
    Column("logging", String(16), nullable=False),
    Column("log_group_name", String(512)),
    Column("client_token", String(256)),
    Column("created_at", UTC_DATETIME, nullable=False),
    Column("modified_at", UTC_DATETIME),
    Index("ix_b2bi_profiles_token", "account", "client_token"),
)

__all__ = [
    "b2bi_profiles",
    "domains",
    "metadata",
    "profile_keys",
    "profiles",
    "server_meta",
    "tags",
]

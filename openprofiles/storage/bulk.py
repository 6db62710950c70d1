"""Settings for a bulk load (``openprofiles import``) on the database it writes to."""

from __future__ import annotations

from openprofiles.storage.database import Database

# Page cache of the write connection during a bulk load. Each batch inserts into indexes keyed
# by values spread over the whole domain (emails, phone numbers); once those indexes outgrow
# the cache, every insert reads its leaf page back from the file. 256 MiB holds the hot indexes
# of about a million objects and keeps the import well under its 1 GiB memory budget.
BULK_WRITE_CACHE_KIB = 262_144


def prepare_bulk_writes(database: Database, cache_kib: int = BULK_WRITE_CACHE_KIB) -> None:
    """SQLite: give the write connection a larger page cache for the rest of its life.

    Durability is unchanged: every batch still commits with the database's synchronous setting.
    """
    if database.dialect != "sqlite":
        return
    with database.write() as conn:
        conn.exec_driver_sql(f"PRAGMA cache_size=-{int(cache_kib)}")

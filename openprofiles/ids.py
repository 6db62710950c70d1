"""Identifier generation, in one place."""

from __future__ import annotations

import secrets
import time
import uuid


def new_profile_id() -> str:
    """A Customer Profiles profile id: 32 lowercase hex characters.

    Time-ordered (48 bits of milliseconds, then 80 random bits, as UUIDv7 does): new profiles
    land at the end of every index on profile_id instead of at random pages, which keeps bulk
    ingestion's insert rate flat as a domain grows.
    """
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


def new_request_id() -> str:
    return str(uuid.uuid4())


def new_b2bi_id(prefix: str) -> str:
    """A b2bi resource id such as ``p-`` followed by 17 alphanumerics, as AWS mints them."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(17))

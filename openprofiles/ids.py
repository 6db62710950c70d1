"""Identifier generation, in one place."""

from __future__ import annotations

import os
import secrets
import threading
import time
import uuid

# Random hex for profile ids, drawn from the OS in blocks: one getrandom() call per profile id
# was 4% of a bulk import. 2,048 bytes make 204 ids.
_RANDOM_BLOCK_BYTES = 2048
_PROFILE_RANDOM_HEX = 20  # 80 bits
_random_hex = ""
_random_used = 0
_random_lock = threading.Lock()


def _forget_random_hex() -> None:
    global _random_hex, _random_used
    _random_hex, _random_used = "", 0  # a forked child must not hand out its parent's ids


os.register_at_fork(after_in_child=_forget_random_hex)


def new_profile_id() -> str:
    """A Customer Profiles profile id: 32 lowercase hex characters.

    Time-ordered (48 bits of milliseconds, then 80 random bits, as UUIDv7 does): new profiles
    land at the end of every index on profile_id instead of at random pages, which keeps bulk
    ingestion's insert rate flat as a domain grows.
    """
    global _random_hex, _random_used
    with _random_lock:
        start = _random_used
        if start + _PROFILE_RANDOM_HEX > len(_random_hex):
            _random_hex, start = os.urandom(_RANDOM_BLOCK_BYTES).hex(), 0
        _random_used = start + _PROFILE_RANDOM_HEX
        random_part = _random_hex[start : start + _PROFILE_RANDOM_HEX]
    return f"{time.time_ns() // 1_000_000:012x}{random_part}"


def new_merge_id() -> str:
    """A merge's id (merge history): 32 lowercase hex characters, time-ordered as profile ids
    are, so that a domain's merges list oldest first in id order."""
    return new_profile_id()


def new_request_id() -> str:
    return str(uuid.uuid4())


def new_b2bi_id(prefix: str) -> str:
    """A b2bi resource id such as ``p-`` followed by 17 alphanumerics, as AWS mints them."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(17))


def new_job_id(at_ms: int) -> str:
    """An identity resolution job id: 32 lowercase hex characters, ordered by ``at_ms`` (the
    job's start, Unix milliseconds) then random, so that listing by id lists by JobStartTime."""
    return f"{at_ms:012x}{secrets.token_hex(10)}"


def new_match_id() -> str:
    """A match group's id: 32 lowercase hex characters."""
    return uuid.uuid4().hex

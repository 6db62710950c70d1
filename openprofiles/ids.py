"""Identifier generation, in one place."""

from __future__ import annotations

import secrets
import uuid


def new_profile_id() -> str:
    """A Customer Profiles profile id: 32 lowercase hex characters."""
    return uuid.uuid4().hex


def new_request_id() -> str:
    return str(uuid.uuid4())


def new_b2bi_id(prefix: str) -> str:
    """A b2bi resource id such as ``p-`` followed by 17 alphanumerics, as AWS mints them."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(17))

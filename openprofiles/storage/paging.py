"""Paging, in one place: opaque, signed NextTokens over keyset pagination.

A token names the last row a page returned (its sort key), the request it belongs to (its
scope, from :func:`request_scope`) and when it was issued, signed with a per-database secret.
Keyset pages stay stable while rows are inserted (no row is skipped or repeated), and a token
that was forged, altered, used with other parameters or is older than a day is refused with a
400 naming NextToken. The page size is not one of those parameters: see :func:`request_scope`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    bindparam,
    insert,
    select,
    tuple_,
)
from sqlalchemy.exc import IntegrityError

from openprofiles.clock import Clock
from openprofiles.errors import invalid
from openprofiles.storage.database import Database
from openprofiles.storage.tables import server_meta

TOKEN_MAX_AGE = timedelta(hours=24)
_SECRET_NAME = "paging_token_secret"


def load_secret(database: Database) -> bytes:
    """The database's paging secret, created on first use (shared by every server on it)."""
    with database.read() as conn:
        value = conn.scalar(select(server_meta.c.value).where(server_meta.c.name == _SECRET_NAME))
    if value is None:
        try:
            with database.write() as conn:
                conn.execute(
                    insert(server_meta).values(name=_SECRET_NAME, value=secrets.token_hex(32))
                )
        except IntegrityError:
            pass  # another server created it first
        with database.read() as conn:
            value = conn.scalar(
                select(server_meta.c.value).where(server_meta.c.name == _SECRET_NAME)
            )
    assert value is not None
    return bytes.fromhex(value)


def request_scope(operation: str, *parameters: Any) -> str:
    """The scope of ``operation``'s tokens: the operation and its request's parameters (JSON
    values; the caller's account and region among them), every one but the page size.

    So a token continues its listing when only MaxResults changes between pages, which is
    harmless with keyset pages and which clients do (the AWS CLI's ``--page-size`` with
    ``--max-items``), and is refused when any other parameter changes.
    """
    return json.dumps([operation, *parameters], sort_keys=True, separators=(",", ":"))


class Pager:
    def __init__(self, secret: bytes, clock: Clock) -> None:
        self._secret = secret
        self._clock = clock

    def _sign(self, payload: bytes) -> str:
        digest = hmac.new(self._secret, payload, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def encode(self, scope: str, last_key: Sequence[Any]) -> str:
        body = {
            "s": hashlib.sha256(scope.encode()).hexdigest()[:16],
            "k": list(last_key),
            "t": int(self._clock.now().timestamp()),
        }
        payload = json.dumps(body, separators=(",", ":")).encode()
        encoded = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return f"{encoded}.{self._sign(payload)}"

    def decode(self, token: str | None, scope: str) -> list[Any] | None:
        """The sort key after which the next page starts; None for the first page."""
        if token is None:
            return None
        try:
            encoded, signature = token.split(".", 1)
            payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError:
            raise _bad_token("it is not a token this server issued") from None
        if not hmac.compare_digest(signature, self._sign(payload)):
            raise _bad_token("it is not a token this server issued")
        body = json.loads(payload)
        if body.get("s") != hashlib.sha256(scope.encode()).hexdigest()[:16]:
            raise _bad_token("it was issued for a different request")
        age = self._clock.now().timestamp() - float(body.get("t", 0))
        if age > TOKEN_MAX_AGE.total_seconds():
            raise _bad_token("it has expired; start again without NextToken")
        key = body.get("k")
        if not isinstance(key, list):
            raise _bad_token("it is not a token this server issued")
        return key

    def page(
        self,
        conn: Connection,
        query: Select[Any] | PagedQuery,
        order_by: Sequence[ColumnElement[Any]] = (),
        *,
        scope: str,
        token: str | None,
        limit: int,
        params: dict[str, Any] | None = None,
    ) -> tuple[list[Row[Any]], str | None]:
        """Run ``query`` ordered by ``order_by`` (unique together), one page of ``limit`` rows.

        The rows must expose the ``order_by`` columns under their own names. A query run
        often is better built once with :func:`paged` and run with ``params``.
        """
        paged_query = query if isinstance(query, PagedQuery) else paged(query, order_by)
        after = self.decode(token, scope)
        values = {**(params or {}), _LIMIT: limit + 1}
        if after is None:
            statement = paged_query.first
        else:
            if len(after) != len(paged_query.keys):
                raise _bad_token("it was issued for a different request")
            statement = paged_query.following
            values.update({f"{_AFTER}{i}": v for i, v in enumerate(after)})
        rows = list(conn.execute(statement, values))
        if len(rows) <= limit:
            return rows, None
        rows = rows[:limit]
        last = rows[-1]._mapping
        return rows, self.encode(scope, [last[n] for n in paged_query.keys])


_LIMIT = "page_limit"
_AFTER = "page_after_"


@dataclass(frozen=True)
class PagedQuery:
    """A query prepared for keyset paging: its first-page and following-page statements."""

    first: Select[Any]
    following: Select[Any]
    keys: tuple[str, ...]


def paged(
    query: Select[Any], order_by: Sequence[ColumnElement[Any]], *, descending: bool = False
) -> PagedQuery:
    """Prepare ``query`` for :meth:`Pager.page`: build it once when it runs often.
    ``descending``: pages run from the highest key down (newest first)."""
    after: list[Any] = [bindparam(f"{_AFTER}{i}") for i in range(len(order_by))]
    left: Any = order_by[0] if len(order_by) == 1 else tuple_(*order_by)
    right: Any = after[0] if len(order_by) == 1 else tuple_(*after)
    condition = left < right if descending else left > right
    ordered = query.order_by(*(c.desc() for c in order_by) if descending else order_by)
    return PagedQuery(
        first=ordered.limit(bindparam(_LIMIT)),
        following=ordered.where(condition).limit(bindparam(_LIMIT)),
        keys=tuple(str(getattr(c, "key", "")) for c in order_by),
    )


def _bad_token(reason: str) -> Exception:
    return invalid(f"Invalid NextToken: {reason}.")

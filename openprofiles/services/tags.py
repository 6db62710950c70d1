"""Tags on Customer Profiles resources (domains, object types, integrations, ...)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection

from openprofiles.arns import parse_arn
from openprofiles.context import Caller
from openprofiles.errors import ErrorKind, ServiceError, invalid, not_found
from openprofiles.quotas import quota
from openprofiles.storage.database import Database
from openprofiles.storage.repositories import tags as repo

# Whether the resource an ARN names exists, by the first segment of its resource part
# ("domains", ...): other services register theirs.
ResourceCheck = Callable[[Connection, Caller, str], bool]


class TagService:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._checks: dict[str, ResourceCheck] = {}
        self._limits: dict[str, int] = {}

    def register(self, service: str, check: ResourceCheck, max_tags: int | None = None) -> None:
        """Let TagResource on ``service`` ARNs (e.g. ``profile``, ``b2bi``) check existence;
        ``max_tags`` when that service allows other than ``tags_per_resource`` tags."""
        self._checks[service] = check
        if max_tags is not None:
            self._limits[service] = max_tags

    def _require(self, conn: Connection, caller: Caller, arn: str) -> None:
        parsed = parse_arn(arn)
        if parsed is None:
            raise invalid(f"Value '{arn}' at 'resourceArn' is not a valid ARN.")
        if parsed.account != caller.account:
            raise ServiceError(
                ErrorKind.ACCESS_DENIED,
                f"The resource {arn} belongs to another account.",
            )
        check = self._checks.get(parsed.service)
        if check is None or not check(conn, caller, arn):
            raise not_found(f"Resource {arn} does not exist.")

    def get_tags(self, conn: Connection, caller: Caller, arn: str) -> dict[str, str]:
        return repo.get(conn, caller.account, arn)

    def set_tags(
        self, conn: Connection, caller: Caller, arn: str, tags: dict[str, str]
    ) -> dict[str, str]:
        """Merge ``tags`` into the resource's tags, within the 50-tag limit; the result."""
        for key in tags:
            if key.lower().startswith("aws:"):
                raise invalid(f"Tag key '{key}' at 'tags' must not start with 'aws:' (reserved).")
        current = repo.get(conn, caller.account, arn)
        merged = {**current, **tags}
        parsed = parse_arn(arn)
        limit = self._limits.get(parsed.service if parsed else "") or quota("tags_per_resource")
        if len(merged) > limit:
            raise invalid(
                f"A resource can have at most {limit} tags; this request would leave it "
                f"with {len(merged)}."
            )
        repo.put(conn, caller.account, arn, tags)
        return merged

    def drop_resource(self, conn: Connection, caller: Caller, arn: str) -> None:
        repo.remove_all(conn, caller.account, arn)

    # Operations -------------------------------------------------------------------------
    def tag(self, caller: Caller, arn: str, tags: dict[str, str]) -> None:
        with self.database.write() as conn:
            self._require(conn, caller, arn)
            self.set_tags(conn, caller, arn, tags)

    def untag(self, caller: Caller, arn: str, keys: list[str]) -> None:
        with self.database.write() as conn:
            self._require(conn, caller, arn)
            repo.remove(conn, caller.account, arn, keys)

    def list(self, caller: Caller, arn: str) -> dict[str, str]:
        with self.database.read() as conn:
            self._require(conn, caller, arn)
            return repo.get(conn, caller.account, arn)

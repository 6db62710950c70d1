"""B2B Data Interchange trading-partner profiles, with AWS semantics.

Profiles are regional like every b2bi resource: an account has at most
``b2bi_profiles_per_account`` of them in each region (AWS documents "Profiles: each supported
Region: 5"). CreateProfile is idempotent on its clientToken: a replay with the same parameters
returns the profile the token created, a reuse with other parameters is a ConflictException.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from openprofiles import arns
from openprofiles.arns import parse_arn
from openprofiles.clock import Clock
from openprofiles.context import Caller
from openprofiles.errors import conflict, invalid, not_found, quota
from openprofiles.ids import new_b2bi_id
from openprofiles.quotas import quota as quota_limit
from openprofiles.services.tags import TagService
from openprofiles.storage.database import Database
from openprofiles.storage.paging import Pager, request_scope
from openprofiles.storage.repositories import b2bi_profiles as repo
from openprofiles.storage.repositories.b2bi_profiles import B2biProfileRecord

LOGGING_ENABLED = "ENABLED"
# The log group b2bi creates for a profile with logging on (AWS B2B Data Interchange User
# Guide, "Monitoring AWS B2B Data Interchange with Amazon CloudWatch").
LOG_GROUP_PREFIX = "/aws/vendedlogs/b2bi/profile/"
# ServiceQuotaExceededException members. AWS does not publish the Service Quotas code of the
# profiles quota, so quotaCode names ours (openprofiles/quotas.json) rather than invent an L- code.
QUOTA_NAME = "b2bi_profiles_per_account"
RESOURCE_TYPE = "profile"
SERVICE_CODE = "b2bi"


@dataclass(frozen=True)
class ProfileDetails:
    """What CreateProfile sets (logging cannot change afterwards)."""

    name: str
    phone: str
    business_name: str
    logging: str
    email: str | None = None


def profile_arn(record: B2biProfileRecord) -> str:
    return arns.b2bi_profile_arn(Caller(record.account, record.region), record.profile_id)


def profile_arn_exists(conn: Connection, caller: Caller, arn: str) -> bool:
    """TagService check for ``arn:aws:b2bi:{region}:{account}:profile/{id}``."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != SERVICE_CODE:
        return False
    kind, _, profile_id = parsed.resource.partition("/")
    if kind != RESOURCE_TYPE or not profile_id:
        return False
    return repo.find(conn, caller.account, parsed.region, profile_id) is not None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _fingerprint(details: ProfileDetails, tags: dict[str, str]) -> str:
    """The CreateProfile parameters a clientToken replay must repeat exactly."""
    document = {**dataclasses.asdict(details), "tags": sorted(tags.items())}
    return _digest(json.dumps(document, sort_keys=True, separators=(",", ":")))


class B2biProfileService:
    def __init__(self, database: Database, clock: Clock, pager: Pager, tags: TagService) -> None:
        self.database = database
        self.clock = clock
        self.pager = pager
        self.tags = tags

    def create(
        self,
        caller: Caller,
        details: ProfileDetails,
        client_token: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> B2biProfileRecord:
        """A new profile, or the one ``client_token`` already created with these parameters."""
        tags = tags or {}
        fingerprint = _fingerprint(details, tags)
        token = _digest(client_token) if client_token is not None else None
        with self.database.write() as conn:
            # Held to the end of the transaction: the token lookup, the quota count and the
            # insert below are one step for concurrent creates in this account and region.
            repo.lock_creates(conn, caller.account, caller.region)
            if token is not None:
                found = repo.find_by_token(conn, caller.account, caller.region, token)
                if found is not None:
                    record, stored = found
                    if stored != fingerprint:
                        raise conflict(
                            f"The clientToken was already used to create profile "
                            f"{record.profile_id} with different parameters; use a new "
                            f"clientToken for a new profile."
                        )
                    return record
            limit = quota_limit(QUOTA_NAME)
            if repo.count(conn, caller.account, caller.region) >= limit:
                raise quota(
                    f"You have reached the maximum number of profiles ({limit}) for account "
                    f"{caller.account} in {caller.region}; delete one to create another.",
                    resourceId=caller.account,
                    resourceType=RESOURCE_TYPE,
                    serviceCode=SERVICE_CODE,
                    quotaCode=QUOTA_NAME,
                )
            profile_id = new_b2bi_id("p-")
            record = B2biProfileRecord(
                account=caller.account,
                region=caller.region,
                profile_id=profile_id,
                name=details.name,
                email=details.email,
                phone=details.phone,
                business_name=details.business_name,
                logging=details.logging,
                log_group_name=(
                    LOG_GROUP_PREFIX + profile_id if details.logging == LOGGING_ENABLED else None
                ),
                created_at=self.clock.now(),
                modified_at=None,
            )
            repo.create(conn, record, token, fingerprint if token is not None else None)
            if tags:
                self.tags.set_tags(conn, caller, profile_arn(record), tags)
        return record

    def get(self, caller: Caller, profile_id: str) -> B2biProfileRecord:
        with self.database.read() as conn:
            return _require(conn, caller, profile_id)

    def list(
        self, caller: Caller, max_results: int | None, token: str | None
    ) -> tuple[list[B2biProfileRecord], str | None]:
        """One page of the caller's profiles (by profile id) and the next token."""
        limit = max_results or quota_limit("list_max_results_default")
        scope = request_scope("b2bi:ListProfiles", caller.account, caller.region)
        with self.database.read() as conn:
            rows, next_token = self.pager.page(
                conn,
                repo.list_query(caller.account, caller.region),
                [repo.order_key],
                scope=scope,
                token=token,
                limit=limit,
            )
        return repo.records(rows), next_token

    def update(
        self,
        caller: Caller,
        profile_id: str,
        *,
        name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        business_name: str | None = None,
    ) -> B2biProfileRecord:
        """Change the members given (absent ones keep their value); sets modifiedAt."""
        with self.database.write() as conn:
            record = _require(conn, caller, profile_id)
            record = dataclasses.replace(
                record,
                name=record.name if name is None else name,
                email=record.email if email is None else email,
                phone=record.phone if phone is None else phone,
                business_name=record.business_name if business_name is None else business_name,
                modified_at=self.clock.now(),
            )
            repo.save(conn, record)
        return record

    def delete(self, caller: Caller, profile_id: str) -> None:
        with self.database.write() as conn:
            record = _require(conn, caller, profile_id)
            repo.remove(conn, caller.account, caller.region, profile_id)
            self.tags.drop_resource(conn, caller, profile_arn(record))

    # Tags on b2bi ARNs: the shared tag store, limited to this service's resources -----------
    def tag(self, caller: Caller, arn: str, tags: dict[str, str]) -> None:
        self.tags.tag(caller, _b2bi_arn(arn), tags)

    def untag(self, caller: Caller, arn: str, keys: Sequence[str]) -> None:
        self.tags.untag(caller, _b2bi_arn(arn), [*keys])

    def list_tags(self, caller: Caller, arn: str) -> dict[str, str]:
        return self.tags.list(caller, _b2bi_arn(arn))


def _require(conn: Connection, caller: Caller, profile_id: str) -> B2biProfileRecord:
    record = repo.find(conn, caller.account, caller.region, profile_id)
    if record is None:
        raise not_found(f"Profile {profile_id} does not exist.")
    return record


def _b2bi_arn(arn: str) -> str:
    """``arn`` when it names a B2B Data Interchange resource; otherwise ValidationException."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != SERVICE_CODE:
        raise invalid(
            f"Value '{arn}' at 'ResourceARN' is not a B2B Data Interchange resource ARN "
            f"(arn:aws:b2bi:REGION:ACCOUNT:profile/ID)."
        )
    return arn

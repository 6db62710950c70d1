"""Every service, wired to one database and clock; what handlers reach through the context."""

from __future__ import annotations

from sqlalchemy import Connection

from openprofiles.arns import parse_arn
from openprofiles.clock import Clock, SystemClock
from openprofiles.config import Settings
from openprofiles.context import Caller
from openprofiles.services.b2bi_profiles import B2biProfileService, profile_arn_exists
from openprofiles.services.domains import DomainService
from openprofiles.services.profiles import ProfileService
from openprofiles.services.quotas import quota
from openprofiles.services.search import SearchService
from openprofiles.services.tags import TagService
from openprofiles.storage.database import Database
from openprofiles.storage.paging import Pager, load_secret
from openprofiles.storage.repositories import domains as domain_repo


class Services:
    def __init__(self, database: Database, settings: Settings, clock: Clock | None = None) -> None:
        self.database = database
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        secret = settings.token_secret.encode() if settings.token_secret else load_secret(database)
        self.pager = Pager(secret, self.clock)
        self.tags = TagService(database)
        self.domains = DomainService(database, self.clock, self.pager, self.tags)
        self.profiles = ProfileService(database, self.clock)
        self.search = SearchService(database, self.pager)
        self.tags.register("profile", _profile_resource_exists)
        self.b2bi = B2biProfileService(database, self.clock, self.pager, self.tags)
        self.tags.register("b2bi", profile_arn_exists, quota("b2bi_tags_per_resource"))


def _profile_resource_exists(conn: Connection, caller: Caller, arn: str) -> bool:
    """Customer Profiles ARNs: ``domains/NAME`` and what lies under a domain."""
    parsed = parse_arn(arn)
    if parsed is None:
        return False
    parts = parsed.resource.split("/")
    if len(parts) < 2 or parts[0] != "domains":
        return False
    return domain_repo.find(conn, caller.account, parsed.region, parts[1]) is not None

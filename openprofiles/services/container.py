"""Every service, wired to one database and clock; what handlers reach through their
RequestContext (handlers/context.py)."""

from __future__ import annotations

from sqlalchemy import Connection

from openprofiles.arns import parse_arn
from openprofiles.clock import Clock, SystemClock
from openprofiles.config import Settings
from openprofiles.context import Caller
from openprofiles.services.b2bi_profiles import B2biProfileService, profile_arn_exists
from openprofiles.services.contact_records import ContactRecordService
from openprofiles.services.dead_letters import DeadLetterService
from openprofiles.services.domains import DomainService
from openprofiles.services.export import ExportService
from openprofiles.services.integration_runs import FlowRunner
from openprofiles.services.integrations import IntegrationService
from openprofiles.services.jobs import JobService
from openprofiles.services.matches import MatchService
from openprofiles.services.merges import MergeService
from openprofiles.services.object_types import ObjectTypeService
from openprofiles.services.objects import ObjectService
from openprofiles.services.profile_view import ProfileViewService
from openprofiles.services.profiles import ProfileService
from openprofiles.services.quotas import quota
from openprofiles.services.search import SearchService
from openprofiles.services.tags import TagService
from openprofiles.storage.database import Database
from openprofiles.storage.paging import Pager, load_secret
from openprofiles.storage.repositories import domains as domain_repo
from openprofiles.storage.repositories import integrations as integration_repo
from openprofiles.storage.repositories import object_types as object_type_repo


class Services:
    def __init__(self, database: Database, settings: Settings, clock: Clock | None = None) -> None:
        self.database = database
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        secret = settings.token_secret.encode() if settings.token_secret else load_secret(database)
        self.secret = secret  # the server's own secret; the console derives its cookie key
        self.pager = Pager(secret, self.clock)
        self.tags = TagService(database)
        self.domains = DomainService(database, self.clock, self.pager, self.tags)
        self.profiles = ProfileService(database, self.clock)
        self.profile_view = ProfileViewService(database, self.clock)
        self.search = SearchService(database, self.clock, self.pager)
        self.object_types = ObjectTypeService(database, self.clock, self.pager, self.tags)
        self.dead_letters = DeadLetterService(database, self.clock, self.pager)
        self.objects = ObjectService(
            database, self.clock, self.pager, self.object_types, self.dead_letters
        )
        self.merges = MergeService(database, self.clock, self.pager)
        self.integrations = IntegrationService(
            database, self.clock, self.pager, self.tags, self.object_types
        )
        self.flows = FlowRunner(
            database,
            self.clock,
            self.pager,
            self.objects,
            self.object_types,
            settings.s3_endpoint_url,
            settings.connector_profiles,
        )
        self.contact_records = ContactRecordService(database, self.clock, self.objects)
        self.search.expand_values = self.object_types.search_values
        self.export = ExportService(database, self.clock)
        self.tags.register("profile", _profile_resource_exists)
        self.b2bi = B2biProfileService(database, self.clock, self.pager, self.tags)
        self.tags.register("b2bi", profile_arn_exists, quota("b2bi_tags_per_resource"))
        self.jobs = JobService(database, self.clock, self.pager)
        self.matches = MatchService(database, self.clock, self.pager)


def _profile_resource_exists(conn: Connection, caller: Caller, arn: str) -> bool:
    """Customer Profiles ARNs: ``domains/NAME``, ``domains/NAME/object-types/TYPE`` and what
    else lies under a domain."""
    parsed = parse_arn(arn)
    if parsed is None:
        return False
    parts = parsed.resource.split("/", 3)
    if len(parts) < 2 or parts[0] != "domains":
        return False
    domain = domain_repo.find(conn, caller.account, parsed.region, parts[1])
    if domain is None:
        return False
    if len(parts) >= 3 and parts[2] == "object-types":
        return (
            len(parts) == 4
            and "/" not in parts[3]
            and object_type_repo.find(conn, domain.id, parts[3]) is not None
        )
    if len(parts) >= 3 and parts[2] == "integrations":
        # The Uri follows as it is, "/" and all (arns.integration_arn).
        return len(parts) == 4 and integration_repo.find(conn, domain.id, parts[3]) is not None
    return True

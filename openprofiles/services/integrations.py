"""Integrations (PutIntegration, GetIntegration, ListIntegrations, DeleteIntegration,
ListAccountIntegrations) with AWS's rules; their flows run in ``services/integration_runs.py``.

An integration ties a source (its Uri: an AppFlow flow's ARN, an Amazon Connect instance, ...)
to a domain and an object type. With a FlowDefinition and no Uri, the Uri is the flow's ARN
``arn:aws:appflow:{region}:{account}:flow/{FlowName}``. Exactly one of ObjectTypeName (every
record) and ObjectTypeNames (an object type per event type) is given, and each type must
exist in the domain; ``_unstructured`` stands for "no object type" with a FlowDefinition
(IsUnstructured). Integrations are tagged as ``arn:aws:profile:{region}:{account}:domains/
{DomainName}/integrations/{Uri}``.
"""

from __future__ import annotations

import builtins
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection

from openprofiles import arns
from openprofiles.clock import Clock
from openprofiles.context import Caller
from openprofiles.errors import invalid, not_found, quota
from openprofiles.integrations.flow import check_flow, flow_arn
from openprofiles.integrations.schedule import Schedule
from openprofiles.quotas import quota as quota_limit
from openprofiles.services.domains import require_domain
from openprofiles.services.object_types import ObjectTypeService
from openprofiles.services.tags import TagService
from openprofiles.storage.database import Database
from openprofiles.storage.paging import Pager, request_scope
from openprofiles.storage.repositories import integrations as repo
from openprofiles.storage.repositories.integrations import IntegrationRecord

UNSTRUCTURED: Final = "_unstructured"
# ObjectTypeNames' event types, as PutIntegration's documentation lists them.
EVENT_TYPES: Final = (
    "SegmentIdentify", "ShopifyCreateCustomers", "ShopifyUpdateCustomers",
    "ShopifyCreateDraftOrders", "ShopifyUpdateDraftOrders", "ShopifyCreateOrders",
    "ShopifyUpdatedOrders",
)  # fmt: skip
_STORED: Final = ("ObjectTypeNames", "FlowDefinition", "RoleArn", "EventTriggerNames", "Scope")


def integration_arn(caller: Caller, domain: str, uri: str) -> str:
    return arns.integration_arn(caller, domain, uri)


def _plain(value: Any) -> Any:
    """Wire values as JSON: timestamps as epoch seconds."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def next_scheduled_run(record_definition: dict[str, Any], after: datetime) -> datetime | None:
    """When the integration's Scheduled flow runs next after ``after``; None if it does not."""
    flow = record_definition.get("FlowDefinition")
    if not flow or flow["TriggerConfig"]["TriggerType"] != "Scheduled":
        return None
    scheduled = flow["TriggerConfig"]["TriggerProperties"]["Scheduled"]
    anchor = datetime.fromtimestamp(float(record_definition.get("_anchor", 0)), UTC)
    return Schedule.of(scheduled, anchor).next_after(after)


def to_wire(domain: str, record: IntegrationRecord, tags: dict[str, str]) -> dict[str, Any]:
    """The integration as GetIntegration (and the listings' items) answer it."""
    definition = record.definition
    wire: dict[str, Any] = {
        "DomainName": domain,
        "Uri": record.uri,
        "CreatedAt": record.created_at,
        "LastUpdatedAt": record.updated_at,
        "Scope": definition.get("Scope") or "PROFILE",
        "IsUnstructured": record.object_type_name == UNSTRUCTURED,
    }
    if record.object_type_name:
        wire["ObjectTypeName"] = record.object_type_name
    for member in ("ObjectTypeNames", "RoleArn", "EventTriggerNames", "WorkflowId"):
        if definition.get(member):
            wire[member] = definition[member]
    if tags:
        wire["Tags"] = tags
    return wire


class IntegrationService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        pager: Pager,
        tags: TagService,
        object_types: ObjectTypeService,
    ) -> None:
        self.database = database
        self.clock = clock
        self.pager = pager
        self.tags = tags
        self.object_types = object_types

    # --- operations -----------------------------------------------------------------------------
    def put(
        self, caller: Caller, domain: str, params: dict[str, Any]
    ) -> tuple[IntegrationRecord, dict[str, str]]:
        flow_definition = params.get("FlowDefinition")
        flow = check_flow(flow_definition) if flow_definition else None
        uri = params.get("Uri")
        if not uri:
            if flow is None:
                raise invalid(
                    "Uri: give the Uri of the data source, or a FlowDefinition (the flow's "
                    "ARN then becomes the Uri)"
                )
            uri = flow_arn(caller.region, caller.account, flow.name)
        type_name = params.get("ObjectTypeName")
        type_names: dict[str, str] | None = params.get("ObjectTypeNames")
        if type_name and type_names:
            raise invalid(
                "ObjectTypeNames: give ObjectTypeName (one object type for every record) or "
                "ObjectTypeNames (one per event type), not both"
            )
        if not type_name and not type_names:
            raise invalid("ObjectTypeName: an integration needs ObjectTypeName or ObjectTypeNames")
        for event in type_names or {}:
            if event not in EVENT_TYPES:
                raise invalid(
                    f"ObjectTypeNames.{event}: not a supported event type; use one of "
                    f"{', '.join(EVENT_TYPES)}"
                )
        if type_name == UNSTRUCTURED and flow is None:
            raise invalid(
                f"ObjectTypeName: {UNSTRUCTURED} is for flows without an object type; give a "
                "FlowDefinition with it"
            )
        if type_names and flow is not None:
            raise invalid(
                "ObjectTypeNames: event types come from an event source (Segment, Shopify); a "
                "FlowDefinition's records take ObjectTypeName"
            )
        now = self.clock.now()
        stored = {m: _plain(params[m]) for m in _STORED if params.get(m) is not None}
        with self.database.write() as conn:
            record = require_domain(conn, caller, domain)
            wanted = [type_name] if type_name else list((type_names or {}).values())
            for i, name in enumerate(wanted):
                if name == UNSTRUCTURED or self.object_types.exists(conn, record.id, name):
                    continue
                events = list(type_names or {})
                member = "ObjectTypeName" if type_name else f"ObjectTypeNames.{events[i]}"
                raise invalid(
                    f"{member}: object type {name} does not exist in domain {domain}; create it "
                    "with PutProfileObjectType first"
                )
            existing = repo.find(conn, record.id, uri)
            if existing is None:
                limit = quota_limit("integrations_per_domain")
                count = repo.count(conn, record.id)
                if count >= limit:
                    raise quota(
                        f"Uri: domain {domain} already has {count} integrations, the quota of "
                        f"{limit} integrations per domain"
                    )
            # A rate counts from when the integration was first put (without a
            # ScheduleStartTime), so putting it again does not move its runs.
            previous = existing.definition.get("_anchor") if existing else None
            stored["_anchor"] = previous or now.timestamp()
            if existing and existing.definition.get("WorkflowId"):
                stored["WorkflowId"] = existing.definition["WorkflowId"]
            next_run = next_scheduled_run(stored, now)
            saved = repo.save(conn, record.id, uri, type_name, stored, next_run, now)
            arn = integration_arn(caller, domain, uri)
            tags = params.get("Tags")
            stored_tags = (
                self.tags.set_tags(conn, caller, arn, tags)
                if tags
                else self.tags.get_tags(conn, caller, arn)
            )
        return saved, stored_tags

    def get(
        self, caller: Caller, domain: str, uri: str
    ) -> tuple[IntegrationRecord, dict[str, str]]:
        with self.database.read() as conn:
            record = require_domain(conn, caller, domain)
            found = self.require(conn, record.id, domain, uri)
            tags = self.tags.get_tags(conn, caller, integration_arn(caller, domain, uri))
        return found, tags

    @staticmethod
    def require(conn: Connection, domain_id: int, domain: str, uri: str) -> IntegrationRecord:
        found = repo.find(conn, domain_id, uri)
        if found is None:
            raise not_found(f"Integration {uri} does not exist in domain {domain}.")
        return found

    def list(
        self,
        caller: Caller,
        domain: str,
        max_results: int | None,
        token: str | None,
        include_hidden: bool,
    ) -> tuple[builtins.list[dict[str, Any]], str | None]:
        limit = max_results or quota_limit("list_max_results_default")
        scope = request_scope(
            "ListIntegrations", caller.account, caller.region, domain, include_hidden
        )
        with self.database.read() as conn:
            record = require_domain(conn, caller, domain)
            query = repo.list_query(record.id, include_hidden)
            rows, next_token = self.pager.page(
                conn, query, [query.selected_columns.uri], scope=scope, token=token, limit=limit
            )
            items = []
            for row in rows:
                found = repo.record_of(row)
                tags = self.tags.get_tags(conn, caller, integration_arn(caller, domain, found.uri))
                items.append(to_wire(domain, found, tags))
        return items, next_token

    def list_account(
        self,
        caller: Caller,
        uri: str,
        max_results: int | None,
        token: str | None,
        include_hidden: bool,
    ) -> tuple[builtins.list[dict[str, Any]], str | None]:
        limit = max_results or quota_limit("list_max_results_default")
        scope = request_scope(
            "ListAccountIntegrations", caller.account, caller.region, uri, include_hidden
        )
        with self.database.read() as conn:
            query = repo.account_query(caller.account, caller.region, uri, include_hidden)
            rows, next_token = self.pager.page(
                conn, query, [query.selected_columns.id], scope=scope, token=token, limit=limit
            )
            items = []
            for row in rows:
                found = repo.record_of(row)
                domain = row._mapping["domain_name"]
                tags = self.tags.get_tags(conn, caller, integration_arn(caller, domain, uri))
                items.append(to_wire(domain, found, tags))
        return items, next_token

    def delete(self, caller: Caller, domain: str, uri: str) -> None:
        with self.database.write() as conn:
            record = require_domain(conn, caller, domain)
            if not repo.remove(conn, record.id, uri):
                raise not_found(f"Integration {uri} does not exist in domain {domain}.")
            self.tags.drop_resource(conn, caller, integration_arn(caller, domain, uri))

    def exists(self, conn: Connection, caller: Caller, domain: str, uri: str) -> bool:
        from openprofiles.storage.repositories import domains as domain_repo

        record = domain_repo.find(conn, caller.account, caller.region, domain)
        return record is not None and repo.find(conn, record.id, uri) is not None

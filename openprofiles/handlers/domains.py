"""CreateDomain, GetDomain, UpdateDomain, DeleteDomain, ListDomains."""

from __future__ import annotations

from typing import Any

from openprofiles.handlers.context import RequestContext
from openprofiles.handlers.registry import CUSTOMER_PROFILES, Params, operation
from openprofiles.services.domains import CONFIG_MEMBERS
from openprofiles.storage.repositories.domains import DomainRecord


def _domain(record: DomainRecord, tags: dict[str, str]) -> Params:
    out: dict[str, Any] = {
        "DomainName": record.name,
        "DefaultExpirationDays": record.default_expiration_days,
        **{m: record.config[m] for m in CONFIG_MEMBERS if m in record.config},
        "CreatedAt": record.created_at,
        "LastUpdatedAt": record.updated_at,
    }
    if tags:
        out["Tags"] = tags
    return out


@operation(CUSTOMER_PROFILES, "CreateDomain")
def create_domain(ctx: RequestContext, req: Params) -> Params:
    record, tags = ctx.services.domains.create(
        ctx.caller, req["DomainName"], req["DefaultExpirationDays"], req, req.get("Tags")
    )
    return _domain(record, tags)


@operation(CUSTOMER_PROFILES, "GetDomain")
def get_domain(ctx: RequestContext, req: Params) -> Params:
    record, stats, tags = ctx.services.domains.get(ctx.caller, req["DomainName"])
    out = _domain(record, tags)
    out["Stats"] = {
        "ProfileCount": stats.profile_count,
        "MeteringProfileCount": stats.metering_profile_count,
        "ObjectCount": stats.object_count,
        "TotalSize": stats.total_size,
    }
    return out


@operation(CUSTOMER_PROFILES, "UpdateDomain")
def update_domain(ctx: RequestContext, req: Params) -> Params:
    record, tags = ctx.services.domains.update(
        ctx.caller, req["DomainName"], req.get("DefaultExpirationDays"), req, req.get("Tags")
    )
    return _domain(record, tags)


@operation(CUSTOMER_PROFILES, "DeleteDomain")
def delete_domain(ctx: RequestContext, req: Params) -> Params:
    ctx.services.domains.delete(ctx.caller, req["DomainName"])
    return {"Message": f"Successfully deleted the domain {req['DomainName']}."}


@operation(CUSTOMER_PROFILES, "ListDomains")
def list_domains(ctx: RequestContext, req: Params) -> Params:
    items, token = ctx.services.domains.list(
        ctx.caller, req.get("MaxResults"), req.get("NextToken")
    )
    out: Params = {"Items": []}
    for row, tags in items:
        item: dict[str, Any] = {
            "DomainName": row.name,
            "CreatedAt": row.created_at,
            "LastUpdatedAt": row.updated_at,
        }
        if tags:
            item["Tags"] = tags
        out["Items"].append(item)
    if token:
        out["NextToken"] = token
    return out

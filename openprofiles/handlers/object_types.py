"""PutProfileObjectType, GetProfileObjectType, ListProfileObjectTypes, DeleteProfileObjectType,
DetectProfileObjectType."""

from __future__ import annotations

from typing import Any

from openprofiles.handlers.context import RequestContext
from openprofiles.handlers.registry import CUSTOMER_PROFILES, Params, operation


@operation(CUSTOMER_PROFILES, "PutProfileObjectType")
def put_profile_object_type(ctx: RequestContext, req: Params) -> Params:
    found, tags = ctx.services.object_types.put(
        ctx.caller, req["DomainName"], req["ObjectTypeName"], req
    )
    return found.to_wire(tags)


@operation(CUSTOMER_PROFILES, "GetProfileObjectType")
def get_profile_object_type(ctx: RequestContext, req: Params) -> Params:
    found, tags = ctx.services.object_types.get(
        ctx.caller, req["DomainName"], req["ObjectTypeName"]
    )
    return found.to_wire(tags)


@operation(CUSTOMER_PROFILES, "ListProfileObjectTypes")
def list_profile_object_types(ctx: RequestContext, req: Params) -> Params:
    items, token = ctx.services.object_types.list(
        ctx.caller, req["DomainName"], req.get("MaxResults"), req.get("NextToken")
    )
    out: Params = {"Items": []}
    for found, tags in items:
        definition = found.definition
        item: dict[str, Any] = {
            "ObjectTypeName": definition.name,
            "Description": definition.option("Description"),
            "CreatedAt": found.record.created_at,
            "LastUpdatedAt": found.record.updated_at,
        }
        for member in ("MaxProfileObjectCount", "SourcePriority"):
            if definition.option(member) is not None:
                item[member] = definition.option(member)
        if definition.option("MaxProfileObjectCount") is not None:
            item["MaxAvailableProfileObjectCount"] = definition.option("MaxProfileObjectCount")
        if tags:
            item["Tags"] = tags
        out["Items"].append(item)
    if token:
        out["NextToken"] = token
    return out


@operation(CUSTOMER_PROFILES, "DeleteProfileObjectType")
def delete_profile_object_type(ctx: RequestContext, req: Params) -> Params:
    ctx.services.object_types.delete(ctx.caller, req["DomainName"], req["ObjectTypeName"])
    return {"Message": f"Successfully deleted the object type {req['ObjectTypeName']}."}


@operation(CUSTOMER_PROFILES, "DetectProfileObjectType")
def detect_profile_object_type(ctx: RequestContext, req: Params) -> Params:
    return ctx.services.object_types.detect(ctx.caller, req["DomainName"], req["Objects"])

"""PutIntegration, GetIntegration, ListIntegrations, DeleteIntegration,
ListAccountIntegrations."""

from __future__ import annotations

from openprofiles.handlers.context import RequestContext
from openprofiles.handlers.registry import CUSTOMER_PROFILES, Params, operation
from openprofiles.services.integrations import to_wire


@operation(CUSTOMER_PROFILES, "PutIntegration")
def put_integration(ctx: RequestContext, req: Params) -> Params:
    record, tags = ctx.services.integrations.put(ctx.caller, req["DomainName"], req)
    return to_wire(req["DomainName"], record, tags)


@operation(CUSTOMER_PROFILES, "GetIntegration")
def get_integration(ctx: RequestContext, req: Params) -> Params:
    record, tags = ctx.services.integrations.get(ctx.caller, req["DomainName"], req["Uri"])
    return to_wire(req["DomainName"], record, tags)


@operation(CUSTOMER_PROFILES, "ListIntegrations")
def list_integrations(ctx: RequestContext, req: Params) -> Params:
    items, token = ctx.services.integrations.list(
        ctx.caller,
        req["DomainName"],
        req.get("MaxResults"),
        req.get("NextToken"),
        bool(req.get("IncludeHidden")),
    )
    out: Params = {"Items": items}
    if token:
        out["NextToken"] = token
    return out


@operation(CUSTOMER_PROFILES, "DeleteIntegration")
def delete_integration(ctx: RequestContext, req: Params) -> Params:
    ctx.services.integrations.delete(ctx.caller, req["DomainName"], req["Uri"])
    return {"Message": f"Successfully deleted the integration {req['Uri']}."}


@operation(CUSTOMER_PROFILES, "ListAccountIntegrations")
def list_account_integrations(ctx: RequestContext, req: Params) -> Params:
    items, token = ctx.services.integrations.list_account(
        ctx.caller,
        req["Uri"],
        req.get("MaxResults"),
        req.get("NextToken"),
        bool(req.get("IncludeHidden")),
    )
    out: Params = {"Items": items}
    if token:
        out["NextToken"] = token
    return out

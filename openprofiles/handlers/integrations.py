"""PutIntegration, GetIntegration, ListIntegrations, DeleteIntegration,
ListAccountIntegrations."""

from __future__ import annotations

from typing import Any

from openprofiles.errors import invalid
from openprofiles.handlers.context import RequestContext
from openprofiles.handlers.registry import CUSTOMER_PROFILES, Params, operation
from openprofiles.services.integration_runs import run_to_wire
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


# --- openprofiles' extensions (server/extensions.py) ----------------------------------------------


def run_integration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """``POST /_openprofiles/domains/{DomainName}/integrations/run`` with ``{"Uri": ...}``:
    run the integration's flow now. It answers when the run has ended, or at once (the run
    RUNNING) with ``"Wait": false``. See docs/integrations.md."""
    uri = params.get("Uri")
    if not isinstance(uri, str) or not uri:
        raise invalid('Uri: name the integration to run, e.g. {"Uri": "arn:aws:appflow:..."}')
    wait = params.get("Wait", True)
    if not isinstance(wait, bool):
        raise invalid("Wait: must be true or false")
    flows = ctx.services.flows
    domain = params["DomainName"]
    run = (flows.run if wait else flows.start)(ctx.caller, domain, uri, "OnDemand")
    return run_to_wire(domain, run)


def list_integration_runs(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """``GET /_openprofiles/domains/{DomainName}/integrations/runs?uri=&max-results=&next-token=``:
    the domain's flow runs, newest first (only those of ``uri`` when given)."""
    max_results = params.get("MaxResults")
    if max_results is not None:
        try:
            max_results = int(max_results)
        except (TypeError, ValueError):
            raise invalid("MaxResults: must be an integer between 1 and 100") from None
        if not 1 <= max_results <= 100:
            raise invalid("MaxResults: must be an integer between 1 and 100")
    domain = params["DomainName"]
    runs, token = ctx.services.flows.list_runs(
        ctx.caller, domain, params.get("uri") or None, max_results, params.get("NextToken") or None
    )
    out: dict[str, Any] = {"Items": [run_to_wire(domain, run) for run in runs]}
    if token:
        out["NextToken"] = token
    return out


def post_contact_records(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """``POST /_openprofiles/connect/contact-records`` with ``{"InstanceArn": ...,
    "ContactRecords": [...]}``: ingest Amazon Connect contact records into the domains whose
    integration names that instance. See docs/integrations.md."""
    domains = ctx.services.contact_records.ingest(
        ctx.caller, params.get("InstanceArn"), params.get("ContactRecords")
    )
    return {"Domains": domains}

"""CreateProfile, UpdateProfile, DeleteProfile, BatchGetProfile, AddProfileKey,
DeleteProfileKey, SearchProfiles."""

from __future__ import annotations

from openprofiles.handlers.context import RequestContext
from openprofiles.handlers.registry import CUSTOMER_PROFILES, Params, operation
from openprofiles.services.search import SearchKey

_ROUTING = ("DomainName", "ProfileId")


def _document(req: Params) -> Params:
    return {k: v for k, v in req.items() if k not in _ROUTING}


@operation(CUSTOMER_PROFILES, "CreateProfile")
def create_profile(ctx: RequestContext, req: Params) -> Params:
    profile_id = ctx.services.profiles.create(ctx.caller, req["DomainName"], _document(req))
    return {"ProfileId": profile_id}


@operation(CUSTOMER_PROFILES, "UpdateProfile")
def update_profile(ctx: RequestContext, req: Params) -> Params:
    profile_id = ctx.services.profiles.update(
        ctx.caller, req["DomainName"], req["ProfileId"], _document(req)
    )
    return {"ProfileId": profile_id}


@operation(CUSTOMER_PROFILES, "DeleteProfile")
def delete_profile(ctx: RequestContext, req: Params) -> Params:
    ctx.services.profiles.delete(ctx.caller, req["DomainName"], req["ProfileId"])
    return {"Message": f"Successfully deleted the profile {req['ProfileId']}."}


@operation(CUSTOMER_PROFILES, "BatchGetProfile")
def batch_get_profile(ctx: RequestContext, req: Params) -> Params:
    found, missing = ctx.services.profiles.batch_get(
        ctx.caller, req["DomainName"], req["ProfileIds"]
    )
    return {
        "Profiles": found,
        "Errors": [
            {
                "Code": "ResourceNotFoundException",
                "Message": f"Profile {pid} does not exist in domain {req['DomainName']}.",
                "ProfileId": pid,
            }
            for pid in missing
        ],
    }


@operation(CUSTOMER_PROFILES, "AddProfileKey")
def add_profile_key(ctx: RequestContext, req: Params) -> Params:
    ctx.services.profiles.add_key(
        ctx.caller, req["DomainName"], req["ProfileId"], req["KeyName"], req["Values"]
    )
    return {"KeyName": req["KeyName"], "Values": req["Values"]}


@operation(CUSTOMER_PROFILES, "DeleteProfileKey")
def delete_profile_key(ctx: RequestContext, req: Params) -> Params:
    ctx.services.profiles.delete_key(
        ctx.caller, req["DomainName"], req["ProfileId"], req["KeyName"], req["Values"]
    )
    return {"Message": f"Successfully deleted the key {req['KeyName']}."}


@operation(CUSTOMER_PROFILES, "SearchProfiles")
def search_profiles(ctx: RequestContext, req: Params) -> Params:
    keys = [SearchKey(req["KeyName"], tuple(req["Values"]))]
    keys += [
        SearchKey(k["KeyName"], tuple(k["Values"])) for k in req.get("AdditionalSearchKeys") or []
    ]
    results, token = ctx.services.search.search(
        ctx.caller,
        req["DomainName"],
        keys,
        match_all=req.get("LogicalOperator") == "AND",  # OR when absent, as the model says
        max_results=req.get("MaxResults"),
        token=req.get("NextToken"),
    )
    items = []
    for found in results:
        item = dict(found.profile)
        if found.found_by:
            item["FoundByItems"] = [
                {"KeyName": k.name, "Values": list(k.values)} for k in found.found_by
            ]
        items.append(item)
    out: Params = {"Items": items}
    if token:
        out["NextToken"] = token
    return out

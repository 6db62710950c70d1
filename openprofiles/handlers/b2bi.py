"""B2B Data Interchange: CreateProfile, GetProfile, ListProfiles, UpdateProfile, DeleteProfile,
TagResource, UntagResource, ListTagsForResource."""

from __future__ import annotations

from typing import Any

from openprofiles.errors import invalid
from openprofiles.handlers.context import RequestContext
from openprofiles.handlers.registry import B2BI, Params, operation
from openprofiles.services.b2bi_profiles import ProfileDetails, profile_arn
from openprofiles.storage.repositories.b2bi_profiles import B2biProfileRecord

# ListProfiles' ProfileSummary members.
_SUMMARY = (
    "profileId",
    "name",
    "businessName",
    "logging",
    "logGroupName",
    "createdAt",
    "modifiedAt",
)


def _profile(record: B2biProfileRecord, *, modified: bool = True) -> Params:
    """The profile as GetProfile and UpdateProfile return it (CreateProfile: no modifiedAt)."""
    out: dict[str, Any] = {
        "profileId": record.profile_id,
        "profileArn": profile_arn(record),
        "name": record.name,
        "email": record.email,
        "phone": record.phone,
        "businessName": record.business_name,
        "logging": record.logging,
        "logGroupName": record.log_group_name,
        "createdAt": record.created_at,
        "modifiedAt": record.modified_at if modified else None,
    }
    return {k: v for k, v in out.items() if v is not None}


def _tag_map(tags: list[dict[str, str]] | None, member: str) -> dict[str, str]:
    """b2bi's [{Key, Value}] as a mapping; a key given twice is a ValidationException."""
    mapping: dict[str, str] = {}
    for tag in tags or []:
        if tag["Key"] in mapping:
            raise invalid(f"Tag key '{tag['Key']}' appears more than once in '{member}'.")
        mapping[tag["Key"]] = tag["Value"]
    return mapping


@operation(B2BI, "CreateProfile")
def create_profile(ctx: RequestContext, req: Params) -> Params:
    details = ProfileDetails(
        name=req["name"],
        phone=req["phone"],
        business_name=req["businessName"],
        logging=req["logging"],
        email=req.get("email"),
    )
    record = ctx.services.b2bi.create(
        ctx.caller, details, req.get("clientToken"), _tag_map(req.get("tags"), "tags")
    )
    return _profile(record, modified=False)


@operation(B2BI, "GetProfile")
def get_profile(ctx: RequestContext, req: Params) -> Params:
    return _profile(ctx.services.b2bi.get(ctx.caller, req["profileId"]))


@operation(B2BI, "ListProfiles")
def list_profiles(ctx: RequestContext, req: Params) -> Params:
    records, token = ctx.services.b2bi.list(ctx.caller, req.get("maxResults"), req.get("nextToken"))
    out: Params = {
        "profiles": [{k: v for k, v in _profile(r).items() if k in _SUMMARY} for r in records]
    }
    if token:
        out["nextToken"] = token
    return out


@operation(B2BI, "UpdateProfile")
def update_profile(ctx: RequestContext, req: Params) -> Params:
    record = ctx.services.b2bi.update(
        ctx.caller,
        req["profileId"],
        name=req.get("name"),
        email=req.get("email"),
        phone=req.get("phone"),
        business_name=req.get("businessName"),
    )
    return _profile(record)


@operation(B2BI, "DeleteProfile")
def delete_profile(ctx: RequestContext, req: Params) -> Params:
    ctx.services.b2bi.delete(ctx.caller, req["profileId"])
    return {}


@operation(B2BI, "TagResource")
def tag_resource(ctx: RequestContext, req: Params) -> Params:
    ctx.services.b2bi.tag(ctx.caller, req["ResourceARN"], _tag_map(req["Tags"], "Tags"))
    return {}


@operation(B2BI, "UntagResource")
def untag_resource(ctx: RequestContext, req: Params) -> Params:
    ctx.services.b2bi.untag(ctx.caller, req["ResourceARN"], req["TagKeys"])
    return {}


@operation(B2BI, "ListTagsForResource")
def list_tags_for_resource(ctx: RequestContext, req: Params) -> Params:
    tags = ctx.services.b2bi.list_tags(ctx.caller, req["ResourceARN"])
    return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}

"""TagResource, UntagResource, ListTagsForResource (customer-profiles)."""

from __future__ import annotations

from openprofiles.handlers.context import RequestContext
from openprofiles.handlers.registry import CUSTOMER_PROFILES, Params, operation


@operation(CUSTOMER_PROFILES, "TagResource")
def tag_resource(ctx: RequestContext, req: Params) -> Params:
    ctx.services.tags.tag(ctx.caller, req["resourceArn"], req["tags"])
    return {}


@operation(CUSTOMER_PROFILES, "UntagResource")
def untag_resource(ctx: RequestContext, req: Params) -> Params:
    ctx.services.tags.untag(ctx.caller, req["resourceArn"], req["tagKeys"])
    return {}


@operation(CUSTOMER_PROFILES, "ListTagsForResource")
def list_tags_for_resource(ctx: RequestContext, req: Params) -> Params:
    return {"tags": ctx.services.tags.list(ctx.caller, req["resourceArn"])}

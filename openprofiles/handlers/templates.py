"""GetProfileObjectTypeTemplate, ListProfileObjectTypeTemplates: the template catalogue."""

from __future__ import annotations

from openprofiles.handlers.context import RequestContext
from openprofiles.handlers.registry import CUSTOMER_PROFILES, Params, operation


@operation(CUSTOMER_PROFILES, "GetProfileObjectTypeTemplate")
def get_profile_object_type_template(ctx: RequestContext, req: Params) -> Params:
    return ctx.services.object_types.get_template(req["TemplateId"])


@operation(CUSTOMER_PROFILES, "ListProfileObjectTypeTemplates")
def list_profile_object_type_templates(ctx: RequestContext, req: Params) -> Params:
    items, token = ctx.services.object_types.list_templates(
        req.get("MaxResults"), req.get("NextToken")
    )
    out: Params = {"Items": items}
    if token:
        out["NextToken"] = token
    return out

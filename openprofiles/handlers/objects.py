"""PutProfileObject, ListProfileObjects, DeleteProfileObject; and the dead-letter extension
``GET /_openprofiles/domains/{DomainName}/dead-letters`` (docs/dead-letters.md)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from openprofiles.clock import iso_utc
from openprofiles.errors import invalid
from openprofiles.handlers.context import RequestContext
from openprofiles.handlers.registry import CUSTOMER_PROFILES, Params, combined, operation


@operation(CUSTOMER_PROFILES, "PutProfileObject")
def put_profile_object(ctx: RequestContext, req: Params) -> Params:
    result = ctx.services.objects.put(
        ctx.caller, req["DomainName"], req["ObjectTypeName"], req["Object"]
    )
    return {"ProfileObjectUniqueKey": result.unique_key}


def _same_type(ctx: RequestContext, req: Params) -> Hashable:
    return (ctx.caller.account, ctx.caller.region, req["DomainName"], req["ObjectTypeName"])


@combined(CUSTOMER_PROFILES, "PutProfileObject", key=_same_type)
def put_profile_objects(calls: Sequence[tuple[RequestContext, Params]]) -> list[Params | Exception]:
    """Concurrent PutProfileObject calls for one object type: one ``put_many``, in arrival
    order, each object standing or falling alone (as the calls one after the other would)."""
    ctx, first = calls[0]
    try:
        results = ctx.services.objects.put_many(
            ctx.caller,
            first["DomainName"],
            first["ObjectTypeName"],
            [req["Object"] for _, req in calls],
        )
    except Exception as exc:  # no such domain or object type: the same answer for every call
        return [exc] * len(calls)
    return [
        result if isinstance(result, Exception) else {"ProfileObjectUniqueKey": result.unique_key}
        for result in results
    ]


@operation(CUSTOMER_PROFILES, "ListProfileObjects")
def list_profile_objects(ctx: RequestContext, req: Params) -> Params:
    object_filter = req.get("ObjectFilter")
    key_filter = None
    if object_filter is not None:
        key_filter = (object_filter["KeyName"], list(object_filter["Values"]))
    items, token = ctx.services.objects.list(
        ctx.caller,
        req["DomainName"],
        req["ObjectTypeName"],
        req["ProfileId"],
        key_filter,
        req.get("MaxResults"),
        req.get("NextToken"),
    )
    out: Params = {
        "Items": [
            {
                "ObjectTypeName": item.object_type,
                "ProfileObjectUniqueKey": item.unique_key,
                "Object": item.document,
            }
            for item in items
        ]
    }
    if token:
        out["NextToken"] = token
    return out


@operation(CUSTOMER_PROFILES, "DeleteProfileObject")
def delete_profile_object(ctx: RequestContext, req: Params) -> Params:
    ctx.services.objects.delete(
        ctx.caller,
        req["DomainName"],
        req["ObjectTypeName"],
        req["ProfileId"],
        req["ProfileObjectUniqueKey"],
    )
    return {"Message": f"Successfully deleted the profile object {req['ProfileObjectUniqueKey']}."}


def list_dead_letters(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """``GET /_openprofiles/domains/{DomainName}/dead-letters?max-results=&next-token=``.

    ``params``: DomainName, and optionally MaxResults (1-100) and NextToken. Answers
    ``{"Items": [{"Id", "ObjectTypeName", "Object", "Reason", "CreatedAt"}], "NextToken"}``
    with CreatedAt as ISO 8601 UTC text to the microsecond (:func:`openprofiles.clock.iso_utc`).
    """
    max_results = params.get("MaxResults")
    if max_results is not None:
        try:
            max_results = int(max_results)
        except (TypeError, ValueError):
            raise invalid("MaxResults: must be an integer between 1 and 100") from None
        if not 1 <= max_results <= 100:
            raise invalid("MaxResults: must be an integer between 1 and 100")
    token = params.get("NextToken") or None
    entries, next_token = ctx.services.dead_letters.list(
        ctx.caller, params["DomainName"], max_results, token
    )
    out: dict[str, Any] = {
        "Items": [
            {
                "Id": entry.id,
                "ObjectTypeName": entry.object_type,
                "Object": entry.object,
                "Reason": entry.reason,
                "CreatedAt": iso_utc(entry.created_at),
            }
            for entry in entries
        ]
    }
    if next_token:
        out["NextToken"] = next_token
    return out

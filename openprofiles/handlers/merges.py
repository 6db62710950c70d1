"""MergeProfiles, and the merge-history extensions (server/extensions.py): list a domain's
merges, explain one, undo one."""

from __future__ import annotations

from typing import Any

from openprofiles.clock import iso_utc
from openprofiles.errors import invalid
from openprofiles.handlers.context import RequestContext
from openprofiles.handlers.registry import CUSTOMER_PROFILES, Params, operation
from openprofiles.storage.repositories.merges import MergeRow


@operation(CUSTOMER_PROFILES, "MergeProfiles")
def merge_profiles(ctx: RequestContext, req: Params) -> Params:
    merged = req["ProfileIdsToBeMerged"]
    merge_id = ctx.services.merges.merge(
        ctx.caller,
        req["DomainName"],
        req["MainProfileId"],
        merged,
        req.get("FieldSourceProfileIds"),
    )
    count = len(dict.fromkeys(merged))
    return {
        "Message": f"Merged {count} profile{'s' if count != 1 else ''} into "
        f"{req['MainProfileId']} (merge {merge_id})."
    }


def summary(merge: MergeRow) -> dict[str, Any]:
    """A merge as the listing shows it."""
    out: dict[str, Any] = {
        "MergeId": merge.id,
        "MainProfileId": merge.main_profile_id,
        "MergedProfileIds": list(merge.merged_profile_ids),
        "Origin": merge.origin,
        "CreatedAt": iso_utc(merge.created_at),
        "Undone": merge.undone_at is not None,
    }
    if merge.undone_at is not None:
        out["UndoneAt"] = iso_utc(merge.undone_at)
    return out


def explanation(merge: MergeRow) -> dict[str, Any]:
    """A merge with which field came from which profile and what moved from each."""
    moved = []
    for profile_id in merge.merged_profile_ids:
        entry = merge.moved["Profiles"][profile_id]
        keys: dict[str, dict[str, None]] = {}  # a value the profile had twice shows once
        for name, value, _ in entry["Keys"]:
            keys.setdefault(name, {})[value] = None
        moved.append(
            {
                "FromProfileId": profile_id,
                "Keys": [{"KeyName": n, "Values": list(v)} for n, v in keys.items()],
                "Objects": [
                    {"ObjectTypeName": t, "ProfileObjectUniqueKey": u}
                    for _, t, u in entry["Objects"]
                ],
            }
        )
    return {
        **summary(merge),
        "Fields": [
            {
                "Field": c["field"],
                "SourceProfileId": c["profile_id"],
                "Rule": c["rule"],
                "Empty": c["empty"],
            }
            for c in merge.field_choices
        ],
        "Moved": moved,
    }


def _max_results(params: dict[str, Any]) -> int | None:
    value = params.get("MaxResults")
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise invalid("MaxResults: must be an integer between 1 and 100") from None
    if not 1 <= number <= 100:
        raise invalid("MaxResults: must be an integer between 1 and 100")
    return number


def list_merges(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """``GET /_openprofiles/domains/{DomainName}/merges?ProfileId=&max-results=&next-token=``:
    ``{"Items": [summary], "NextToken"}``, oldest first; with ProfileId, only the merges that
    involve that profile (as main or merged)."""
    merges, token = ctx.services.merges.listing(
        ctx.caller,
        params["DomainName"],
        params.get("ProfileId") or None,
        _max_results(params),
        params.get("NextToken") or None,
    )
    out: dict[str, Any] = {"Items": [summary(m) for m in merges]}
    if token:
        out["NextToken"] = token
    return out


def get_merge(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """``GET /_openprofiles/domains/{DomainName}/merges/{MergeId}``: the explanation."""
    merge = ctx.services.merges.explain(ctx.caller, params["DomainName"], params["MergeId"])
    return explanation(merge)


def undo_merge(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """``POST /_openprofiles/domains/{DomainName}/merges/{MergeId}/undo`` (body ``{}``): the
    explanation of the merge, now undone."""
    merge = ctx.services.merges.undo(ctx.caller, params["DomainName"], params["MergeId"])
    return explanation(merge)

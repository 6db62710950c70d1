"""GetIdentityResolutionJob, ListIdentityResolutionJobs, GetMatches, GetAutoMergingPreview;
and the extension that starts a job now,
``POST /_openprofiles/domains/{DomainName}/identity-resolution-jobs`` (docs/identity-resolution.md).
"""

from __future__ import annotations

from typing import Any

from openprofiles.errors import invalid
from openprofiles.handlers.context import RequestContext
from openprofiles.handlers.registry import CUSTOMER_PROFILES, Params, operation
from openprofiles.services.jobs import job_output


@operation(CUSTOMER_PROFILES, "GetIdentityResolutionJob")
def get_identity_resolution_job(ctx: RequestContext, req: Params) -> Params:
    _, job = ctx.services.jobs.get(ctx.caller, req["DomainName"], req["JobId"])
    return job_output(req["DomainName"], job, full=True)


@operation(CUSTOMER_PROFILES, "ListIdentityResolutionJobs")
def list_identity_resolution_jobs(ctx: RequestContext, req: Params) -> Params:
    jobs, token = ctx.services.jobs.list(
        ctx.caller, req["DomainName"], req.get("MaxResults"), req.get("NextToken")
    )
    out: Params = {
        "IdentityResolutionJobsList": [job_output(req["DomainName"], j, full=False) for j in jobs]
    }
    if token:
        out["NextToken"] = token
    return out


@operation(CUSTOMER_PROFILES, "GetMatches")
def get_matches(ctx: RequestContext, req: Params) -> Params:
    page = ctx.services.matches.get_matches(
        ctx.caller, req["DomainName"], req.get("MaxResults"), req.get("NextToken")
    )
    out: Params = {
        "Matches": [
            {"MatchId": m.match_id, "ProfileIds": list(m.profile_ids),
             "ConfidenceScore": m.confidence}
            for m in page.matches
        ],
        "PotentialMatches": page.potential_matches,
    }  # fmt: skip
    if page.generated_at is not None:
        out["MatchGenerationDate"] = page.generated_at
    if page.next_token:
        out["NextToken"] = page.next_token
    return out


@operation(CUSTOMER_PROFILES, "GetAutoMergingPreview")
def get_auto_merging_preview(ctx: RequestContext, req: Params) -> Params:
    preview = ctx.services.matches.preview(
        ctx.caller,
        req["DomainName"],
        req["Consolidation"],
        req["ConflictResolution"],
        req.get("MinAllowedConfidenceScoreForMerging"),
    )
    return {
        "DomainName": req["DomainName"],
        "NumberOfMatchesInSample": preview.matches,
        "NumberOfProfilesInSample": preview.profiles,
        "NumberOfProfilesWillBeMerged": preview.profiles_merged,
    }


def start_identity_resolution_job(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """``POST /_openprofiles/domains/{DomainName}/identity-resolution-jobs`` with body ``{}``:
    queues a job for the domain now and answers ``{"JobId": "<32 lowercase hex>"}``."""
    unknown = sorted(name for name in params if name != "DomainName")
    if unknown:
        raise invalid(
            f"{unknown[0]}: not a member of this request; send an empty JSON object, {{}}"
        )
    return {"JobId": ctx.services.jobs.start(ctx.caller, params["DomainName"])}

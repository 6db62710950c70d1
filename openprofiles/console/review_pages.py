"""The console's identity-resolution pages: the domain's jobs and the match-review queue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from starlette.responses import RedirectResponse, Response

from openprofiles.console.pages import PAGE_SIZE
from openprofiles.console.render import PREFIX, View

if TYPE_CHECKING:
    from openprofiles.console.app import PageRequest


def jobs(page: PageRequest) -> View:
    name = page.path["domain"]
    found, next_token = page.services.jobs.list(
        page.caller, name, PAGE_SIZE, page.arg("next") or None
    )
    record, _tags = page.services.domains.settings(page.caller, name)
    matching = bool((record.config.get("Matching") or {}).get("Enabled"))
    return View(
        "jobs.html",
        {"jobs": found, "next_token": next_token, "matching": matching,
         "started": page.arg("started")},
    )  # fmt: skip


def start_job(page: PageRequest) -> Response:
    name = page.path["domain"]
    job_id = page.services.jobs.start(page.caller, name)
    return RedirectResponse(f"{PREFIX}/domains/{name}/jobs?started={job_id}", status_code=303)


def matches(page: PageRequest) -> View:
    """The review queue: the domain's current match groups, with their profiles' names; a
    group whose profiles were merged since (fewer than two left) is shown as resolved."""
    name = page.path["domain"]
    found = page.services.matches.get_matches(
        page.caller, name, PAGE_SIZE, page.arg("next") or None
    )
    ids = list(dict.fromkeys(pid for m in found.matches for pid in m.profile_ids))
    profiles, _missing = page.services.profiles.batch_get(page.caller, name, ids)
    by_id = {p["ProfileId"]: p for p in profiles}
    groups = [
        {"match": m, "profiles": [by_id.get(pid) for pid in m.profile_ids],
         "open": sum(pid in by_id for pid in m.profile_ids) >= 2}
        for m in found.matches
    ]  # fmt: skip
    return View(
        "matches.html",
        {"groups": groups, "page": found, "next_token": found.next_token,
         "dismissed": page.arg("dismissed")},
    )  # fmt: skip


def dismiss(page: PageRequest) -> Response:
    name, match_id = page.path["domain"], page.path["match_id"]
    page.services.matches.dismiss(page.caller, name, match_id)
    return RedirectResponse(
        f"{PREFIX}/domains/{name}/matches?dismissed={match_id}", status_code=303
    )


ROUTES: Final[list[tuple[str, str, Any]]] = [
    ("GET", "/domains/{domain}/jobs", jobs),
    ("POST", "/domains/{domain}/jobs", start_job),
    ("GET", "/domains/{domain}/matches", matches),
    ("POST", "/domains/{domain}/matches/{match_id}/dismiss", dismiss),
]

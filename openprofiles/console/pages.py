"""The console's pages for domains, search and profiles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from starlette.responses import RedirectResponse, Response

from openprofiles.console.render import PREFIX, View, display_name
from openprofiles.errors import ErrorKind, ServiceError, invalid
from openprofiles.services.search import SearchKey
from openprofiles.services.standard_keys import STANDARD_KEY_NAMES

if TYPE_CHECKING:
    from openprofiles.console.app import PageRequest

PAGE_SIZE: Final = 20  # rows of a long list per page
OBJECTS_PAGE_SIZE: Final = 10  # objects of one type shown per page of a profile
KEYS_PAGE_SIZE: Final = 50  # keys of a profile shown per page
SEARCH_ROWS: Final = 4  # key/value rows of the search form
MAX_PAGE_SIZE: Final = 100
STATS_INLINE_UP_TO: Final = 20_000  # profiles; above, a domain's page counts objects on request


def _page_size(page: PageRequest, default: int = PAGE_SIZE) -> int:
    text = page.arg("size")
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise invalid(f"size: a page holds 1 to {MAX_PAGE_SIZE} rows, not {text!r}")
    return int(text)


# --- domains ---------------------------------------------------------------------------------


def domains(page: PageRequest) -> View:
    items, next_token = page.services.domains.list(
        page.caller, _page_size(page), page.arg("next") or None
    )
    return View(
        "domains.html",
        {"domains": [row for row, _tags in items], "next_token": next_token, "domain": None},
    )


def domain(page: PageRequest) -> View:
    """Settings and stats. GetDomain's stats read every profile and object; past
    STATS_INLINE_UP_TO profiles they are counted only when asked for (``?stats=all``)."""
    name = page.path["domain"]
    profiles = page.services.domains.profile_count(page.caller, name)
    stats = None
    if profiles <= STATS_INLINE_UP_TO or page.arg("stats") == "all":
        record, stats, tags = page.services.domains.get(page.caller, name)
    else:
        record, tags = page.services.domains.settings(page.caller, name)
    return View(
        "domain.html",
        {"record": record, "stats": stats, "profiles": profiles, "tags": tags,
         "saved": page.arg("saved") == "1"},
    )  # fmt: skip


def save_domain(page: PageRequest) -> Response:
    """The settings form: DefaultExpirationDays and DeadLetterQueueUrl, as UpdateDomain."""
    name = page.path["domain"]
    days_text = page.field("default_expiration_days").strip()
    if not days_text.isdigit() or not 1 <= int(days_text) <= 1098:
        raise invalid(
            f"Default expiration days: a whole number of days from 1 to 1098, not {days_text!r}"
        )
    queue_url = page.field("dead_letter_queue_url").strip()
    page.services.domains.update(
        page.caller, name, int(days_text), {"DeadLetterQueueUrl": queue_url}, None
    )
    return RedirectResponse(f"{PREFIX}/domains/{name}?saved=1", status_code=303)


# --- search ----------------------------------------------------------------------------------


def _key_names(page: PageRequest, domain_name: str) -> list[str]:
    """Keys to offer in the search form: the standard ones and every object type's."""
    names = dict.fromkeys(STANDARD_KEY_NAMES)
    token = None
    while True:
        items, token = page.services.object_types.list(page.caller, domain_name, 100, token)
        for found, _tags in items:
            names.update(dict.fromkeys(k.name for k in found.definition.keys))
        if not token:
            return list(names)


def search_keys(page: PageRequest) -> list[SearchKey]:
    """The form's rows as SearchProfiles keys: rows naming the same key join their values;
    rows without a value are left out."""
    names = page.query.get("key", [])
    values = page.query.get("value", [])
    joined: dict[str, list[str]] = {}
    for name, value in zip(names, values, strict=False):
        name, value = name.strip(), value.strip()
        if name and value:
            joined.setdefault(name, [])
            if value not in joined[name]:
                joined[name].append(value)
    return [SearchKey(name, tuple(found)) for name, found in joined.items()]


def search(page: PageRequest) -> View:
    name = page.path["domain"]
    keys = search_keys(page)
    match_all = page.arg("operator") == "AND"
    results: list[Any] = []
    next_token = None
    if keys:
        results, next_token = page.services.search.search(
            page.caller, name, keys, match_all, _page_size(page), page.arg("next") or None
        )
    else:
        page.services.domains.get(page.caller, name)  # an unknown domain is a 404 here too
    rows = [(k.name, v) for k in keys for v in k.values]
    rows += [("", "")] * max(1, SEARCH_ROWS - len(rows))
    if not keys:
        rows[0] = ("_email", "")
    return View(
        "search.html",
        {
            "key_names": _key_names(page, name),
            "rows": rows,
            "operator": "AND" if match_all else "OR",
            "searched": bool(keys),
            "results": results,
            "next_token": next_token,
            "query": {
                "key": [k for k, v in rows if v],
                "value": [v for _k, v in rows if v],
                "operator": "AND" if match_all else "OR",
            },
        },
    )


# --- profiles --------------------------------------------------------------------------------


def _fields(document: dict[str, Any]) -> list[tuple[str, Any]]:
    """The profile's fields as (name, value) rows, nested members as ``Address.City``."""
    rows: list[tuple[str, Any]] = []
    for member, value in sorted(document.items()):
        if isinstance(value, dict):
            rows += [(f"{member}.{inner}", v) for inner, v in sorted(value.items())]
        else:
            rows.append((member, value))
    return rows


def profile(page: PageRequest) -> View:
    """A profile's fields, keys, objects by type and merge history; a profile merged into
    another says which."""
    name, profile_id = page.path["domain"], page.path["profile_id"]
    try:
        view = page.services.profile_view.get(page.caller, name, profile_id)
    except ServiceError as exc:
        into = _merged_into(page, name, profile_id) if exc.kind is ErrorKind.NOT_FOUND else None
        if into is None:
            raise
        return View("merged_away.html", {"profile_id": profile_id, "merge": into}, 404)
    paged_type = page.arg("type")
    sections = []
    for object_type, count in view.object_counts.items():
        token = page.arg("next") if object_type == paged_type else ""
        items, next_token = page.services.objects.list(
            page.caller, name, object_type, profile_id, None, OBJECTS_PAGE_SIZE, token or None
        )
        sections.append(
            {"name": object_type, "count": count, "objects": items, "next_token": next_token,
             "paged": bool(token)}
        )  # fmt: skip
    key_page = page.arg("keys")
    first = int(key_page) * KEYS_PAGE_SIZE if key_page.isdigit() else 0
    return View(
        "profile.html",
        {
            "profile_id": profile_id,
            "display_name": display_name(view.document),
            "fields": _fields(view.document),
            "document": view.document,
            "keys": view.keys[first : first + KEYS_PAGE_SIZE],
            "key_count": len(view.keys),
            "key_page": first // KEYS_PAGE_SIZE,
            "key_pages": -(-len(view.keys) // KEYS_PAGE_SIZE),
            "sections": sections,
            "history": merge_history(page, name, profile_id),
            "merged_now": page.arg("merged"),
            "undone_now": page.arg("undone"),
        },
    )


def _merged_into(page: PageRequest, domain_name: str, profile_id: str) -> Any:
    """The merge (not undone) that merged this profile away, if one did."""
    for merge in reversed(merge_history(page, domain_name, profile_id)):
        if merge.undone_at is None and profile_id in merge.merged_profile_ids:
            return merge
    return None


def merge_history(page: PageRequest, domain_name: str, profile_id: str) -> list[Any]:
    """Every merge the profile took part in, as main or merged, oldest first."""
    found: list[Any] = page.services.merges.history(page.caller, domain_name, profile_id)
    return found


ROUTES: Final[list[tuple[str, str, Any]]] = [
    ("GET", "/domains", domains),
    ("GET", "/domains/{domain}", domain),
    ("POST", "/domains/{domain}", save_domain),
    ("GET", "/domains/{domain}/search", search),
    ("GET", "/domains/{domain}/profiles/{profile_id}", profile),
]

"""The console's pages for comparing profiles side by side, merging them with a choice of field
values (MergeProfiles' FieldSourceProfileIds) and undoing a merge."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from starlette.responses import RedirectResponse, Response

from openprofiles.console.render import PREFIX, View
from openprofiles.errors import invalid
from openprofiles.services.merge_fields import ATTRIBUTES

if TYPE_CHECKING:
    from openprofiles.console.app import PageRequest

MAX_COMPARED: Final = 5  # profiles side by side on one page
FIELD_PREFIX: Final = "field:"  # form members naming the profile a field's value comes from


@dataclass(frozen=True)
class FieldRow:
    """One field across the compared profiles: ``values`` in profile order (None: empty)."""

    name: str  # "FirstName", "Address", "Attributes.tier": as FieldSourceProfileIds names it
    values: tuple[str | None, ...]

    @property
    def present(self) -> set[str]:
        return {v for v in self.values if v is not None}

    @property
    def verdict(self) -> str:
        """ "agrees" (one value, on every profile), "fills" (one value, some profiles lack
        it) or "differs" (two values or more: the merge needs a choice)."""
        if len(self.present) > 1:
            return "differs"
        return "agrees" if all(v is not None for v in self.values) else "fills"


def _text(value: Any) -> str | None:
    if value is None or value == "" or value == {}:
        return None
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in sorted(value.items()))
    return value if isinstance(value, str) else json.dumps(value)


def field_rows(documents: list[dict[str, Any]]) -> list[FieldRow]:
    """Every field any of ``documents`` has, with each one's value, members first, then
    attributes one by one (the granularity MergeProfiles chooses at)."""
    members = sorted({m for d in documents for m in d if m != ATTRIBUTES})
    rows = [FieldRow(m, tuple(_text(d.get(m)) for d in documents)) for m in members]
    attributes = [d.get(ATTRIBUTES) or {} for d in documents]
    for name in sorted({n for a in attributes for n in a}):
        rows.append(FieldRow(f"{ATTRIBUTES}.{name}", tuple(_text(a.get(name)) for a in attributes)))
    return [r for r in rows if r.present]


def _compared_ids(values: list[str]) -> list[str]:
    ids = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if len(ids) < 2:
        raise invalid("profile: name at least two profiles to compare")
    if len(ids) > MAX_COMPARED:
        raise invalid(f"profile: at most {MAX_COMPARED} profiles are compared at once")
    return ids


def compare(page: PageRequest) -> View:
    name = page.path["domain"]
    ids = _compared_ids(page.query.get("profile", []))
    found, missing = page.services.profiles.batch_get(page.caller, name, ids)
    documents = [{k: v for k, v in p.items() if k != "ProfileId"} for p in found]
    explained = page.services.matches.explain(page.caller, name, [p["ProfileId"] for p in found])
    return View(
        "compare.html",
        {
            "section": "review",
            "profiles": found,
            "missing": missing,
            "rows": field_rows(documents),
            "explained": explained,
            "numbers": {p["ProfileId"]: index for index, p in enumerate(found, start=1)},
            "match_id": page.arg("match"),
            "confidence": page.arg("confidence"),
        },
    )


def field_sources(form: dict[str, list[str]], allowed: set[str]) -> dict[str, Any]:
    """FieldSourceProfileIds from the form's ``field:NAME`` choices."""
    sources: dict[str, Any] = {}
    for member, values in form.items():
        if not member.startswith(FIELD_PREFIX) or not values or not values[0]:
            continue
        field, profile_id = member.removeprefix(FIELD_PREFIX), values[0]
        if profile_id not in allowed:
            raise invalid(f"{field}: profile {profile_id} is not one of those merged")
        if field.startswith(ATTRIBUTES + "."):
            sources.setdefault(ATTRIBUTES, {})[field.removeprefix(ATTRIBUTES + ".")] = profile_id
        else:
            sources[field] = profile_id
    return sources


def merge(page: PageRequest) -> Response:
    """Merge the compared profiles into the one chosen as main, with the chosen values."""
    name = page.path["domain"]
    ids = _compared_ids(page.form.get("profile", []))
    main = page.field("main")
    if main not in ids:
        raise invalid("main: choose which of the profiles the others are merged into")
    others = [pid for pid in ids if pid != main]
    chosen = field_sources(page.form, set(ids))
    merge_id = page.services.merges.merge(page.caller, name, main, others, chosen)
    return RedirectResponse(
        f"{PREFIX}/domains/{name}/profiles/{main}?merged={merge_id}#history", status_code=303
    )


def undo(page: PageRequest) -> Response:
    name, merge_id = page.path["domain"], page.path["merge_id"]
    row = page.services.merges.undo(page.caller, name, merge_id)
    return RedirectResponse(
        f"{PREFIX}/domains/{name}/profiles/{row.main_profile_id}?undone={merge_id}#history",
        status_code=303,
    )


ROUTES: Final[list[tuple[str, str, Any]]] = [
    ("GET", "/domains/{domain}/compare", compare),
    ("POST", "/domains/{domain}/merge", merge),
    ("POST", "/domains/{domain}/merges/{merge_id}/undo", undo),
]

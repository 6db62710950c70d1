"""The console's pages for object types (with the mapping preview) and dead letters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from openprofiles.console.pages import PAGE_SIZE
from openprofiles.console.render import View
from openprofiles.errors import ServiceError
from openprofiles.services.mapping_preview import preview_mapping

if TYPE_CHECKING:
    from openprofiles.console.app import PageRequest


def object_types(page: PageRequest) -> View:
    name = page.path["domain"]
    items, next_token = page.services.object_types.list(
        page.caller, name, PAGE_SIZE, page.arg("next") or None
    )
    return View(
        "object_types.html",
        {"types": [found for found, _tags in items], "next_token": next_token},
    )


def _object_type_view(page: PageRequest, **extra: Any) -> View:
    name, type_name = page.path["domain"], page.path["object_type"]
    found, tags = page.services.object_types.get(page.caller, name, type_name)
    values = {
        "object_type": found,
        "definition": found.definition,
        "wire": found.record.definition,
        "tags": tags,
        "sample": "",
        "preview": None,
        "error": None,
    }
    values.update(extra)
    return View("object_type.html", values, 400 if values["error"] else 200)


def object_type(page: PageRequest) -> View:
    return _object_type_view(page)


def preview(page: PageRequest) -> View:
    """Map the pasted object by this type and show what it would set; nothing is stored."""
    name, type_name = page.path["domain"], page.path["object_type"]
    sample = page.field("object")
    try:
        result = preview_mapping(page.services.object_types, page.caller, name, type_name, sample)
    except ServiceError as exc:
        return _object_type_view(page, sample=sample, error=exc.message)
    fields = [
        (f"{member}.{inner}" if inner else member, value)
        for member, inner, value in _flatten(result.profile)
    ]
    return _object_type_view(page, sample=sample, preview=result, profile_fields=fields)


def _flatten(profile: dict[str, Any]) -> list[tuple[str, str, Any]]:
    rows: list[tuple[str, str, Any]] = []
    for member, value in sorted(profile.items()):
        if isinstance(value, dict):
            rows += [(member, inner, v) for inner, v in sorted(value.items())]
        else:
            rows.append((member, "", value))
    return rows


def dead_letters(page: PageRequest) -> View:
    name = page.path["domain"]
    letters, next_token = page.services.dead_letters.list(
        page.caller, name, PAGE_SIZE, page.arg("next") or None
    )
    return View("dead_letters.html", {"letters": letters, "next_token": next_token})


def integrations(page: PageRequest) -> View:
    """The domain's integrations and their runs, newest run first (runs page)."""
    name = page.path["domain"]
    found, _ = page.services.integrations.list(page.caller, name, 100, None, True)
    runs, next_token = page.services.flows.list_runs(
        page.caller, name, page.arg("uri") or None, PAGE_SIZE, page.arg("next") or None
    )
    return View(
        "integrations.html",
        {"integrations": found, "runs": runs, "next_token": next_token, "uri": page.arg("uri")},
    )


ROUTES: Final[list[tuple[str, str, Any]]] = [
    ("GET", "/domains/{domain}/object-types", object_types),
    ("GET", "/domains/{domain}/object-types/{object_type}", object_type),
    ("POST", "/domains/{domain}/object-types/{object_type}/preview", preview),
    ("GET", "/domains/{domain}/dead-letters", dead_letters),
    ("GET", "/domains/{domain}/integrations", integrations),
]

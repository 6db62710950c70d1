"""Which operations openprofiles implements, as the README's table."""

from __future__ import annotations

from openprofiles.handlers.registry import B2BI, CUSTOMER_PROFILES, implemented

SERVICES = (
    (CUSTOMER_PROFILES, "Amazon Connect Customer Profiles"),
    (B2BI, "AWS B2B Data Interchange"),
)


def operations_table() -> str:
    """A Markdown table per service: every operation of its model and whether it is served."""
    from openprofiles.protocol.models import load_service_model

    parts = []
    for service, title in SERVICES:
        done = set(implemented(service))
        names = load_service_model(service).operation_names
        parts.append(f"### {title} (`{service}`): {len(done)} of {len(names)} implemented\n")
        parts.append("| operation | status |\n| --- | --- |")
        parts += [f"| {n} | {'implemented' if n in done else 'not yet (501)'} |" for n in names]
        parts.append("")
    return "\n".join(parts)

"""A test double of the identity-resolution engine contract, for the job mechanics only (the
real engines are tested in tests/unit/resolution): profiles sharing an email address, compared
lower-cased, are one group."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from openprofiles.resolution.engine import (
    MatchGroup,
    Progress,
    ResolutionRecord,
    ResolutionSettings,
)


class EmailEngine:
    """Profiles sharing an email address are one group, confidence 0.9."""

    name = "email"

    def __init__(self, observe: Callable[[str], None] | None = None) -> None:
        self.observe = observe
        self.seen = 0

    def resolve(
        self,
        records: Iterable[ResolutionRecord],
        settings: ResolutionSettings,
        progress: Progress | None = None,
    ) -> list[MatchGroup]:
        by_email: dict[str, list[str]] = {}
        for record in records:
            self.seen += 1
            email = str(record.document.get("EmailAddress", "")).lower()
            if email:
                by_email.setdefault(email, []).append(record.profile_id)
        if progress:
            progress("PREPROCESSING", self.seen, self.seen)
        if self.observe:
            self.observe("PREPROCESSING")
        if progress:
            progress("FIND_MATCHING", 0, len(by_email))
        if self.observe:
            self.observe("FIND_MATCHING")
        return [
            MatchGroup(tuple(ids), 0.9 if len(ids) == 2 else 0.8)
            for ids in by_email.values()
            if len(ids) > 1
        ]

    def trained_model(self) -> Mapping[str, Any]:
        return {}

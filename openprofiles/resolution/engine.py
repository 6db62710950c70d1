"""The contract between identity-resolution engines and the job runner.

A job reads a domain's profiles, hands them to an engine as ``ResolutionRecord`` values and stores
the ``MatchGroup`` values it gets back. Engines (Splink on DuckDB, Splink on Spark) live beside this
module and are chosen by name with ``get_engine``; nothing outside ``resolution/`` sees which
database an engine computes with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class ResolutionRecord:
    """One profile as an engine sees it: its id and its stored document (AWS profile shape)."""

    profile_id: str
    document: Mapping[str, Any]


@dataclass(frozen=True)
class ScoredPair:
    """Two profiles the engine compared, with the match probability (0..1) it gave them."""

    left_id: str
    right_id: str
    probability: float


@dataclass(frozen=True)
class MatchGroup:
    """Profiles the engine holds to be one person; ``confidence`` is 0..1."""

    profile_ids: tuple[str, ...]
    confidence: float
    pairs: tuple[ScoredPair, ...] = ()


@dataclass(frozen=True)
class ResolutionSettings:
    """What a job tells an engine; the defaults are what a domain gets when it says nothing."""

    default_region: str = "US"
    match_threshold: float = 0.9
    extra: Mapping[str, Any] = field(default_factory=dict)


Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)``; stages are PREPROCESSING and FIND_MATCHING."""


class Engine(Protocol):
    """An identity-resolution engine: records in, match groups (two or more profiles each) out."""

    name: str

    def resolve(
        self,
        records: Iterable[ResolutionRecord],
        settings: ResolutionSettings,
        progress: Progress | None = None,
    ) -> list[MatchGroup]: ...

    def trained_model(self) -> Mapping[str, Any]:
        """The JSON-able model (comparison levels with their m and u probabilities, the prior)
        that the last ``resolve`` scored with; the real-time matcher scores new profiles with
        it (resolution/realtime.py)."""
        ...

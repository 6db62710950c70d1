"""The match model: each comparison level's m and u probabilities and the prior.

Stored as JSON in our own small format (``format: 1``), not Splink's settings, so one model
serves every backend (the level conditions come from comparisons.py in each backend's dialect)
and the real-time matcher. ``data/default_model.json`` is the shipped model, trained on
generated customers (bench/train_resolution_model.py); domains too small to estimate their own
parameters are scored with it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from openprofiles.resolution.comparisons import COMPARISONS, ComparisonSpec

MODEL_FORMAT = 1
LevelWeights = tuple[float, float] | None
"""(m, u) of a level; None for the null level, which neither supports nor opposes a match."""


@dataclass(frozen=True)
class MatchModel:
    """Prior and per-level (m, u) for every comparison of ``COMPARISONS``, in the same order."""

    probability_two_random_records_match: float
    weights: Mapping[str, Sequence[LevelWeights]]
    source: str = "default"
    records: int | None = None
    """How many records the parameters were estimated on."""

    def levels(self, spec: ComparisonSpec) -> Sequence[LevelWeights]:
        return self.weights[spec.name]

    def to_json(self) -> dict[str, Any]:
        comparisons = []
        for spec in COMPARISONS:
            levels: list[dict[str, Any]] = []
            for level, weights in zip(spec.levels, self.weights[spec.name], strict=True):
                entry: dict[str, Any] = {"label": level.label}
                if weights is not None:
                    entry["m_probability"], entry["u_probability"] = weights
                levels.append(entry)
            comparisons.append({"comparison": spec.name, "levels": levels})
        return {
            "format": MODEL_FORMAT,
            "source": self.source,
            "probability_two_random_records_match": self.probability_two_random_records_match,
            "records": self.records,
            "comparisons": comparisons,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MatchModel:
        if data.get("format") != MODEL_FORMAT:
            raise ValueError(f"match model format {data.get('format')!r} is not {MODEL_FORMAT}")
        by_column = {entry["comparison"]: entry["levels"] for entry in data["comparisons"]}
        weights: dict[str, list[LevelWeights]] = {}
        for spec in COMPARISONS:
            stored = by_column[spec.name]
            labels = [entry["label"] for entry in stored]
            if labels != [level.label for level in spec.levels]:
                raise ValueError(f"match model levels for {spec.name} are {labels}")
            weights[spec.name] = [
                (float(entry["m_probability"]), float(entry["u_probability"]))
                if "m_probability" in entry
                else None
                for entry in stored
            ]
        return cls(
            probability_two_random_records_match=float(
                data["probability_two_random_records_match"]
            ),
            weights=weights,
            source=str(data.get("source", "default")),
            records=int(data["records"]) if data.get("records") else None,
        )


@cache
def default_model() -> MatchModel:
    """The shipped model (``resolution/data/default_model.json``)."""
    path = resources.files("openprofiles.resolution").joinpath("data", "default_model.json")
    return MatchModel.from_json(json.loads(path.read_text("utf-8")))


def uninformed_model() -> MatchModel:
    """A starting point before any training: stronger levels are likelier among matches."""
    weights: dict[str, list[LevelWeights]] = {}
    for spec in COMPARISONS:
        count = sum(1 for level in spec.levels if not level.is_null)
        m_raw = [2.0 ** (count - index) for index in range(count)]
        u_raw = [4.0**index for index in range(count)]
        m = iter(value / sum(m_raw) for value in m_raw)
        u = iter(value / sum(u_raw) for value in u_raw)
        weights[spec.name] = [
            None if level.is_null else (next(m), next(u)) for level in spec.levels
        ]
    return MatchModel(1e-4, weights, "uninformed")

"""Splink as the engine: normalise, estimate (or take the shipped model), predict, cluster.

The backends (DuckDB, Spark) differ only in how a table reaches the database; that sits behind
``SplinkEngine._database`` and ``_register``, and everything else is shared here so both give
the same groups for the same records.
"""

from __future__ import annotations

import contextlib
import logging
import math
from abc import ABC, abstractmethod
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from openprofiles.resolution.blocking import DETERMINISTIC_RULES, rule_sql, splink_blocking_rules
from openprofiles.resolution.comparisons import COMPARISONS, splink_comparison
from openprofiles.resolution.engine import (
    MatchGroup,
    Progress,
    ResolutionRecord,
    ResolutionSettings,
    ScoredPair,
)
from openprofiles.resolution.model import LevelWeights, MatchModel, default_model
from openprofiles.resolution.normalise import NormalisedRecord, normalise_document

# Splink warns through logging about levels a training pass did not see; the engine falls back
# to the shipped parameters for those, so the warnings say nothing a user can act on.
logging.getLogger("splink").setLevel(logging.ERROR)

ESTIMATE_MIN_RECORDS = 1000
"""Below this many records a domain is scored with the shipped model instead of its own."""
U_SAMPLE_PAIRS = 5e5
# Pairs sampled for u: the largest cost of estimating (12 s of a 100k-profile run at 1e6 on a
# loaded 2-core machine); at 3e5 FEBRL3's F1 fell from 0.9961 to 0.9954.
# The deterministic rules demand several equal fields, so in noisy data they find a minority of
# the matches: on FEBRL3 they find 22% of the true pairs (1,462 of 6,538, none false), so an
# assumed recall of 0.3 still leaves the prior below its true value there.
DETERMINISTIC_RECALL = 0.3
# EM sessions, each blocking on columns whose agreement makes matches common among its pairs;
# the comparisons of a session's own columns are trained by the other sessions.
EM_BLOCKS: tuple[tuple[str, ...], ...] = (
    ("first_name", "last_name", "birth_date"),
    ("email",),
    ("postcode", "birth_date"),
    ("account_number",),
)
EM_MIN_PAIRS = 50
"""An EM block pairing fewer records than this is skipped."""


def _blocked_pairs(records: list[NormalisedRecord], columns: tuple[str, ...]) -> int:
    counts = Counter(
        key
        for key in (tuple(getattr(record, column) for column in columns) for record in records)
        if None not in key
    )
    return sum(count * (count - 1) // 2 for count in counts.values())


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def splink_settings(model: MatchModel) -> Any:
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        probability_two_random_records_match=model.probability_two_random_records_match,
        comparisons=[splink_comparison(spec, list(model.levels(spec))) for spec in COMPARISONS],
        blocking_rules_to_generate_predictions=list(splink_blocking_rules()),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def model_from_linker(linker: Any, fallback: MatchModel, source: str) -> MatchModel:
    """The linker's current parameters; a level Splink could not estimate keeps ``fallback``'s."""
    settings = linker.misc.save_model_to_json()
    by_column = {c["output_column_name"]: c["comparison_levels"] for c in settings["comparisons"]}
    weights: dict[str, list[LevelWeights]] = {}
    for spec in COMPARISONS:
        old = fallback.levels(spec)
        levels: list[LevelWeights] = []
        for stored, previous in zip(by_column[spec.name], old, strict=True):
            if previous is None:
                levels.append(None)
                continue
            m = _probability(stored.get("m_probability"), previous[0])
            u = _probability(stored.get("u_probability"), previous[1])
            levels.append((m, u))
        weights[spec.name] = levels
    prior = _probability(
        settings.get("probability_two_random_records_match"),
        fallback.probability_two_random_records_match,
    )
    return MatchModel(prior, weights, source, fallback.records)


def _probability(value: object, fallback: float) -> float:
    if isinstance(value, int | float) and 0.0 < float(value) <= 1.0 and math.isfinite(value):
        return float(value)
    return fallback


class SplinkEngine(ABC):
    """Shared by the Splink backends.

    A group is a connected component of the pairs scored at or above
    ``settings.match_threshold`` (Splink's clustering); its ``pairs`` are those pairs and its
    confidence is the lowest of their probabilities, so a group is at least as sure as its
    weakest link. ``settings.default_region`` reads national phone numbers and day/month order;
    ``settings.extra["estimate_min_records"]`` (default 1,000) is the domain size from which
    parameters are estimated by EM instead of taken from the shipped model. Term-frequency
    adjustments are not used: the real-time scorer would need each domain's frequency tables
    to give the same probabilities.
    """

    name = "splink"

    def __init__(self) -> None:
        self._model: MatchModel = default_model()

    @abstractmethod
    def _database(self) -> Any:
        """A fresh Splink database API."""

    @abstractmethod
    def _register(self, database: Any, records: list[NormalisedRecord]) -> Any:
        """The records as a registered Splink table (columns: ``rows_columns()``)."""

    def trained_model(self) -> Mapping[str, Any]:
        return self._model.to_json()

    def resolve(
        self,
        records: Iterable[ResolutionRecord],
        settings: ResolutionSettings,
        progress: Progress | None = None,
    ) -> list[MatchGroup]:
        report = progress or _no_progress
        normalised = self._normalise(list(records), settings, report)
        if len(normalised) < 2:
            self._model = default_model()
            report("FIND_MATCHING", 1, 1)
            return []
        report("FIND_MATCHING", 0, 3)
        database = self._database()
        table = self._register(database, normalised)
        from splink import Linker

        start = default_model()
        linker = Linker(table, splink_settings(start), log_level=None)
        minimum = int(settings.extra.get("estimate_min_records", ESTIMATE_MIN_RECORDS))
        if len(normalised) >= minimum:
            self._estimate(linker, normalised)
            self._model = model_from_linker(linker, start, "estimated")
        else:
            self._model = start
        report("FIND_MATCHING", 1, 3)
        threshold = settings.match_threshold
        predictions = linker.inference.predict(threshold_match_probability=threshold)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=threshold
        )
        report("FIND_MATCHING", 2, 3)
        groups = self._groups(linker, predictions, clusters, threshold)
        report("FIND_MATCHING", 3, 3)
        return groups

    def _normalise(
        self, records: list[ResolutionRecord], settings: ResolutionSettings, report: Progress
    ) -> list[NormalisedRecord]:
        total = len(records)
        report("PREPROCESSING", 0, total)
        step = max(1, total // 20)
        normalised = []
        for done, record in enumerate(records, start=1):
            normalised.append(
                normalise_document(record.profile_id, record.document, settings.default_region)
            )
            if done % step == 0 or done == total:
                report("PREPROCESSING", done, total)
        return normalised

    def _estimate(self, linker: Any, records: list[NormalisedRecord]) -> None:
        from splink import block_on

        training = linker.training
        deterministic = [sql for rule in DETERMINISTIC_RULES for sql in rule_sql(rule)]
        shipped = linker._settings_obj._probability_two_random_records_match
        with contextlib.suppress(Exception):
            training.estimate_probability_two_random_records_match(
                deterministic, recall=DETERMINISTIC_RECALL
            )
        # No deterministic match at all estimates a prior of 0 (and all of them, 1), whose match
        # weight is infinite and fails Splink's predict step: the shipped prior stands then.
        estimated = linker._settings_obj._probability_two_random_records_match
        if not 0.0 < estimated < 1.0:
            linker._settings_obj._probability_two_random_records_match = shipped
        training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=1)
        for columns in EM_BLOCKS:
            # A session on a block without pairs fails part way and leaves the linker without
            # that block's comparisons, so only blocks that pair enough records are trained.
            if _blocked_pairs(records, columns) < EM_MIN_PAIRS:
                continue
            try:
                training.estimate_parameters_using_expectation_maximisation(
                    block_on(*columns), estimate_without_term_frequencies=True
                )
            except Exception:  # a block with no pairs trains nothing
                continue

    def _groups(
        self, linker: Any, predictions: Any, clusters: Any, threshold: float
    ) -> list[MatchGroup]:
        # One query (each one is a job on Spark): the pairs at or above the threshold with both
        # ends in one cluster. A cluster of two or more is a connected component of such
        # pairs, so its members are exactly the ends of its pairs.
        pairs = linker.misc.query_sql(  # a SplinkDataFrame
            f"""
            SELECT p.unique_id_l, p.unique_id_r, p.match_probability, l.cluster_id
            FROM {predictions.physical_name} AS p
            JOIN {clusters.physical_name} AS l ON p.unique_id_l = l.unique_id
            JOIN {clusters.physical_name} AS r ON p.unique_id_r = r.unique_id
            WHERE p.match_probability >= {float(threshold)!r} AND l.cluster_id = r.cluster_id
            """,
        )
        by_cluster: dict[Any, list[ScoredPair]] = defaultdict(list)
        columns = _columns(pairs, "unique_id_l", "unique_id_r", "match_probability", "cluster_id")
        for left, right, probability, cluster in zip(*columns, strict=True):
            by_cluster[cluster].append(ScoredPair(str(left), str(right), float(probability)))
        groups = [
            MatchGroup(
                profile_ids=tuple(
                    sorted({pair.left_id for pair in scored} | {pair.right_id for pair in scored})
                ),
                confidence=min(pair.probability for pair in scored),
                pairs=tuple(sorted(scored, key=lambda pair: (pair.left_id, pair.right_id))),
            )
            for scored in by_cluster.values()
        ]
        return sorted(groups, key=lambda group: group.profile_ids)


def _columns(frame: Any, *names: str) -> list[list[Any]]:
    """Columns of a Splink table as Python lists, through Arrow (no pandas needed)."""
    table = frame.as_pyarrow_table()
    return [table.column(name).to_pylist() for name in names]


def rows_columns() -> Sequence[str]:
    """Column order of the table an engine registers."""
    return list(NormalisedRecord.__dataclass_fields__)


def column_values(records: list[NormalisedRecord], column: str) -> list[str | None]:
    return [getattr(record, column) for record in records]

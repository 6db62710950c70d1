"""Train the shipped match model (openprofiles/resolution/data/default_model.json).

On generated customers (bench/resolution_customers.py) whose truth is known: u by random
sampling, m from the true pairs (Splink's estimate from a label column), the prior from the
true pair count. Domains too small for EM are scored with this model.

    .venv/bin/python -m bench.train_resolution_model [--profiles 30000] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from bench.resolution_customers import generate
from openprofiles.resolution.model import LevelWeights, MatchModel, uninformed_model
from openprofiles.resolution.normalise import NormalisedRecord, normalise_document
from openprofiles.resolution.splink_engine import model_from_linker, splink_settings

M_UNSEEN = 1e-4  # the share of a level never seen among the true pairs
U_UNSEEN = 1e-7  # ... or among the sampled pairs
DEFAULT_OUT = Path(__file__).parent.parent / "openprofiles/resolution/data/default_model.json"


def train(profiles: int, seed: int = 11) -> MatchModel:
    import pyarrow as pa
    from splink import DuckDBAPI, Linker

    rows = []
    people: Counter[int] = Counter()
    for profile_id, person, document in generate(profiles, seed=seed):
        row = normalise_document(profile_id, document).as_row()
        row["person"] = str(person)
        rows.append(row)
        people[person] += 1
    columns = [*NormalisedRecord.__dataclass_fields__, "person"]
    table = pa.table(
        {column: pa.array([row[column] for row in rows], pa.string()) for column in columns}
    )
    database = DuckDBAPI()
    start = uninformed_model()
    linker = Linker(database.register(table), splink_settings(start), log_level=None)
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    linker.training.estimate_m_from_label_column("person")
    unseen = MatchModel(
        start.probability_two_random_records_match,
        {
            name: [None if w is None else (M_UNSEEN, U_UNSEEN) for w in levels]
            for name, levels in start.weights.items()
        },
    )
    trained = model_from_linker(linker, unseen, "default")
    true_pairs = sum(count * (count - 1) // 2 for count in people.values())
    all_pairs = len(rows) * (len(rows) - 1) // 2
    return MatchModel(true_pairs / all_pairs, _normalised(trained.weights), "default", len(rows))


def _normalised(weights: Mapping[str, Sequence[LevelWeights]]) -> dict[str, list[LevelWeights]]:
    """m and u of each comparison summing to one; a level never seen keeps a small share."""
    result: dict[str, list[LevelWeights]] = {}
    for name, levels in weights.items():
        present = [level for level in levels if level is not None]
        m_total = sum(m for m, _ in present)
        u_total = sum(u for _, u in present)
        result[name] = [
            None if level is None else (level[0] / m_total, level[1] / u_total) for level in levels
        ]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", type=int, default=30000)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    model = train(args.profiles)
    args.out.write_text(json.dumps(model.to_json(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

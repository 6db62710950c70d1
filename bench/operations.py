"""Operator commands on a data directory of ``--objects`` generated contacts (bench/ingest.py's,
loaded with ``openprofiles import``): ``export`` (profiles, and one type's objects), ``backup``
and ``restore``, each as a subprocess: wall-clock time, rate and the child's peak resident
memory. Run at two sizes, the export's peak memory shows whether it stays flat.

    .venv/bin/python -m bench.operations [--objects 100000]

Prints figures; no assertions.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.ingest import DOMAIN, OBJECT_TYPE, prepare_data_dir, write_objects


def _run(args: list[str]) -> tuple[float, float]:
    """(seconds, peak MiB) of ``openprofiles ARGS`` run as a child process."""
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "openprofiles", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"openprofiles {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    peak_kib = int(done.stderr.strip().splitlines()[-1])
    return seconds, peak_kib / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--objects", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="op-bench-operations-") as tmp:
        root = Path(tmp)
        data = root / "data"
        prepare_data_dir(data)
        source = root / "contacts.jsonl"
        write_objects(source, args.objects)
        seconds, _ = _run(
            [
                "import",
                "--domain",
                DOMAIN,
                "--object-type",
                OBJECT_TYPE,
                "--data-dir",
                str(data),
                "--no-progress",
                str(source),
            ]
        )
        print(f"import of {args.objects:,} objects: {seconds:.1f} s")
        size = (data / "openprofiles.db").stat().st_size
        common = ["--domain", DOMAIN, "--data-dir", str(data), "--no-progress"]
        for label, extra in (("export", []), ("export --objects-of", ["--objects-of", "Contact"])):
            out = root / "export.jsonl"
            seconds, peak = _run(["export", *common, *extra, "--output", str(out)])
            lines = sum(1 for _ in out.open("rb"))
            print(
                f"{label}: {lines:,} lines, {out.stat().st_size / 1e6:,.1f} MB in "
                f"{seconds:.1f} s ({lines / seconds:,.0f} lines/s), peak {peak:,.0f} MiB"
            )
            os.unlink(out)
        backup = root / "openprofiles.backup"
        seconds, peak = _run(
            ["backup", "--data-dir", str(data), "--output", str(backup), "--no-progress"]
        )
        print(
            f"backup of {size / 1e6:,.1f} MB: {seconds:.1f} s "
            f"({size / 1e6 / seconds:,.0f} MB/s), peak {peak:,.0f} MiB"
        )
        seconds, peak = _run(
            [
                "restore",
                "--data-dir",
                str(root / "restored"),
                "--input",
                str(backup),
                "--no-progress",
            ]
        )
        print(f"restore: {seconds:.1f} s, peak {peak:,.0f} MiB")


if __name__ == "__main__":
    main()

"""Integration benchmark: an S3 flow of Salesforce-Contact-like JSON Lines records into a fresh
domain, against the bulk import of the same records as the floor, measured in the same run.

The records (bench/ingest.py's contacts: one in five reuses an earlier email) are written as
``--files`` JSON Lines objects under a prefix of a bucket on moto's S3 server, started here on
a loopback port. Then, each as a subprocess on a fresh SQLite data directory holding the domain
and the object type:

(a) the floor: ``openprofiles import`` of the same records from a local file;
(b) the flow: ``openprofiles integrations run`` of an integration whose FlowDefinition reads
    that prefix and projects every field of the records (one Filter PROJECTION task).

Prints each one's records/s, peak resident memory and CPU time, and the flow's ratio to the
floor. Targets (issue 16): the flow >= 10,000 records/s on SQLite, peak memory <= 1 GiB.

    .venv/bin/python -m bench.integration_s3 [--records 1000000] [--files 10]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.ingest import (
    ACCOUNT,
    DOMAIN,
    OBJECT_TYPE,
    REGION,
    bench_import,
    contacts,
    prepare_data_dir,
)

BUCKET = "bench-crm"
PREFIX = "contacts/"
FLOW = "bench-contacts"
KMS = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/bench"


def upload(endpoint: str, records: int, files: int) -> list[str]:
    """The records as ``files`` JSON Lines objects under PREFIX; the source fields' names."""
    import boto3

    s3 = boto3.client(
        "s3", endpoint_url=endpoint, region_name=REGION,
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip
    s3.create_bucket(Bucket=BUCKET)
    per_file = -(-records // files)
    fields: list[str] = []
    generated = contacts(records)
    for n in range(files):
        lines = []
        for _ in range(per_file):
            item = next(generated, None)
            if item is None:
                break
            fields = fields or list(item)
            lines.append(json.dumps(item, separators=(",", ":")))
        if lines:
            body = ("\n".join(lines) + "\n").encode()
            s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}part-{n:04d}.jsonl", Body=body)
    return fields


def prepare_flow(data_dir: Path, fields: list[str]) -> str:
    from openprofiles.config import load_settings
    from openprofiles.context import Caller
    from openprofiles.services.container import Services
    from openprofiles.storage.database import Database

    prepare_data_dir(data_dir)
    settings = load_settings({"data_dir": data_dir})
    database = Database.open(settings.effective_database_url)
    try:
        services = Services(database, settings)
        record, _ = services.integrations.put(Caller(ACCOUNT, REGION), DOMAIN, {
            "ObjectTypeName": OBJECT_TYPE,
            "FlowDefinition": {
                "FlowName": FLOW, "KmsArn": KMS,
                "SourceFlowConfig": {"ConnectorType": "S3", "SourceConnectorProperties": {
                    "S3": {"BucketName": BUCKET, "BucketPrefix": PREFIX}}},
                "Tasks": [{"TaskType": "Filter", "SourceFields": fields,
                           "ConnectorOperator": {"S3": "PROJECTION"}}],
                "TriggerConfig": {"TriggerType": "OnDemand"},
            },
        })  # fmt: skip
        return record.uri
    finally:
        database.close()


def bench_flow(endpoint: str, data_dir: Path, uri: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "openprofiles", "integrations", "run", "--domain", DOMAIN,
               "--uri", uri, "--data-dir", str(data_dir)]  # fmt: skip
    env = {**os.environ, "OPENPROFILES_S3_ENDPOINT_URL": endpoint}
    out_path = data_dir / "run.json"
    with out_path.open("w") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    run = json.loads(out_path.read_text())
    return {
        "exit": os.waitstatus_to_exitcode(status),
        "seconds": seconds,
        "run": run,
        "peak_mib": usage.ru_maxrss / 1024,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=10, help="S3 objects the records fill")
    parser.add_argument("--skip-floor", action="store_true", help="only the flow")
    args = parser.parse_args()
    from moto.server import ThreadedMotoServer

    from bench.http_crud import free_port
    from openprofiles.cli.importer import DEFAULT_BATCH

    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        with tempfile.TemporaryDirectory(prefix="op-bench-integration-") as tmp:
            root = Path(tmp)
            started = time.perf_counter()
            fields = upload(endpoint, args.records, args.files)
            print(f"uploaded {args.records:,} records in {args.files} objects "
                  f"in {time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
            floor = None
            if not args.skip_floor:
                floor = bench_import(args.records, DEFAULT_BATCH, root)
            uri = prepare_flow(root / "flow-data", fields)
            flow = bench_flow(endpoint, root / "flow-data", uri)
    finally:
        moto.stop()
    run = flow["run"]
    rate = args.records / flow["seconds"]
    print(
        f"\nflow of {args.records:,} records: {flow['seconds']:.1f} s wall clock, {rate:,.0f} "
        f"records/s (target >= 10,000); status {run['Status']}, read {run['RecordsRead']:,}, "
        f"ingested {run['RecordsIngested']:,}, rejected {run['RecordsRejected']:,}, "
        f"exit {flow['exit']}"
    )
    print(f"flow peak memory: {flow['peak_mib']:,.0f} MiB (target <= 1,024 MiB); CPU time "
          f"{flow['cpu_seconds']:,.0f} s, {flow['cpu_seconds'] / args.records * 1e6:,.0f} us "
          "per record")  # fmt: skip
    if floor is not None:
        print(
            f"floor, bulk import of the same records: {floor['seconds']:.1f} s, "
            f"{floor['rate']:,.0f} records/s, peak {floor['peak_mib']:,.0f} MiB, CPU time "
            f"{floor['cpu_seconds']:,.0f} s; the flow runs at {rate / floor['rate']:.2f}x the "
            "import"
        )


if __name__ == "__main__":
    main()

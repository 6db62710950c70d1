"""Amazon Connect contact records (CTRs) posted to openprofiles: each is ingested, through the
ingestion engine, into every domain of the account whose integration names the record's
Connect instance (its Uri is the instance's ARN), with that integration's object type (one made
from a CTR template: ``CTR``, ``CTR-NoInferred``, ``CTR-AutoAssociateOnly``).

A record the engine refuses is kept as a dead letter with the reason, as a flow's are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import Connection

from openprofiles.clock import Clock
from openprofiles.context import Caller
from openprofiles.errors import ServiceError, invalid, not_found
from openprofiles.services.object_batch import PutResult
from openprofiles.services.objects import ObjectService
from openprofiles.storage.database import Database
from openprofiles.storage.repositories import dead_letters as dead_letter_repo
from openprofiles.storage.repositories import integrations as repo

MAX_RECORDS: Final = 500
_INSTANCE: Final = re.compile(r"^arn:aws[a-z-]*:connect:[a-z0-9-]+:\d{12}:instance/[\w-]+$")


class ContactRecordService:
    def __init__(self, database: Database, clock: Clock, objects: ObjectService) -> None:
        self.database = database
        self.clock = clock
        self.objects = objects

    def ingest(self, caller: Caller, instance_arn: Any, records: Any) -> list[dict[str, Any]]:
        """Ingest ``records`` into each domain integrated with the instance; per domain, what
        became of them."""
        if not isinstance(instance_arn, str) or not _INSTANCE.match(instance_arn):
            raise invalid(
                "InstanceArn: must be an Amazon Connect instance ARN, "
                "arn:aws:connect:{region}:{account}:instance/{id}"
            )
        if not isinstance(records, list) or not 1 <= len(records) <= MAX_RECORDS:
            raise invalid(f"ContactRecords: must be a list of 1 to {MAX_RECORDS} contact records")
        for i, record in enumerate(records):
            if not isinstance(record, dict):
                raise invalid(f"ContactRecords[{i}]: must be a JSON object (a contact record)")
        texts = [json.dumps(r, ensure_ascii=False) for r in records]
        with self.database.read() as conn:
            query = repo.account_query(caller.account, caller.region, instance_arn, True)
            targets = [
                (row._mapping["domain_name"], row._mapping["domain_id"], repo.record_of(row))
                for row in conn.execute(query.order_by(query.selected_columns.id))
            ]
        targets = [t for t in targets if t[2].object_type_name]
        if not targets:
            raise not_found(
                f"No integration of this account names Connect instance {instance_arn}: put one "
                "with PutIntegration (Uri: the instance ARN, ObjectTypeName: a CTR object type)."
            )
        out = []
        for domain, domain_id, integration in targets:
            object_type = integration.object_type_name or ""
            summary: dict[str, Any] = {
                "DomainName": domain, "ObjectTypeName": object_type, "Ingested": 0,
                "Rejected": 0, "Rejections": [],
            }  # fmt: skip

            def keep(
                conn: Connection,
                results: Sequence[PutResult | ServiceError],
                kept: Sequence[dict[str, Any]],
                domain_id: int = domain_id,
                object_type: str = object_type,
                summary: dict[str, Any] = summary,
            ) -> None:
                letters = {row["object"] for row in kept}
                rows = []
                for i, (text, result) in enumerate(zip(texts, results, strict=True)):
                    if not isinstance(result, ServiceError):
                        summary["Ingested"] += 1
                        continue
                    summary["Rejected"] += 1
                    summary["Rejections"].append(f"ContactRecords[{i}]: {result.message}")
                    if text not in letters:
                        reason = f"Connect instance {instance_arn}: {result.message}"
                        rows.append({"domain_id": domain_id, "object_type": object_type,
                                     "object": text, "reason": reason,
                                     "created_at": self.clock.now()})  # fmt: skip
                dead_letter_repo.add(conn, rows)

            self.objects.put_many(caller, domain, object_type, texts, records, within=keep)
            out.append(summary)
        return out

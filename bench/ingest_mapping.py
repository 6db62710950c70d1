"""Throughput of the pure mapping engine: map_object over generated Salesforce-Contact objects.

    .venv/bin/python -m bench.ingest_mapping [COUNT]

Prints objects/s for parse_object + map_object (the per-object cost bulk import pays before
touching storage) and for map_object alone. No assertions: figures go in the closing note.
"""

from __future__ import annotations

import json
import random
import sys
import time

from openprofiles.ingest import ObjectTypeDefinition, map_object, parse_object

FIRST = ["Jane", "John", "Ana", "Wei", "Fatima", "Olu", "Maria", "Sam"]
LAST = ["Doe", "Smith", "García", "Chen", "Okafor", "Nguyen", "Müller", "Lee"]
CITIES = ["Seattle", "Austin", "Denver", "Boston", "Portland"]


def contact(i: int, rng: random.Random) -> dict[str, object]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return {
        "attributes": {"type": "Contact"},
        "Id": f"003{i:015d}",
        "AccountId": f"001{i // 7:015d}",
        "FirstName": first,
        "LastName": last,
        "Email": f"{first}.{last}{i}@Example.com",
        "Phone": f"({rng.randint(200, 989)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
        "MobilePhone": f"+1 {rng.randint(200, 989)} {rng.randint(200, 999)} {i % 10000:04d}",
        "HomePhone": None,
        "MailingStreet": f"{i % 900 + 1} Main St",
        "MailingCity": rng.choice(CITIES),
        "MailingState": "WA",
        "MailingPostalCode": f"{98000 + i % 999}",
        "MailingCountry": "USA",
        "Birthdate": "1985-04-12",
        "LastModifiedDate": "2024-03-01T12:30:00.000+0000",
    }


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rng = random.Random(42)
    texts = [json.dumps(contact(i, rng)) for i in range(count)]
    definition = ObjectTypeDefinition.from_wire(
        "Salesforce-Contact", {"Description": "bench", "TemplateId": "Salesforce-Contact"}
    )
    map_object(definition, parse_object(texts[0]))  # compile the plan outside the timing

    start = time.perf_counter()
    for text in texts:
        map_object(definition, parse_object(text))
    with_parse = time.perf_counter() - start

    parsed = [json.loads(text) for text in texts]
    start = time.perf_counter()
    for obj in parsed:
        map_object(definition, obj)
    mapping_only = time.perf_counter() - start

    print(f"objects: {count}")
    print(f"parse_object + map_object: {count / with_parse:,.0f} objects/s")
    print(f"map_object only:           {count / mapping_only:,.0f} objects/s")


if __name__ == "__main__":
    main()

"""``openprofiles export`` on SQLite and PostgreSQL, against a live server's database: every
profile with its keys and objects, in batches; and a round trip of one type's objects through
``openprofiles import`` into another domain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from tests.integration.test_observability import CUSTOMER_TYPE
from tests.support.live_server import LiveServer

ORDER_TYPE: dict[str, Any] = {
    "Description": "orders",
    "AllowProfileCreation": False,
    "Fields": {
        "order": {"Source": "_source.order", "Target": "_profile.Attributes.lastOrder",
                  "ContentType": "STRING"},
        "customer": {"Source": "_source.customer", "Target": "_profile.AccountNumber",
                     "ContentType": "STRING"},
    },
    "Keys": {
        "orderId": [{"StandardIdentifiers": ["UNIQUE"], "FieldNames": ["order"]}],
        "customerId": [{"StandardIdentifiers": ["PROFILE"], "FieldNames": ["customer"]}],
    },
}  # fmt: skip

CUSTOMERS = [
    {"id": f"c-{i}", "email": f"Person{i}@Example.com"} for i in range(7)
]  # seven profiles: several batches of two


def _cli(*args: str) -> Result:
    from openprofiles.cli.main import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _fill(server: LiveServer) -> Any:
    cp = server.client()
    cp.create_domain(DomainName="shop", DefaultExpirationDays=30)
    cp.put_profile_object_type(DomainName="shop", ObjectTypeName="Customer", **CUSTOMER_TYPE)
    cp.put_profile_object_type(DomainName="shop", ObjectTypeName="Order", **ORDER_TYPE)
    for customer in CUSTOMERS:
        cp.put_profile_object(
            DomainName="shop", ObjectTypeName="Customer", Object=json.dumps(customer)
        )
    # An object sent over several lines, and two orders on one customer.
    cp.put_profile_object(
        DomainName="shop", ObjectTypeName="Order",
        Object=json.dumps({"order": "o-1", "customer": "c-1"}, indent=2),
    )  # fmt: skip
    cp.put_profile_object(
        DomainName="shop", ObjectTypeName="Order", Object='{"order": "o-2", "customer": "c-1"}'
    )
    profile_id = cp.search_profiles(DomainName="shop", KeyName="customerId", Values=["c-2"])[
        "Items"
    ][0]["ProfileId"]
    cp.add_profile_key(
        DomainName="shop", ProfileId=profile_id, KeyName="loyalty", Values=["gold-2"]
    )
    return cp


def test_export_profiles_with_keys_and_objects(
    live_server: LiveServer, database_url: str, tmp_path: Path
) -> None:
    cp = _fill(live_server)
    out = tmp_path / "shop.jsonl"
    result = _cli("export", "--domain", "shop", "--database-url", database_url,
                  "--output", str(out), "--batch-size", "2")  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = dict(line.split(None, 1) for line in result.stdout.strip().splitlines())
    assert summary["profiles"] == "7"
    assert summary["objects"] == "9"
    assert summary["written"] == f"{out.stat().st_size:,} bytes to {out}"

    records = [json.loads(line) for line in out.read_text().splitlines()]
    ids = [r["Profile"]["ProfileId"] for r in records]
    assert ids == sorted(ids) and len(set(ids)) == 7
    by_customer = {r["Profile"]["AccountNumber"]: r for r in records}
    assert set(by_customer) == {c["id"] for c in CUSTOMERS}
    one = by_customer["c-1"]
    stored = cp.search_profiles(DomainName="shop", KeyName="customerId", Values=["c-1"])["Items"]
    assert {k: v for k, v in stored[0].items() if k != "FoundByItems"} == one["Profile"]
    assert one["Keys"]["customerId"] == ["c-1"]
    assert one["Keys"]["_email"] == ["person1@example.com"]
    assert one["Keys"]["_profileId"] == [one["Profile"]["ProfileId"]]
    assert [(o["ObjectTypeName"], o["ProfileObjectUniqueKey"]) for o in one["Objects"]] == [
        ("Customer", "c-1"), ("Order", "o-1"), ("Order", "o-2"),
    ]  # fmt: skip
    listed = cp.list_profile_objects(
        DomainName="shop", ObjectTypeName="Order", ProfileId=one["Profile"]["ProfileId"]
    )["Items"]
    assert sorted(o["Object"] for o in one["Objects"][1:]) == sorted(i["Object"] for i in listed)
    assert by_customer["c-2"]["Keys"]["loyalty"] == ["gold-2"]

    missing = _cli("export", "--domain", "nope", "--database-url", database_url, "--output", "-")
    assert missing.exit_code == 2 and "Domain nope does not exist" in missing.output
    missing = _cli("export", "--domain", "shop", "--objects-of", "Nope",
                   "--database-url", database_url, "--output", "-")  # fmt: skip
    assert missing.exit_code == 2
    assert "Object type Nope does not exist in domain shop" in missing.output


def test_objects_round_trip_through_import(
    live_server: LiveServer, database_url: str, tmp_path: Path
) -> None:
    cp = _fill(live_server)
    result = _cli("export", "--domain", "shop", "--objects-of", "Order", "--no-progress",
                  "--database-url", database_url, "--output", "-")  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [json.loads(line)["order"] for line in lines] == ["o-1", "o-2"]
    assert "Order objects  2\n" in result.stderr  # the summary stays off the data
    assert "objects/s" in result.stderr

    cp.create_domain(DomainName="copy", DefaultExpirationDays=30)
    cp.put_profile_object_type(DomainName="copy", ObjectTypeName="Customer", **CUSTOMER_TYPE)
    cp.put_profile_object_type(DomainName="copy", ObjectTypeName="Order", **ORDER_TYPE)
    for object_type in ("Customer", "Order"):  # customers first: orders create no profile
        objects = tmp_path / f"{object_type}.jsonl"
        result = _cli("export", "--domain", "shop", "--objects-of", object_type,
                      "--database-url", database_url, "--output", str(objects))  # fmt: skip
        assert result.exit_code == 0, result.output
        result = _cli("import", "--domain", "copy", "--object-type", object_type,
                      "--database-url", database_url, str(objects))  # fmt: skip
        assert result.exit_code == 0, result.output

    def profiles(domain: str) -> list[dict[str, Any]]:
        found = cp.search_profiles(
            DomainName=domain, KeyName="customerId", Values=[c["id"] for c in CUSTOMERS]
        )["Items"]
        drop = {"ProfileId", "FoundByItems"}
        return sorted(({k: v for k, v in p.items() if k not in drop} for p in found),
                      key=lambda p: p["AccountNumber"])  # fmt: skip

    assert len(profiles("copy")) == 7
    assert profiles("copy") == profiles("shop")

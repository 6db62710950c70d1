"""Domains and tags on a live server through boto3 and the AWS CLI (both databases)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.raw_client import aws_cli


def test_domain_lifecycle(live_server: Any) -> None:
    cp = live_server.client("customer-profiles")
    created = cp.create_domain(
        DomainName="shop",
        DefaultExpirationDays=90,
        DeadLetterQueueUrl="https://sqs.us-east-1.amazonaws.com/000000000000/dlq",
        Matching={"Enabled": False},
        Tags={"team": "crm"},
    )
    assert created["DomainName"] == "shop" and created["DefaultExpirationDays"] == 90
    assert isinstance(created["CreatedAt"], datetime)
    assert created["Tags"] == {"team": "crm"}
    with pytest.raises(ClientError) as err:
        cp.create_domain(DomainName="shop", DefaultExpirationDays=90)
    assert err.value.response["Error"]["Code"] == "BadRequestException"

    cp.create_profile(DomainName="shop", FirstName="A")
    got = cp.get_domain(DomainName="shop")
    assert got["Stats"]["ProfileCount"] == 1 and got["Stats"]["TotalSize"] > 0
    assert got["Matching"] == {"Enabled": False}

    updated = cp.update_domain(DomainName="shop", DefaultExpirationDays=10, DeadLetterQueueUrl="")
    assert updated["DefaultExpirationDays"] == 10 and "DeadLetterQueueUrl" not in updated
    assert updated["LastUpdatedAt"] >= updated["CreatedAt"]

    names = [d["DomainName"] for d in cp.list_domains()["Items"]]
    assert names == ["shop"]
    assert "Message" in cp.delete_domain(DomainName="shop")
    with pytest.raises(ClientError) as err:
        cp.get_domain(DomainName="shop")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    # nothing of the domain is left: a new domain of the same name starts empty
    cp.create_domain(DomainName="shop", DefaultExpirationDays=1)
    assert cp.get_domain(DomainName="shop")["Stats"]["ProfileCount"] == 0


def test_list_domains_pages(live_server: Any) -> None:
    cp = live_server.client("customer-profiles")
    for i in range(5):
        cp.create_domain(DomainName=f"page-{i}", DefaultExpirationDays=1)
    paginator_names = []
    token = None
    while True:
        kwargs: dict[str, Any] = {"MaxResults": 2}
        if token:
            kwargs["NextToken"] = token
        page = cp.list_domains(**kwargs)
        paginator_names += [d["DomainName"] for d in page["Items"]]
        token = page.get("NextToken")
        if not token:
            break
    assert paginator_names == [f"page-{i}" for i in range(5)]


def test_accounts_are_isolated(live_server: Any) -> None:
    a = live_server.client("customer-profiles")
    b = boto3.client(
        "customer-profiles",
        endpoint_url=live_server.endpoint,
        region_name="us-east-1",
        aws_access_key_id="second",
        aws_secret_access_key="second-secret",
        config=Config(retries={"max_attempts": 1}),
    )
    a.create_domain(DomainName="same", DefaultExpirationDays=1)
    b.create_domain(DomainName="same", DefaultExpirationDays=2)
    a.create_profile(DomainName="same", FirstName="only-a")
    assert a.get_domain(DomainName="same")["Stats"]["ProfileCount"] == 1
    assert b.get_domain(DomainName="same")["Stats"]["ProfileCount"] == 0
    arn_b = "arn:aws:profile:us-east-1:222222222222:domains/same"
    with pytest.raises(ClientError):
        a.tag_resource(resourceArn=arn_b, tags={"x": "y"})


def test_domain_quota(live_server: Any) -> None:
    cp = live_server.client("customer-profiles")
    for i in range(100):
        cp.create_domain(DomainName=f"q{i}", DefaultExpirationDays=1)
    with pytest.raises(ClientError) as err:
        cp.create_domain(DomainName="one-too-many", DefaultExpirationDays=1)
    assert err.value.response["Error"]["Code"] == "BadRequestException"
    assert "maximum number of domains" in err.value.response["Error"]["Message"]


def test_tags(live_server: Any) -> None:
    cp = live_server.client("customer-profiles")
    arn = cp.create_domain(DomainName="tagged", DefaultExpirationDays=1)
    arn = "arn:aws:profile:us-east-1:000000000000:domains/tagged"
    cp.tag_resource(resourceArn=arn, tags={"a": "1", "b": "2"})
    cp.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert cp.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2"}
    assert cp.get_domain(DomainName="tagged")["Tags"] == {"b": "2"}
    with pytest.raises(ClientError) as err:
        cp.tag_resource(resourceArn=arn, tags={f"k{i}": "v" for i in range(50)})
    assert err.value.response["Error"]["Code"] == "BadRequestException"
    assert cp.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2"}
    with pytest.raises(ClientError) as err:
        cp.tag_resource(resourceArn=arn, tags={"aws:reserved": "v"})
    assert err.value.response["Error"]["Code"] == "BadRequestException"
    with pytest.raises(ClientError) as err:
        cp.list_tags_for_resource(resourceArn="arn:aws:profile:us-east-1:000000000000:domains/none")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_aws_cli(live_server: Any) -> None:
    made = aws_cli(
        live_server.endpoint,
        "customer-profiles",
        "create-domain",
        "--domain-name",
        "cli",
        "--default-expiration-days",
        "7",
    )
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["DomainName"] == "cli"
    created = aws_cli(
        live_server.endpoint,
        "customer-profiles",
        "create-profile",
        "--domain-name",
        "cli",
        "--first-name",
        "Cli",
        "--email-address",
        "cli@example.com",
    )
    assert created.returncode == 0, created.stderr
    pid = json.loads(created.stdout)["ProfileId"]
    found = aws_cli(
        live_server.endpoint,
        "customer-profiles",
        "search-profiles",
        "--domain-name",
        "cli",
        "--key-name",
        "_email",
        "--values",
        "cli@example.com",
    )
    assert found.returncode == 0, found.stderr
    assert [p["ProfileId"] for p in json.loads(found.stdout)["Items"]] == [pid]
    missing = aws_cli(
        live_server.endpoint, "customer-profiles", "get-domain", "--domain-name", "nope"
    )
    assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr


def test_concurrent_creates_never_lock_or_duplicate(live_server: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def create_domain(_: int) -> str:
        cp = live_server.client("customer-profiles")
        try:
            cp.create_domain(DomainName="race", DefaultExpirationDays=1)
            return "created"
        except ClientError as err:
            return str(err.response["Error"]["Code"])

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(create_domain, range(16)))
    assert outcomes.count("created") == 1
    assert set(outcomes) == {"created", "BadRequestException"}

    def create_profile(i: int) -> str:
        cp = live_server.client("customer-profiles")
        return str(cp.create_profile(DomainName="race", FirstName=f"p{i}")["ProfileId"])

    with ThreadPoolExecutor(16) as pool:
        ids = list(pool.map(create_profile, range(64)))
    assert len(set(ids)) == 64
    cp = live_server.client("customer-profiles")
    assert cp.get_domain(DomainName="race")["Stats"]["ProfileCount"] == 64

"""Constraint enforcement: every generated violation is rejected, naming the member."""

from __future__ import annotations

import pytest

from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.protocol.models import B2BI, CUSTOMER_PROFILES, load_service_model
from openprofiles.protocol.parser import parse_json_request, parse_rest_request
from openprofiles.protocol.router import rest_router, target_router
from openprofiles.protocol.shapes import compile_pattern
from openprofiles.protocol.validator import validate
from tests.support.model_values import sample_input, violations
from tests.unit.protocol.wire import botocore_request

OPERATIONS = [
    (service, name)
    for service in (CUSTOMER_PROFILES, B2BI)
    for name in load_service_model(service).operation_names
]


def _handle(service: str, params: dict[str, object], operation: str) -> dict[str, object]:
    op_model = load_service_model(service).operation_model(operation)
    request = botocore_request(op_model, params)
    if service == B2BI:
        name = target_router(service).match(request.headers["x-amz-target"])
        parsed = parse_json_request(service, name, request)
    else:
        name, labels = rest_router(service).match(
            request.method, request.path, request.query_string
        )
        parsed = parse_rest_request(service, name, request, labels)
    assert name == operation
    return validate(service, operation, parsed)


@pytest.mark.parametrize(("service", "operation"), OPERATIONS)
def test_every_violation_is_rejected_naming_the_member(service: str, operation: str) -> None:
    """The bad-input sweep, in process: botocore serializes, we parse and validate."""
    op_model = load_service_model(service).operation_model(operation)
    _handle(service, sample_input(op_model), operation)  # the valid request passes
    failures = []
    for member_path, rule, params in violations(op_model):
        try:
            _handle(service, params, operation)
        except ServiceError as exc:
            if exc.kind is not ErrorKind.INVALID or f"'{member_path}'" not in exc.message:
                failures.append(f"{member_path} {rule}: {exc.kind.name} {exc.message}")
        else:
            failures.append(f"{member_path} {rule}: accepted")
    assert not failures, "\n".join(failures)


def test_sweep_covers_every_rule() -> None:
    rules = {
        v.rule
        for service, name in OPERATIONS
        for v in violations(load_service_model(service).operation_model(name))
    }
    assert {
        "required",
        "min_length",
        "max_length",
        "min_value",
        "max_value",
        "min_items",
        "max_items",
        "enum",
        "pattern",
        "type",
        "union",
        "key_pattern",
    } <= rules


def test_every_model_pattern_compiles() -> None:
    count = 0
    for service in (CUSTOMER_PROFILES, B2BI):
        model = load_service_model(service)
        for name in model.shape_names:
            pattern = model.shape_for(name).metadata.get("pattern")
            if pattern is not None:
                compile_pattern(pattern)
                count += 1
    assert count > 30


def test_patterns_are_not_anchored_and_ascii() -> None:
    assert compile_pattern("[a-z]+").search("UPPER lower") is not None
    assert compile_pattern(r"^\w+$").search("caf\u00e9") is None  # Java's \w is ASCII


def _profile_params(**members: object) -> dict[str, object]:
    return {"DomainName": "dom", **members}


def test_aws_wording_and_path() -> None:
    params = {"DomainName": "x" * 65, "DefaultExpirationDays": 0}
    with pytest.raises(ServiceError) as caught:
        validate(CUSTOMER_PROFILES, "CreateDomain", params)
    message = caught.value.message
    assert message.startswith("2 validation errors detected: ")
    assert (
        f"Value '{'x' * 65}' at 'DomainName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64"
    ) in message
    assert "Member must have value greater than or equal to 1" in message


def test_required_enum_pattern_messages() -> None:
    with pytest.raises(ServiceError) as caught:
        validate(CUSTOMER_PROFILES, "CreateDomain", {"DomainName": "bad name!"})
    message = caught.value.message
    assert "Value null at 'DefaultExpirationDays' failed to satisfy constraint: " in message
    assert "Member must not be null" in message
    assert "Member must satisfy regular expression pattern: ^[a-zA-Z0-9_-]+$" in message
    with pytest.raises(ServiceError) as caught:
        validate(CUSTOMER_PROFILES, "CreateProfile", _profile_params(Gender="OTHER"))
    assert (  # Gender is a sensitive shape: its value is not echoed
        "Value at 'Gender' failed to satisfy constraint: "
        "Member must satisfy enum value set: [MALE, FEMALE, UNSPECIFIED]"
    ) in caught.value.message


def test_non_sensitive_values_are_echoed() -> None:
    params = {"name": "n", "phone": "+12065550100", "businessName": "b", "logging": "LOUD"}
    with pytest.raises(ServiceError) as caught:
        validate(B2BI, "CreateProfile", params)
    assert caught.value.message == (
        "1 validation error detected: Value 'LOUD' at 'logging' failed to satisfy constraint: "
        "Member must satisfy enum value set: [ENABLED, DISABLED]"
    )


def test_sensitive_values_are_not_echoed() -> None:
    secret = "s" * 300
    with pytest.raises(ServiceError) as caught:
        validate(CUSTOMER_PROFILES, "CreateProfile", _profile_params(FirstName=secret))
    assert "Value at 'FirstName' failed to satisfy constraint" in caught.value.message
    assert "sss" not in caught.value.message
    with pytest.raises(ServiceError) as caught:
        address = {"City": secret}
        validate(CUSTOMER_PROFILES, "CreateProfile", _profile_params(Address=address))
    assert "Value at 'Address.City'" in caught.value.message
    assert "sss" not in caught.value.message


def test_nested_list_paths_count_from_one() -> None:
    params = {"DomainName": "dom", "KeyName": "k", "Values": ["ok", ""]}
    with pytest.raises(ServiceError) as caught:
        validate(CUSTOMER_PROFILES, "SearchProfiles", params)
    assert "at 'Values.2'" in caught.value.message


def test_create_profile_treats_empty_optional_strings_as_absent() -> None:
    params = _profile_params(
        FirstName="Ann",
        MiddleName="",
        Address={"City": "Paris", "Province": ""},
    )
    result = validate(CUSTOMER_PROFILES, "CreateProfile", params)
    assert "MiddleName" not in result
    assert result["Address"] == {"City": "Paris"}
    assert result["FirstName"] == "Ann"


def test_create_profile_leniency_keeps_other_constraints() -> None:
    with pytest.raises(ServiceError) as caught:
        validate(CUSTOMER_PROFILES, "CreateProfile", {"DomainName": "", "Gender": ""})
    message = caught.value.message
    assert "'DomainName'" in message  # required: stays an error
    assert "'Gender'" in message  # an enum member: "" is not one of its values


def test_update_profile_keeps_empty_strings() -> None:
    params = {"DomainName": "dom", "ProfileId": "a" * 32, "MiddleName": "", "Address": {"City": ""}}
    result = validate(CUSTOMER_PROFILES, "UpdateProfile", dict(params))
    assert result["MiddleName"] == ""
    assert result["Address"] == {"City": ""}


def test_aws_sample_create_profile_request_passes() -> None:
    params = {
        "DomainName": "ExampleDomain",
        "AccountNumber": "1234",
        "AdditionalInformation": "",
        "PartyType": "INDIVIDUAL",
        "BusinessName": "",
        "FirstName": "Jane",
        "MiddleName": "",
        "LastName": "Doe",
        "BirthDate": "1990-01-01",
        "Gender": "FEMALE",
        "PhoneNumber": "+12065550100",
        "EmailAddress": "jane@example.com",
        "Address": {"Address1": "1 Main St", "City": "Seattle", "Province": "", "Country": "US"},
        "Attributes": {"Color": "blue"},
    }
    result = validate(CUSTOMER_PROFILES, "CreateProfile", params)
    assert "MiddleName" not in result and "Province" not in result["Address"]


def test_map_keys_are_checked() -> None:
    params = {"resourceArn": "arn:aws:profile:us-east-1:1:domains/d", "tags": {"aws:x": "v"}}
    with pytest.raises(ServiceError) as caught:
        validate(CUSTOMER_PROFILES, "TagResource", params)
    assert "at 'tags' failed to satisfy constraint: Map keys must satisfy" in caught.value.message


def test_union_needs_exactly_one_member() -> None:
    group = {"Dimensions": [{}], "SourceType": "ALL", "Type": "ALL"}
    params = {
        "DomainName": "d",
        "SegmentDefinitionName": "s",
        "DisplayName": "n",
        "SegmentGroups": {"Groups": [group]},
    }
    with pytest.raises(ServiceError) as caught:
        validate(CUSTOMER_PROFILES, "CreateSegmentDefinition", params)
    assert "SegmentGroups.Groups.1.Dimensions.1" in caught.value.message

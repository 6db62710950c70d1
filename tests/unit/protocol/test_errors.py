"""Errors as botocore's parsers read them: code, message, status, request id."""

from __future__ import annotations

import json

import pytest
from botocore.parsers import create_parser

from openprofiles.errors import ErrorKind, ServiceError
from openprofiles.protocol.models import B2BI, CUSTOMER_PROFILES, load_service_model
from openprofiles.protocol.serializer import serialize_error
from tests.unit.protocol.wire import botocore_parse

COMMON = {
    ErrorKind.NOT_IMPLEMENTED: ("NotImplementedException", 501),
    ErrorKind.UNKNOWN_OPERATION: ("UnknownOperationException", 404),
    ErrorKind.MISSING_AUTH: ("MissingAuthenticationTokenException", 403),
    ErrorKind.UNRECOGNIZED_CLIENT: ("UnrecognizedClientException", 403),
    ErrorKind.INVALID_SIGNATURE: ("InvalidSignatureException", 403),
}
EXPECTED = {
    CUSTOMER_PROFILES: {
        ErrorKind.INVALID: ("BadRequestException", 400),
        ErrorKind.CONFLICT: ("BadRequestException", 400),
        ErrorKind.QUOTA: ("BadRequestException", 400),
        ErrorKind.NOT_FOUND: ("ResourceNotFoundException", 404),
        ErrorKind.ACCESS_DENIED: ("AccessDeniedException", 403),
        ErrorKind.THROTTLED: ("ThrottlingException", 429),
        ErrorKind.INTERNAL: ("InternalServerException", 500),
        **COMMON,
    },
    B2BI: {
        ErrorKind.INVALID: ("ValidationException", 400),
        ErrorKind.NOT_FOUND: ("ResourceNotFoundException", 400),
        ErrorKind.CONFLICT: ("ConflictException", 400),
        ErrorKind.QUOTA: ("ServiceQuotaExceededException", 400),
        ErrorKind.ACCESS_DENIED: ("AccessDeniedException", 400),
        ErrorKind.THROTTLED: ("ThrottlingException", 400),
        ErrorKind.INTERNAL: ("InternalServerException", 500),
        **COMMON,
    },
}
OPERATION = {CUSTOMER_PROFILES: "GetDomain", B2BI: "GetProfile"}
CASES = [(s, k) for s in EXPECTED for k in ErrorKind]


def test_every_kind_is_mapped() -> None:
    for service in EXPECTED:
        assert set(EXPECTED[service]) == set(ErrorKind)


@pytest.mark.parametrize(("service", "kind"), CASES, ids=[f"{s}-{k.name}" for s, k in CASES])
def test_botocore_reads_code_and_message(service: str, kind: ErrorKind) -> None:
    code, status = EXPECTED[service][kind]
    response = serialize_error(service, ServiceError(kind, "it went wrong"), "rid-7")
    assert response.status == status
    assert response.headers["x-amzn-ErrorType"] == code
    assert response.headers["x-amzn-RequestId"] == "rid-7"
    op_model = load_service_model(service).operation_model(OPERATION[service])
    parsed = botocore_parse(op_model, response)
    assert parsed["Error"]["Code"] == code
    assert parsed["Error"]["Message"] == "it went wrong"


def test_customer_profiles_body() -> None:
    response = serialize_error(CUSTOMER_PROFILES, ServiceError(ErrorKind.NOT_FOUND, "gone"), "r")
    assert json.loads(response.body) == {"Message": "gone"}
    assert response.headers["Content-Type"] == "application/json"


def test_b2bi_body_uses_model_spelling_and_fields() -> None:
    response = serialize_error(B2BI, ServiceError(ErrorKind.INVALID, "bad"), "r")
    assert json.loads(response.body) == {"__type": "ValidationException", "Message": "bad"}
    assert response.headers["Content-Type"] == "application/x-amz-json-1.0"
    error = ServiceError(
        ErrorKind.QUOTA,
        "too many",
        resourceId="p-1",
        resourceType="profile",
        serviceCode="b2bi",
        quotaCode="L-1",
    )
    body = json.loads(serialize_error(B2BI, error, "r").body)
    assert body == {
        "__type": "ServiceQuotaExceededException",
        "message": "too many",
        "resourceId": "p-1",
        "resourceType": "profile",
        "serviceCode": "b2bi",
        "quotaCode": "L-1",
    }
    # What botocore's endpoint does for a modeled error: parse against the error's shape.
    model = load_service_model(B2BI)
    response = serialize_error(B2BI, error, "r")
    modeled = create_parser("json").parse(
        {"status_code": response.status, "headers": response.headers, "body": response.body},
        model.shape_for_error_code("ServiceQuotaExceededException"),
    )
    assert modeled["quotaCode"] == "L-1"
    assert modeled["resourceType"] == "profile"

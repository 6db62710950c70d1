"""Every operation of both models: botocore serializes, we route and parse, values survive; we
serialize outputs, botocore parses them back."""

from __future__ import annotations

import pytest

from openprofiles.protocol.http import HttpRequest
from openprofiles.protocol.models import B2BI, CUSTOMER_PROFILES, load_service_model
from openprofiles.protocol.parser import parse_json_request, parse_rest_request
from openprofiles.protocol.router import rest_router, target_router
from openprofiles.protocol.serializer import serialize_output
from openprofiles.protocol.validator import validate
from tests.support.model_values import sample_input, sample_output
from tests.unit.protocol.wire import botocore_parse, botocore_request, normalise

OPERATIONS = [
    (service, name)
    for service in (CUSTOMER_PROFILES, B2BI)
    for name in load_service_model(service).operation_names
]


def _route_and_parse(service: str, request: HttpRequest) -> tuple[str, dict[str, object]]:
    if service == B2BI:
        name = target_router(service).match(request.headers["x-amz-target"])
        return name, parse_json_request(service, name, request)
    name, labels = rest_router(service).match(request.method, request.path, request.query_string)
    return name, parse_rest_request(service, name, request, labels)


@pytest.mark.parametrize(("service", "operation"), OPERATIONS)
@pytest.mark.parametrize("full", [True, False], ids=["full", "required-only"])
def test_input_round_trip(service: str, operation: str, full: bool) -> None:
    op_model = load_service_model(service).operation_model(operation)
    params = sample_input(op_model, full=full)
    request = botocore_request(op_model, params)
    name, parsed = _route_and_parse(service, request)
    assert name == operation
    assert normalise(parsed) == normalise(params)
    validate(service, operation, parsed)  # the generated values satisfy every constraint


@pytest.mark.parametrize(("service", "operation"), OPERATIONS)
def test_output_round_trip(service: str, operation: str) -> None:
    op_model = load_service_model(service).operation_model(operation)
    output = sample_output(op_model)
    response = serialize_output(service, operation, output, "req-1")
    assert response.headers["x-amzn-RequestId"] == "req-1"
    assert normalise(botocore_parse(op_model, response)) == normalise(output)

"""The test-value generator itself: valid for every shape, deterministic."""

from __future__ import annotations

import pytest
from botocore.validate import ParamValidator

from openprofiles.protocol.models import B2BI, CUSTOMER_PROFILES, load_service_model
from openprofiles.protocol.shapes import compile_pattern, shape_info
from openprofiles.protocol.validator import constraint_errors
from tests.support.model_values import sample, sample_string, violations


@pytest.mark.parametrize("service", [CUSTOMER_PROFILES, B2BI])
def test_every_string_shape_gets_a_fitting_value(service: str) -> None:
    model = load_service_model(service)
    for name in model.shape_names:
        shape = model.shape_for(name)
        if shape.type_name != "string":
            continue
        meta = shape.metadata
        for index in range(3 if not meta.get("enum") else 1):
            value = sample_string(shape, index)
            assert meta.get("min", 0) <= len(value) <= meta.get("max", 10**9), name
            if "enum" in meta:
                assert value in meta["enum"]
            if "pattern" in meta:
                assert compile_pattern(meta["pattern"]).search(value), (name, value)
        if not meta.get("enum"):
            assert len({sample_string(shape, i) for i in range(3)}) == 3, name


@pytest.mark.parametrize("service", [CUSTOMER_PROFILES, B2BI])
@pytest.mark.parametrize("full", [True, False], ids=["full", "required-only"])
def test_every_shape_gets_a_valid_sample(service: str, full: bool) -> None:
    """Each sample passes botocore's own checks (required members, types, minimums) and ours
    (maximums, patterns, enums, unions), and is the same on every call."""
    model = load_service_model(service)
    for name in model.shape_names:
        shape = model.shape_for(name)
        value = sample(shape, full)
        report = ParamValidator().validate(value, shape)
        assert not report.has_errors(), report.generate_report()
        assert constraint_errors(shape_info(service, shape), value, name) == []
        assert sample(shape, full) == value, name


def test_violations_are_deterministic() -> None:
    op_model = load_service_model(CUSTOMER_PROFILES).operation_model("PutProfileObjectType")
    first = list(violations(op_model))
    assert first == list(violations(op_model))
    assert len(first) > 20

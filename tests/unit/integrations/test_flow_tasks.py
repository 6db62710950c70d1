"""A flow's Task rules and their effect on one record, and schedule expressions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from openprofiles.errors import ServiceError
from openprofiles.integrations.flow import check_flow
from openprofiles.integrations.schedule import Schedule, parse_expression
from openprofiles.integrations.tasks import Rejected, TaskPlan

KMS = "arn:aws:kms:us-east-1:000000000000:key/k"


def _flow(tasks: list[dict[str, Any]], connector: str = "S3") -> dict[str, Any]:
    member = "ServiceNow" if connector == "Servicenow" else connector
    props = {"BucketName": "b"} if connector == "S3" else {"Object": "Contact"}
    return {
        "FlowName": "f",
        "KmsArn": KMS,
        "SourceFlowConfig": {"ConnectorType": connector,
                             "SourceConnectorProperties": {member: props}},
        "Tasks": tasks,
        "TriggerConfig": {"TriggerType": "OnDemand"},
    }  # fmt: skip


def _plan(*tasks: dict[str, Any], connector: str = "S3") -> TaskPlan:
    return TaskPlan(check_flow(_flow(list(tasks), connector)).tasks)


def _t(kind: str, fields: list[str], op: str | None, dest: str | None = None, **props: str,
       ) -> dict[str, Any]:  # fmt: skip
    task: dict[str, Any] = {"TaskType": kind, "SourceFields": fields}
    if op:
        task["ConnectorOperator"] = {"S3": op}
    if dest:
        task["DestinationField"] = dest
    if props:
        task["TaskProperties"] = props
    return task


def test_no_tasks_keep_the_record_whole() -> None:
    assert _plan().apply({"a": 1}) == {"a": 1}


def test_mask_last_n_concat_format_and_a_plain_map() -> None:
    plan = _plan(
        _t("Filter", ["phone", "a", "b"], "PROJECTION"),
        _t("Mask", ["phone"], "MASK_LAST_N", MASK_LENGTH="4"),
        _t("Merge", ["a", "b"], "NO_OP", "ab", CONCAT_FORMAT="${b}/${a}"),
        _t("Map", ["a"], None, "alpha"),
    )
    assert plan.apply({"phone": "5550100", "a": "x", "b": "y", "z": 1}) == {
        "phone": "555****", "ab": "y/x", "alpha": "x", "b": "y",
    }  # fmt: skip


def test_division_by_zero_and_a_non_number_reject_the_record() -> None:
    plan = _plan(_t("Arithmetic", ["a", "b"], "DIVISION", "q"))
    assert plan.apply({"a": "9", "b": "2"})["q"] == 4.5
    with pytest.raises(Rejected, match="division by zero"):
        plan.apply({"a": "1", "b": "0"})
    with pytest.raises(Rejected, match="not a number"):
        plan.apply({"a": "one", "b": "2"})


def test_validations() -> None:
    plan = _plan(_t("Validate", ["n"], "VALIDATE_NON_NEGATIVE"))
    assert plan.apply({"n": "0"}) == {"n": "0"}
    with pytest.raises(Rejected, match="negative"):
        plan.apply({"n": "-2"})
    with pytest.raises(Rejected, match="zero"):
        _plan(_t("Validate", ["n"], "VALIDATE_NON_ZERO")).apply({"n": 0})


@pytest.mark.parametrize(
    ("task", "named"),
    [
        (_t("Validate", ["n"], None), "needs an operator"),
        (_t("Mask", ["n"], "MASK_FIRST_N"), "MASK_LENGTH"),
        (_t("Filter", ["n"], "BETWEEN", VALUE="1"), "LOWER_BOUND"),
        (_t("Merge", ["a", "b"], None), "DestinationField"),
        (_t("Map", ["a", "b"], None, "c"), "exactly one"),
        (_t("Validate", ["n"], "VALIDATE_NUMERIC", VALIDATION_ACTION="Shrug"), "VALIDATION_ACTION"),
        ({"TaskType": "Map", "SourceFields": ["a"], "ConnectorOperator": {"Zendesk": "NO_OP"}},
         "ConnectorOperator.Zendesk"),
    ],
)  # fmt: skip
def test_bad_tasks_name_their_member(task: dict[str, Any], named: str) -> None:
    with pytest.raises(ServiceError) as err:
        check_flow(_flow([task]))
    assert named in err.value.message and "Tasks[0]" in err.value.message


def test_a_saas_source_needs_its_object() -> None:
    definition = _flow([], "Servicenow")
    definition["SourceFlowConfig"]["SourceConnectorProperties"] = {}
    with pytest.raises(ServiceError, match=r"SourceConnectorProperties\.ServiceNow"):
        check_flow(definition)


@pytest.mark.parametrize(
    "text", ["rate(0 minutes)", "rate(5 weeks)", "cron(0 12 * * * *)", "cron(0 12 * *)", "daily"]
)
def test_bad_expressions(text: str) -> None:
    with pytest.raises(ValueError):
        parse_expression(text)


def test_cron_years_and_rates() -> None:
    anchor = datetime(2026, 1, 1, tzinfo=UTC)
    yearly = Schedule.of({"ScheduleExpression": "cron(30 6 1 1 ? 2028)"}, anchor)
    assert yearly.next_after(anchor) == datetime(2028, 1, 1, 6, 30, tzinfo=UTC)
    rate = Schedule.of({"ScheduleExpression": "rate(15 minutes)"}, anchor)
    assert rate.next_after(datetime(2026, 1, 1, 0, 15, tzinfo=UTC)) == datetime(
        2026, 1, 1, 0, 30, tzinfo=UTC
    )

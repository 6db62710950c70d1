"""A FlowDefinition's rules beyond the model's shapes, as AppFlow applies them.

The protocol layer has checked types, lengths, patterns and enums; what is left is how the
members fit together: the source's connector properties, each Task's operator against its
TaskType (and the source's connector), the properties a Task needs, and a Scheduled trigger's
expression. Every error names the member as the request spelled it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from openprofiles.errors import invalid
from openprofiles.integrations.schedule import parse_expression

# ConnectorType -> its member of SourceConnectorProperties and of ConnectorOperator.
CONNECTOR_MEMBERS: Final = {
    "Salesforce": "Salesforce",
    "Marketo": "Marketo",
    "Zendesk": "Zendesk",
    "Servicenow": "ServiceNow",
    "S3": "S3",
}

COMPARISONS: Final = frozenset({
    "LESS_THAN", "GREATER_THAN", "BETWEEN", "LESS_THAN_OR_EQUAL_TO", "GREATER_THAN_OR_EQUAL_TO",
    "EQUAL_TO", "NOT_EQUAL_TO", "CONTAINS",
})  # fmt: skip
ARITHMETIC: Final = frozenset({"ADDITION", "MULTIPLICATION", "DIVISION", "SUBTRACTION"})
MASKS: Final = frozenset({"MASK_ALL", "MASK_FIRST_N", "MASK_LAST_N"})
VALIDATIONS: Final = frozenset(
    {"VALIDATE_NON_NULL", "VALIDATE_NON_ZERO", "VALIDATE_NON_NEGATIVE", "VALIDATE_NUMERIC"}
)
# The operators each TaskType takes (AppFlow's): Map, Merge and Truncate take none but NO_OP.
OPERATORS_BY_TASK: Final[dict[str, frozenset[str]]] = {
    "Filter": frozenset({"PROJECTION"}) | COMPARISONS,
    "Arithmetic": ARITHMETIC,
    "Mask": MASKS,
    "Validate": VALIDATIONS,
    "Map": frozenset({"NO_OP"}),
    "Merge": frozenset({"NO_OP"}),
    "Truncate": frozenset({"NO_OP"}),
}
VALIDATION_ACTIONS: Final = ("DropRecord", "TerminateFlow")


@dataclass(frozen=True)
class Task:
    task_type: str
    operator: str
    source_fields: tuple[str, ...]
    destination: str | None
    properties: dict[str, str]


@dataclass(frozen=True)
class Flow:
    """A checked FlowDefinition."""

    name: str
    connector_type: str
    connector_profile: str | None
    source: dict[str, Any]  # the connector's member of SourceConnectorProperties
    datetime_field: str | None  # IncrementalPullConfig.DatetimeTypeFieldName
    tasks: tuple[Task, ...]
    trigger_type: str
    scheduled: dict[str, Any] | None  # TriggerProperties.Scheduled

    @property
    def complete_pulls(self) -> bool:
        """Whether each run takes everything again (DataPullMode Complete)."""
        return bool(self.scheduled) and (self.scheduled or {}).get("DataPullMode") == "Complete"


def flow_arn(region: str, account: str, flow_name: str) -> str:
    """The Uri of an integration given a FlowDefinition and no Uri: the AppFlow flow's ARN."""
    return f"arn:aws:appflow:{region}:{account}:flow/{flow_name}"


def check_flow(definition: dict[str, Any]) -> Flow:
    """The FlowDefinition, checked; a 400 naming the member otherwise."""
    base = "FlowDefinition"
    source_config = definition["SourceFlowConfig"]
    connector_type = source_config["ConnectorType"]
    member = CONNECTOR_MEMBERS[connector_type]
    properties = source_config.get("SourceConnectorProperties") or {}
    path = f"{base}.SourceFlowConfig.SourceConnectorProperties"
    if member not in properties:
        raise invalid(
            f"{path}.{member}: a source of ConnectorType {connector_type} needs its "
            f"{member} properties ({_needed(member)})"
        )
    others = sorted(k for k in properties if k != member and properties[k] is not None)
    if others:
        raise invalid(
            f"{path}.{others[0]}: ConnectorType is {connector_type}; give only the "
            f"{member} properties"
        )
    incremental = source_config.get("IncrementalPullConfig") or {}
    tasks = tuple(
        _check_task(f"{base}.Tasks[{i}]", task, member)
        for i, task in enumerate(definition["Tasks"])
    )
    trigger = definition["TriggerConfig"]
    scheduled = (trigger.get("TriggerProperties") or {}).get("Scheduled")
    trigger_path = f"{base}.TriggerConfig.TriggerProperties.Scheduled"
    if trigger["TriggerType"] == "Scheduled":
        if not scheduled or not scheduled.get("ScheduleExpression"):
            raise invalid(
                f"{trigger_path}.ScheduleExpression: a Scheduled trigger needs a "
                "ScheduleExpression such as rate(1hours) or cron(0 12 * * ? *)"
            )
        _check_schedule(trigger_path, scheduled)
    elif scheduled:
        raise invalid(
            f"{trigger_path}: TriggerType is {trigger['TriggerType']}; schedule properties "
            "apply only to a Scheduled trigger"
        )
    return Flow(
        name=definition["FlowName"],
        connector_type=connector_type,
        connector_profile=source_config.get("ConnectorProfileName"),
        source=properties[member],
        datetime_field=incremental.get("DatetimeTypeFieldName") or None,
        tasks=tasks,
        trigger_type=trigger["TriggerType"],
        scheduled=scheduled or None,
    )


def _needed(member: str) -> str:
    return "BucketName and an optional BucketPrefix" if member == "S3" else "Object"


def _check_schedule(path: str, scheduled: dict[str, Any]) -> None:
    if scheduled.get("Timezone"):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(scheduled["Timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise invalid(
                f"{path}.Timezone: {scheduled['Timezone']!r} is not a time zone name such as "
                "America/New_York"
            ) from None
    try:
        parse_expression(scheduled["ScheduleExpression"], scheduled.get("Timezone"))
    except ValueError as exc:
        raise invalid(f"{path}.ScheduleExpression: {exc}") from None
    start, end = scheduled.get("ScheduleStartTime"), scheduled.get("ScheduleEndTime")
    if start is not None and end is not None and end <= start:
        raise invalid(f"{path}.ScheduleEndTime: must be later than ScheduleStartTime")


def _check_task(path: str, task: dict[str, Any], member: str) -> Task:
    task_type = task["TaskType"]
    operators = task.get("ConnectorOperator") or {}
    given = {k: v for k, v in operators.items() if v is not None}
    wrong = sorted(k for k in given if k != member)
    if wrong:
        raise invalid(
            f"{path}.ConnectorOperator.{wrong[0]}: the source is {member}; give the operator "
            f"as ConnectorOperator.{member}"
        )
    operator = given.get(member)
    allowed = OPERATORS_BY_TASK[task_type]
    if operator is None:
        if allowed != {"NO_OP"}:
            raise invalid(
                f"{path}.ConnectorOperator.{member}: a {task_type} task needs an operator, one "
                f"of {', '.join(sorted(allowed))}"
            )
        operator = "NO_OP"
    if operator not in allowed:
        raise invalid(
            f"{path}.ConnectorOperator.{member}: {operator} does not fit TaskType {task_type}, "
            f"which takes {', '.join(sorted(allowed))}"
        )
    fields = tuple(task["SourceFields"])
    props: dict[str, str] = dict(task.get("TaskProperties") or {})
    destination = task.get("DestinationField") or None
    if not fields or any(not f for f in fields):
        raise invalid(f"{path}.SourceFields: name at least one source field")
    single = task_type in ("Map", "Mask", "Truncate", "Validate") or (
        task_type == "Filter" and operator != "PROJECTION"
    )
    if single and len(fields) != 1:
        raise invalid(f"{path}.SourceFields: a {task_type} task takes exactly one source field")
    if task_type == "Filter" and operator in COMPARISONS:
        needed = ("LOWER_BOUND", "UPPER_BOUND") if operator == "BETWEEN" else ("VALUE",)
        for name in needed:
            if name not in props:
                raise invalid(f"{path}.TaskProperties.{name}: {operator} compares with it")
    if task_type == "Arithmetic":
        if len(fields) != 2:
            raise invalid(f"{path}.SourceFields: an Arithmetic task takes two source fields")
        if not destination:
            raise invalid(f"{path}.DestinationField: an Arithmetic task writes its result there")
    if task_type == "Merge" and not destination:
        raise invalid(f"{path}.DestinationField: a Merge task writes the merged value there")
    if task_type == "Mask" and operator != "MASK_ALL":
        _int_property(path, props, "MASK_LENGTH", operator)
    if task_type == "Truncate":
        _int_property(path, props, "TRUNCATE_LENGTH", "Truncate")
    if task_type == "Validate":
        action = props.get("VALIDATION_ACTION", "DropRecord")
        if action not in VALIDATION_ACTIONS:
            raise invalid(
                f"{path}.TaskProperties.VALIDATION_ACTION: {action!r} is not one of "
                f"{', '.join(VALIDATION_ACTIONS)}"
            )
    return Task(task_type, operator, fields, destination, props)


def _int_property(path: str, props: dict[str, str], name: str, what: str) -> None:
    value = props.get(name)
    if value is None or not value.isdigit():
        raise invalid(
            f"{path}.TaskProperties.{name}: {what} needs it, a whole number of characters"
        )

"""A flow's Tasks applied to one source record, as AppFlow defines them.

Order of work for each record:

1. Filter tasks with a comparison operator keep the record only when their source field
   compares as asked (numbers as numbers, anything else as text); a record kept by none is
   *filtered*: not stored, not an error.
2. Validate tasks check their source field; a record that fails is *rejected* with the reason
   (VALIDATION_ACTION DropRecord, the default) or stops the run (TerminateFlow).
3. What reaches the object: the fields a Filter PROJECTION task names (every field of the
   record when no task projects), then Map (copy to DestinationField; a field mapped to
   another name is renamed), Merge (the source values joined by CONCAT_FORMAT, whose
   ``${Field}`` placeholders take the fields' values, or by one space), Arithmetic (the two
   source values added, subtracted, multiplied or divided, in MATH_OPERATION_FIELDS_ORDER when
   given), Mask (MASK_ALL, or the first / last MASK_LENGTH characters, with MASK_VALUE, ``*`` by
   default) and Truncate (to TRUNCATE_LENGTH characters), in the order given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

from openprofiles.integrations.flow import COMPARISONS, Task


class Rejected(Exception):
    """The record cannot be stored: the reason says which task refused it."""


class FlowTerminated(Exception):
    """A Validate task with VALIDATION_ACTION TerminateFlow failed: the run stops."""


_PLACEHOLDER: Final = re.compile(r"\$\{([^}]+)\}")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


def _compare(operator: str, value: Any, props: dict[str, str]) -> bool:
    if value is None:
        return False
    if operator == "CONTAINS":
        return props["VALUE"] in _text(value)
    if operator == "BETWEEN":
        low, high = props["LOWER_BOUND"], props["UPPER_BOUND"]
        nv, nl, nh = _number(value), _number(low), _number(high)
        if nv is not None and nl is not None and nh is not None:
            return nl <= nv <= nh
        return low <= _text(value) <= high
    wanted = props["VALUE"]
    left: Any = _number(value)
    right: Any = _number(wanted)
    if left is None or right is None:
        left, right = _text(value), wanted
    if operator == "EQUAL_TO":
        return bool(left == right)
    if operator == "NOT_EQUAL_TO":
        return bool(left != right)
    if operator == "LESS_THAN":
        return bool(left < right)
    if operator == "GREATER_THAN":
        return bool(left > right)
    if operator == "LESS_THAN_OR_EQUAL_TO":
        return bool(left <= right)
    return bool(left >= right)  # GREATER_THAN_OR_EQUAL_TO


def _validate(task: Task, value: Any) -> str | None:
    """Why the value fails the task's check; None when it passes."""
    op = task.operator
    if op == "VALIDATE_NON_NULL":
        return "the value is missing" if value is None or value == "" else None
    number = _number(value)
    if number is None:
        return f"{_text(value)!r} is not a number"
    if op == "VALIDATE_NON_ZERO" and number == 0:
        return "the value is zero"
    if op == "VALIDATE_NON_NEGATIVE" and number < 0:
        return f"{_text(value)} is negative"
    return None


def _arithmetic(task: Task, out: dict[str, Any], record: dict[str, Any]) -> Any:
    order = task.properties.get("MATH_OPERATION_FIELDS_ORDER")
    fields = [f.strip() for f in order.split(",")] if order else list(task.source_fields)
    values = [out.get(f, record.get(f)) for f in fields]
    numbers = [_number(v) for v in values]
    if any(n is None for n in numbers):
        bad = next(f for f, n in zip(fields, numbers, strict=True) if n is None)
        raise Rejected(f"{bad}: {_text(out.get(bad, record.get(bad)))!r} is not a number")
    a, b = (float(n) for n in numbers if n is not None)
    op = task.operator
    if op == "DIVISION":
        if b == 0:
            raise Rejected(f"{fields[1]}: division by zero")
        result = a / b
    elif op == "ADDITION":
        result = a + b
    elif op == "SUBTRACTION":
        result = a - b
    else:
        result = a * b
    return int(result) if result.is_integer() else result


def _mask(task: Task, value: Any) -> str:
    text = _text(value)
    char = task.properties.get("MASK_VALUE", "*")[:1] or "*"
    if task.operator == "MASK_ALL":
        return char * len(text)
    n = min(int(task.properties["MASK_LENGTH"]), len(text))
    if task.operator == "MASK_FIRST_N":
        return char * n + text[n:]
    return text[: len(text) - n] + char * n


def _merge(task: Task, out: dict[str, Any], record: dict[str, Any]) -> str:
    template = task.properties.get("CONCAT_FORMAT")
    if template:
        return _PLACEHOLDER.sub(
            lambda m: _text(out.get(m.group(1), record.get(m.group(1)))), template
        )
    values = [_text(out.get(f, record.get(f))) for f in task.source_fields]
    return " ".join(v for v in values if v)


def _describe(index: int, task: Task) -> str:
    return f"Tasks[{index}] ({task.task_type} {task.operator} on {', '.join(task.source_fields)})"


class TaskPlan:
    """The Tasks of one flow, ready to apply to record after record."""

    def __init__(self, tasks: Sequence[Task]) -> None:
        self.tasks = list(enumerate(tasks))
        self.filters = [
            (i, t) for i, t in self.tasks if t.task_type == "Filter" and t.operator in COMPARISONS
        ]
        self.validations = [(i, t) for i, t in self.tasks if t.task_type == "Validate"]
        projected = [
            f for _, t in self.tasks if t.task_type == "Filter" and t.operator == "PROJECTION"
            for f in t.source_fields
        ]  # fmt: skip
        self.projected: list[str] | None = list(dict.fromkeys(projected)) if projected else None
        self.transforms = [
            (i, t) for i, t in self.tasks if t.task_type in ("Map", "Merge", "Arithmetic",
                                                             "Mask", "Truncate")
        ]  # fmt: skip
        # A source field Map copies to another name leaves the object unless it is also
        # mapped to itself.
        maps = [t for _, t in self.tasks if t.task_type == "Map"]
        kept = {t.source_fields[0] for t in maps if t.destination in (None, t.source_fields[0])}
        self.renamed = {t.source_fields[0] for t in maps} - kept
        self.trivial = not self.tasks

    def apply(self, record: dict[str, Any]) -> dict[str, Any] | None:
        """The object to store; None when a filter drops the record. Raises
        :class:`Rejected` or :class:`FlowTerminated`."""
        if self.trivial:
            return record
        for _index, task in self.filters:
            if not _compare(task.operator, record.get(task.source_fields[0]), task.properties):
                return None
        for index, task in self.validations:
            field = task.source_fields[0]
            reason = _validate(task, record.get(field))
            if reason is not None:
                message = f"{_describe(index, task)}: {field}: {reason}"
                if task.properties.get("VALIDATION_ACTION") == "TerminateFlow":
                    raise FlowTerminated(
                        message + "; VALIDATION_ACTION TerminateFlow stopped the run"
                    )
                raise Rejected(message)
        if self.projected is None:
            if not self.transforms:
                return record
            out = dict(record)
        else:
            out = {f: record[f] for f in self.projected if f in record}
            if not self.transforms and len(out) == len(record):
                return record  # every field projected: the record as read, text and all
        for index, task in self.transforms:
            source = task.source_fields[0]
            kind = task.task_type
            try:
                if kind == "Map":
                    if source in record or source in out:
                        out[task.destination or source] = out.get(source, record.get(source))
                elif kind == "Merge":
                    assert task.destination is not None
                    out[task.destination] = _merge(task, out, record)
                elif kind == "Arithmetic":
                    assert task.destination is not None
                    out[task.destination] = _arithmetic(task, out, record)
                else:
                    target = task.destination or source
                    value = out.get(target, out.get(source, record.get(source)))
                    if value is None:
                        continue
                    if kind == "Mask":
                        out[target] = _mask(task, value)
                    else:
                        out[target] = _text(value)[: int(task.properties["TRUNCATE_LENGTH"])]
            except Rejected as exc:
                raise Rejected(f"{_describe(index, task)}: {exc}") from None
        for name in self.renamed:
            out.pop(name, None)
        return out

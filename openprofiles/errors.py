"""Error types, in one place.

Services raise :class:`ServiceError` with a protocol-neutral :class:`ErrorKind`; the protocol
layer maps each kind onto the error code and HTTP status the calling service's model declares
(``BadRequestException`` for customer-profiles, ``ValidationException`` for b2bi, ...).
"""

from __future__ import annotations

import enum
from typing import Any


class ErrorKind(enum.Enum):
    """What went wrong, independent of the wire protocol."""

    INVALID = "invalid"  # bad input: 400
    NOT_FOUND = "not_found"  # 404 (customer-profiles) / ResourceNotFoundException (b2bi)
    CONFLICT = "conflict"  # already exists / in use
    QUOTA = "quota"  # a service quota would be exceeded
    ACCESS_DENIED = "access_denied"
    THROTTLED = "throttled"
    INTERNAL = "internal"
    NOT_IMPLEMENTED = "not_implemented"  # an operation openprofiles does not serve yet: 501
    # Authentication failures; their codes are the same for every AWS service.
    MISSING_AUTH = "missing_auth"  # MissingAuthenticationTokenException, 403
    UNRECOGNIZED_CLIENT = "unrecognized_client"  # UnrecognizedClientException, 403
    INVALID_SIGNATURE = "invalid_signature"  # InvalidSignatureException, 403
    UNKNOWN_OPERATION = "unknown_operation"  # no operation at this path / target: 404


class ServiceError(Exception):
    """An error to be returned to the client, AWS-shaped by the protocol layer.

    ``fields`` carries extra members some error shapes declare (b2bi's
    ServiceQuotaExceededException: resourceId, resourceType, serviceCode, quotaCode).
    """

    def __init__(self, kind: ErrorKind, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.fields = fields

    def __repr__(self) -> str:
        return f"ServiceError({self.kind.name}, {self.message!r})"


def invalid(message: str) -> ServiceError:
    return ServiceError(ErrorKind.INVALID, message)


def not_found(message: str) -> ServiceError:
    return ServiceError(ErrorKind.NOT_FOUND, message)


def conflict(message: str) -> ServiceError:
    return ServiceError(ErrorKind.CONFLICT, message)


def quota(message: str, **fields: Any) -> ServiceError:
    return ServiceError(ErrorKind.QUOTA, message, **fields)

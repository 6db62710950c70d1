"""Who is calling: the authenticated caller every service takes."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

# The id of the request being answered (its x-amzn-RequestId), for log lines; set by the
# gateway and the extensions, None outside a request.
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


@dataclass(frozen=True)
class Caller:
    """The authenticated caller: the access key selects the account; the region is the one the
    request was signed for (it goes into every ARN we mint)."""

    account: str
    region: str
    access_key: str = ""

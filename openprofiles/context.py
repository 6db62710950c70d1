"""Who is calling and what a handler may use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openprofiles.services.container import Services


@dataclass(frozen=True)
class Caller:
    """The authenticated caller: the access key selects the account; the region is the one the
    request was signed for (it goes into every ARN we mint)."""

    account: str
    region: str
    access_key: str = ""


@dataclass(frozen=True)
class RequestContext:
    caller: Caller
    services: Services
    request_id: str

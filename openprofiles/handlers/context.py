"""What a handler may use: the caller, the services and the request's id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from openprofiles.context import Caller

if TYPE_CHECKING:
    # Only for the annotation: importing the services here would load them, and the storage
    # they use, with every handler module (the operations table, the gateway's routing).
    from openprofiles.services.container import Services


@dataclass(frozen=True)
class RequestContext:
    caller: Caller
    services: Services
    request_id: str

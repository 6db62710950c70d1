"""Who is calling: the authenticated caller every service takes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    """The authenticated caller: the access key selects the account; the region is the one the
    request was signed for (it goes into every ARN we mint)."""

    account: str
    region: str
    access_key: str = ""

"""ARNs, in one place."""

from __future__ import annotations

from dataclasses import dataclass

from openprofiles.context import Caller


def domain_arn(caller: Caller, domain: str) -> str:
    return f"arn:aws:profile:{caller.region}:{caller.account}:domains/{domain}"


def object_type_arn(caller: Caller, domain: str, object_type: str) -> str:
    return f"{domain_arn(caller, domain)}/object-types/{object_type}"


def integration_arn(caller: Caller, domain: str, uri: str) -> str:
    """The integration's ARN: its Uri as it is, after ``integrations/`` (a Uri may hold ``/``
    and ``:``, which an ARN's resource part may too)."""
    return f"{domain_arn(caller, domain)}/integrations/{uri}"


def b2bi_profile_arn(caller: Caller, profile_id: str) -> str:
    return f"arn:aws:b2bi:{caller.region}:{caller.account}:profile/{profile_id}"


@dataclass(frozen=True)
class ParsedArn:
    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse_arn(arn: str) -> ParsedArn | None:
    """Split an ARN into its parts; None when it is not an ARN."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[5]:
        return None
    return ParsedArn(parts[1], parts[2], parts[3], parts[4], parts[5])

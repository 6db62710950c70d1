"""What a request's SigV4 credential scope must name: the operation's signing name and a region.

AWS answers a request signed for another service, or for a region it does not know, with 403
InvalidSignatureException before it looks at the signature; so does openprofiles. The service is
the one its model names (``signingName``, else ``endpointPrefix``): ``profile`` for
customer-profiles, ``b2bi`` for b2bi. The regions are those of the ``aws`` partition in
botocore's endpoint data, since the ARNs openprofiles returns are ``arn:aws:``; a configured list
(``OPENPROFILES_REGIONS``) replaces them.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass

import botocore.loaders

from openprofiles.protocol.models import load_service_model

PARTITION = "aws"


@functools.cache
def partition_regions(partition: str = PARTITION) -> frozenset[str]:
    """Every region of ``partition`` in botocore's endpoint data, read once."""
    data = botocore.loaders.create_loader().load_data("endpoints")
    for entry in data["partitions"]:
        if entry["partition"] == partition:
            return frozenset(entry["regions"])
    raise LookupError(f"botocore's endpoint data has no partition {partition!r}")


@functools.cache
def signing_name(service: str) -> str:
    """The service name a request to ``service`` is signed for, as its model declares it."""
    metadata = load_service_model(service).metadata
    name: str = metadata.get("signingName") or metadata["endpointPrefix"]
    return name


@dataclass(frozen=True)
class CredentialScope:
    """The service a request must be signed for, and the regions it may be signed for."""

    service: str
    regions: frozenset[str]
    regions_text: str  # the regions as a refusal names them


def credential_scope(service: str, regions: Collection[str] | None = None) -> CredentialScope:
    """The scope requests to ``service`` must carry: ``regions`` if given, else the partition's."""
    if regions:
        listed = ", ".join(sorted(regions))
        return CredentialScope(
            signing_name(service), frozenset(regions), f"one of {listed} (OPENPROFILES_REGIONS)"
        )
    return CredentialScope(
        signing_name(service),
        partition_regions(),
        f"a region of the {PARTITION} partition, such as us-east-1 "
        "(OPENPROFILES_REGIONS sets another list)",
    )

"""Field Targets: which standard object (or the type's own object) a value is written to.

Valid targets, per AWS's "Field definitions in Customer Profiles object type mappings":
``_profile.<member>`` for the members of the botocore ``Profile`` shape (address members take a
sub-member: ``_profile.Address.City``; ``_profile.Attributes.<name>`` for custom attributes;
``_profile.SourceLastUpdatedTimestamp`` for the source's last-updated time), ``_<standard>.<field>``
for the other standard objects, and ``<ObjectTypeName>.<field>`` for the type's own object.
System-managed ID fields (``_profile.ProfileId``, ``_asset.AssetId``, …) are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from openprofiles.errors import invalid

PROFILE: Final = "_profile"
SOURCE_LAST_UPDATED: Final = "SourceLastUpdatedTimestamp"

# Standard object type name → the StandardIdentifier a key must carry to populate it.
STANDARD_OBJECT_IDENTIFIERS: Final[dict[str, str | None]] = {
    "_asset": "ASSET",
    "_case": "CASE",
    "_order": "ORDER",
    "_communicationRecord": None,  # populated through templates, no key identifier
    "_device": "DEVICE",
    "_webAnalytics": "WEB_ANALYTICS",
    "_airPreference": "AIR_PREFERENCE",
    "_hotelPreference": "HOTEL_PREFERENCE",
    "_airBooking": "AIR_BOOKING",
    "_airSegment": "AIR_SEGMENT",
    "_hotelReservation": "HOTEL_RESERVATION",
    "_hotelStayRevenue": "HOTEL_STAY_REVENUE",
    "_loyalty": "LOYALTY",
    "_loyaltyTransaction": "LOYALTY_TRANSACTION",
    "_loyaltyPromotion": "LOYALTY_PROMOTION",
}
STANDARD_OBJECT_TYPES: Final = frozenset(STANDARD_OBJECT_IDENTIFIERS)
IDENTIFIER_OBJECT_TYPES: Final[dict[str, str]] = {
    identifier: name for name, identifier in STANDARD_OBJECT_IDENTIFIERS.items() if identifier
}

# System-managed ID fields, which no Target may set.
_ID_FIELDS: Final[dict[str, str]] = {
    "_asset": "AssetId",
    "_case": "CaseId",
    "_order": "OrderId",
    "_communicationRecord": "CommunicationRecordId",
    "_device": "DeviceId",
    "_webAnalytics": "EventId",
    "_airPreference": "PreferenceId",
    "_hotelPreference": "PreferenceId",
    "_airBooking": "BookingId",
    "_airSegment": "SegmentId",
    "_hotelReservation": "ReservationId",
    "_hotelStayRevenue": "StayRevenueId",
    "_loyalty": "LoyaltyId",
    "_loyaltyTransaction": "TransactionId",
    "_loyaltyPromotion": "PromotionId",
}

# Top-level fields of the three standard objects whose schemas AWS documents in full (standard
# asset/case definitions; the standard order fields used by the Shopify mappings). The travel,
# loyalty, device and web-analytics schemas are large and evolving: only their syntax is checked.
_ADDRESS_FIELDS: Final = frozenset(
    {"Address1", "Address2", "Address3", "Address4", "City", "County", "State", "Province",
     "Country", "PostalCode", "Name"}
)  # fmt: skip
_KNOWN_FIELDS: Final[dict[str, frozenset[str]]] = {
    "_asset": frozenset(
        {"AssetName", "SerialNumber", "ModelNumber", "ModelName", "ProductSKU", "PurchaseDate",
         "UsageEndDate", "Status", "Price", "Quantity", "Description", "AdditionalInformation",
         "DataSource", "Attributes", SOURCE_LAST_UPDATED}
    ),
    "_case": frozenset(
        {"Title", "Summary", "Status", "Reason", "CreatedBy", "CreatedDate", "UpdatedDate",
         "ClosedDate", "AdditionalInformation", "DataSource", "Attributes", SOURCE_LAST_UPDATED}
    ),
    "_order": frozenset(
        {"CustomerEmail", "CustomerPhone", "CreatedDate", "UpdatedDate", "ProcessedDate",
         "ClosedDate", "CancelledDate", "CancelReason", "Name", "AdditionalInformation",
         "Gateway", "Status", "StatusCode", "StatusUrl", "CreditCardNumber", "CreditCardCompany",
         "FulfillmentStatus", "TotalPrice", "TotalTax", "TotalWeight", "TotalItemsPrice",
         "TotalDiscounts", "TotalShippingPrice", "TotalTipReceived", "Currency", "DataSource",
         "BillingAddress", "ShippingAddress", "OrderItems", "Attributes", SOURCE_LAST_UPDATED}
    ),
}  # fmt: skip
_ORDER_ITEM_FIELDS: Final = frozenset(
    {"Title", "Price", "Quantity", "Name", "Sku", "ProductId", "VariantId", "Attributes"}
)
_NAME = re.compile(r"[A-Za-z0-9_\-]+")


@dataclass(frozen=True, slots=True)
class Target:
    """Where a field's value goes: ``container`` is ``_profile``, a standard object type or the
    object type's own name; ``path`` the member path inside it (``("Address", "City")``); a path
    segment ending in ``[]`` writes one element per value of a fanned-out source."""

    container: str
    path: tuple[str, ...]

    @property
    def is_profile(self) -> bool:
        return self.container == PROFILE

    @property
    def is_source_last_updated(self) -> bool:
        return self.container == PROFILE and self.path == (SOURCE_LAST_UPDATED,)

    @property
    def fans_out(self) -> bool:
        return any(segment.endswith("[]") for segment in self.path)


@cache
def profile_members() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(scalar members, address members, address sub-members) of the botocore Profile shape."""
    import botocore.session  # deferred: loading the model costs ~0.1 s, once

    model: Any = botocore.session.get_session().get_service_model("customer-profiles")
    profile = model.shape_for("Profile")
    scalars: set[str] = set()
    addresses: set[str] = set()
    address_fields: set[str] = set()
    for name, shape in profile.members.items():
        if name in {"ProfileId", "FoundByItems", "Attributes"}:
            continue
        if shape.type_name == "structure" and shape.name == "Address":
            addresses.add(name)
            address_fields.update(shape.members)
        elif shape.type_name == "string":
            scalars.add(name)
    return frozenset(scalars), frozenset(addresses), frozenset(address_fields)


def parse_target(target: str, object_type_name: str, member: str) -> Target:
    """Validate a Target; ``member`` names it in errors (``Fields.email.Target``)."""
    container, _, rest = target.strip().partition(".")
    path = tuple(rest.split(".")) if rest else ()
    if not path or not all(_NAME.fullmatch(segment.removesuffix("[]")) for segment in path):
        raise invalid(f"{member}: {target!r} is not a valid target; {_EXPECTED}")
    if container == PROFILE:
        _check_profile_path(target, path, member)
    elif container in STANDARD_OBJECT_TYPES:
        _check_standard_path(target, container, path, member)
    elif container != object_type_name:
        raise invalid(f"{member}: {target!r} targets an unknown object {container!r}; {_EXPECTED}")
    return Target(container, path)


_EXPECTED: Final = (
    "expected _profile.<Profile member> (e.g. _profile.FirstName, _profile.Address.City, "
    "_profile.Attributes.<name>), a standard object field such as _asset.SerialNumber, "
    "_case.Title or _order.TotalPrice, or <ObjectTypeName>.<field>"
)


def _check_profile_path(target: str, path: tuple[str, ...], member: str) -> None:
    scalars, addresses, address_fields = profile_members()
    head = path[0]
    if head == "ProfileId":
        raise invalid(f"{member}: {target!r} is system-managed and cannot be a target")
    if head == "Attributes" and len(path) == 2 and not path[1].endswith("[]"):
        return
    if head in addresses and len(path) == 2 and path[1] in address_fields:
        return
    if (head in scalars or head == SOURCE_LAST_UPDATED) and len(path) == 1:
        return
    raise invalid(f"{member}: {target!r} is not a member of the standard profile; {_EXPECTED}")


def _check_standard_path(target: str, container: str, path: tuple[str, ...], member: str) -> None:
    head = path[0].removesuffix("[]")
    if head == _ID_FIELDS[container] and len(path) == 1:
        raise invalid(f"{member}: {target!r} is system-managed and cannot be a target")
    known = _KNOWN_FIELDS.get(container)
    if known is None:
        return
    ok = head in known and (
        (len(path) == 1 and head not in {"Attributes", "BillingAddress", "ShippingAddress"})
        or (head == "Attributes" and len(path) == 2)
        or (head in {"BillingAddress", "ShippingAddress"} and len(path) == 2
            and path[1] in _ADDRESS_FIELDS)
        or (head == "OrderItems" and len(path) == 2 and path[1] in _ORDER_ITEM_FIELDS)
    )  # fmt: skip
    if not ok:
        raise invalid(f"{member}: {target!r} is not a field of the standard {container[1:]} object")

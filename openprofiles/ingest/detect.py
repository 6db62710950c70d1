"""DetectProfileObjectType: propose Fields, Keys and a timestamp format from sample objects.

Heuristics, in order of trust: the member's name (``email``, ``mobilePhone``, ``first_name``,
``city`` under ``shipping`` …), then the value (an e-mail shape, a possible phone number, a JSON
number, a timestamp). Every scalar leaf becomes a Field; lists are left out (no single value to
map). Names that clearly match a standard profile member get a ``_profile`` Target. The first
e-mail and phone fields become ``_email`` / ``_phone`` PROFILE keys; the most id-like member
becomes a UNIQUE key (and PROFILE too when nothing else identifies the profile). A member that
looks like a last-updated time and parses with a known pattern sets
SourceLastUpdatedTimestampFormat and targets ``_profile.SourceLastUpdatedTimestamp``.
The result always passes ``ObjectTypeDefinition.from_wire``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Final

import phonenumbers

from openprofiles.errors import ServiceError, invalid
from openprofiles.ingest.mapping import parse_object
from openprofiles.ingest.normalise import DEFAULT_PHONE_REGION, stringify
from openprofiles.ingest.timestamps import java_to_strptime

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_INVALID_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]")
_NAMES: Final = frozenset(
    {"firstname", "lastname", "middlename", "fullname", "name", "givenname", "familyname",
     "surname", "displayname"}
)  # fmt: skip
_PHONE_WORDS: Final = ("phone", "mobile", "cell", "fax", "tel")
_TIMESTAMP_WORDS: Final = ("updated", "modified", "lastupdate", "modstamp", "changed")
# Leaf name (lower-case, without separators) → standard profile member.
_PROFILE_TARGETS: Final[dict[str, str]] = {
    "email": "EmailAddress", "emailaddress": "EmailAddress", "mail": "EmailAddress",
    "personalemail": "PersonalEmailAddress", "personalemailaddress": "PersonalEmailAddress",
    "businessemail": "BusinessEmailAddress", "workemail": "BusinessEmailAddress",
    "phone": "PhoneNumber", "phonenumber": "PhoneNumber", "telephone": "PhoneNumber",
    "mobile": "MobilePhoneNumber", "mobilephone": "MobilePhoneNumber", "cell": "MobilePhoneNumber",
    "cellphone": "MobilePhoneNumber", "mobilephonenumber": "MobilePhoneNumber",
    "homephone": "HomePhoneNumber", "homephonenumber": "HomePhoneNumber",
    "businessphone": "BusinessPhoneNumber", "workphone": "BusinessPhoneNumber",
    "firstname": "FirstName", "givenname": "FirstName",
    "lastname": "LastName", "surname": "LastName", "familyname": "LastName",
    "middlename": "MiddleName",
    "birthdate": "BirthDate", "dateofbirth": "BirthDate", "dob": "BirthDate",
    "birthday": "BirthDate", "gender": "GenderString", "accountnumber": "AccountNumber",
    "company": "BusinessName", "companyname": "BusinessName", "businessname": "BusinessName",
}  # fmt: skip
_ADDRESS_TARGETS: Final[dict[str, str]] = {
    "street": "Address1", "address1": "Address1", "streetaddress": "Address1", "line1": "Address1",
    "address2": "Address2", "line2": "Address2", "city": "City", "town": "City",
    "state": "State", "region": "State", "province": "Province", "county": "County",
    "country": "Country", "postalcode": "PostalCode", "zip": "PostalCode",
    "zipcode": "PostalCode", "postcode": "PostalCode",
}  # fmt: skip
_ADDRESS_KINDS: Final = (("shipping", "ShippingAddress"), ("billing", "BillingAddress"),
                         ("mailing", "MailingAddress"))  # fmt: skip
_TIMESTAMP_PATTERNS: Final = (
    "yyyy-MM-dd'T'HH:mm:ss.SSSX", "yyyy-MM-dd'T'HH:mm:ssX", "yyyy-MM-dd'T'HH:mm:ss.SSSZ",
    "yyyy-MM-dd'T'HH:mm:ssZ", "yyyy-MM-dd'T'HH:mm:ss.SSS", "yyyy-MM-dd'T'HH:mm:ss",
    "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd",
)  # fmt: skip
_MAX_OBJECTS: Final = 5


def detect_object_type(objects: list[str]) -> dict[str, Any]:
    """DetectProfileObjectType's response for ``objects`` (1 to 5 JSON object texts)."""
    if not objects or len(objects) > _MAX_OBJECTS:
        raise invalid(f"Objects: give between 1 and {_MAX_OBJECTS} sample objects")
    leaves: dict[tuple[str, ...], list[object]] = {}
    for index, text in enumerate(objects):
        try:
            parsed = parse_object(text)
        except ServiceError as error:
            raise invalid(f"Objects[{index}]: {error.message}") from None
        for path, value in _leaves(parsed, ()):
            leaves.setdefault(path, []).append(value)
    return {"DetectedProfileObjectTypes": [_propose(leaves)]}


def _leaves(
    node: dict[str, Any], prefix: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], object]]:
    for name, value in node.items():
        if not name or "." in name:
            continue  # not addressable by a _source accessor
        path = (*prefix, name)
        if isinstance(value, dict):
            yield from _leaves(value, path)
        elif value is not None and not isinstance(value, list):
            yield path, value


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _field_name(path: tuple[str, ...], taken: set[str]) -> str:
    base = _INVALID_NAME_CHARS.sub("_", "_".join(path))[:60]
    if not base[:1].isalpha():
        base = "f_" + base
    name, suffix = base, 2
    while name in taken:
        name, suffix = f"{base}_{suffix}", suffix + 1
    taken.add(name)
    return name


def _is_phone(text: str) -> bool:
    digits = sum(c.isdigit() for c in text)
    if not 7 <= digits <= 15 or any(c.isalpha() for c in text):
        return False
    try:
        parsed = phonenumbers.parse(text, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_possible_number(parsed))


def _content_type(leaf: str, values: list[object]) -> str:
    texts = [t for t in (stringify(v) for v in values) if t]
    if not texts:
        return "STRING"
    if "email" in leaf or all(_EMAIL.fullmatch(t.strip()) for t in texts):
        return "EMAIL_ADDRESS" if all(_EMAIL.fullmatch(t.strip()) for t in texts) else "STRING"
    phone_named = any(word in leaf for word in _PHONE_WORDS)
    if all(_is_phone(t) for t in texts) and (
        phone_named or all(t.strip().startswith(("+", "(")) for t in texts)
    ):
        return "PHONE_NUMBER"
    if leaf in _NAMES:
        return "NAME"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "NUMBER"
    return "STRING"


def _profile_target(path: tuple[str, ...], leaf: str) -> str | None:
    if leaf in _ADDRESS_TARGETS and (len(path) > 1 or leaf not in {"state", "region"}):
        parents = _squash("".join(path[:-1]))
        kind = next((member for word, member in _ADDRESS_KINDS if word in parents), "Address")
        return f"_profile.{kind}.{_ADDRESS_TARGETS[leaf]}"
    member = _PROFILE_TARGETS.get(leaf)
    return f"_profile.{member}" if member else None


def _timestamp_format(values: list[object]) -> str | None:
    texts = [t.strip() for t in (stringify(v) for v in values) if t]
    if not texts:
        return None
    if all(t.isdigit() and len(t) == 13 for t in texts):
        return "EpochMilli"
    for pattern in _TIMESTAMP_PATTERNS:
        directive = java_to_strptime(pattern)
        try:
            for text in texts:
                datetime.strptime(text, directive)
        except ValueError:
            continue
        return pattern
    return None


def _id_rank(path: tuple[str, ...], leaf: str) -> int | None:
    """Lower is more id-like; None when the member is not an identifier."""
    if leaf == "id":
        return len(path) * 2
    if leaf.endswith("id") and len(leaf) > 2:
        return len(path) * 2 + 1
    return None


def _propose(leaves: dict[tuple[str, ...], list[object]]) -> dict[str, Any]:
    fields: dict[str, dict[str, str]] = {}
    keys: dict[str, list[dict[str, list[str]]]] = {}
    taken_names: set[str] = set()
    used_targets: set[str] = set()
    email_field = phone_field = None
    id_candidates: list[tuple[int, str]] = []
    timestamp_format: str | None = None
    for path, values in leaves.items():
        leaf = _squash(path[-1])
        name = _field_name(path, taken_names)
        content_type = _content_type(leaf, values)
        spec: dict[str, str] = {"Source": "_source." + ".".join(path)}
        target = _profile_target(path, leaf)
        if (
            timestamp_format is None
            and any(word in leaf for word in _TIMESTAMP_WORDS)
            and (found_format := _timestamp_format(values))
        ):
            timestamp_format, target = found_format, "_profile.SourceLastUpdatedTimestamp"
        if target and target not in used_targets:
            spec["Target"] = target
            used_targets.add(target)
        spec["ContentType"] = content_type
        fields[name] = spec
        if content_type == "EMAIL_ADDRESS" and email_field is None:
            email_field = name
        elif content_type == "PHONE_NUMBER" and phone_field is None:
            phone_field = name
        rank = _id_rank(path, leaf)
        if rank is not None and content_type in {"STRING", "NUMBER"}:
            id_candidates.append((rank, name))
    if email_field:
        keys["_email"] = [{"StandardIdentifiers": ["PROFILE"], "FieldNames": [email_field]}]
    if phone_field:
        keys["_phone"] = [{"StandardIdentifiers": ["PROFILE"], "FieldNames": [phone_field]}]
    if id_candidates:
        id_field = min(id_candidates)[1]
        identifiers = ["UNIQUE"] if keys else ["PROFILE", "UNIQUE"]
        key_name = id_field if not id_field.startswith("_") else "k" + id_field
        keys[key_name] = [{"StandardIdentifiers": identifiers, "FieldNames": [id_field]}]
    detected: dict[str, Any] = {}
    if timestamp_format:
        detected["SourceLastUpdatedTimestampFormat"] = timestamp_format
    detected["Fields"] = fields
    detected["Keys"] = keys
    return detected

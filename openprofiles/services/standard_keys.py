"""The standard search keys every profile carries, derived from its own fields.

``_profileId``, ``_email`` (over the three email fields), ``_phone`` (over the four phone
fields), ``_account`` and ``_fullName`` ("First Middle Last"), kept up to date by every write.

``_email`` and ``_phone`` are indexed normalised (lower-cased; E.164), as an object type's
EMAIL_ADDRESS and PHONE_NUMBER keys are, and SearchProfiles normalises its values the same way:
a profile stored with ``(206) 555-0100`` is found by ``206-555-0100`` and ``+12065550100`` too.
The profile's fields themselves keep the values as sent.
"""

from __future__ import annotations

from typing import Any

from openprofiles.ingest.normalise import normalise_email, normalise_phone

EMAIL_FIELDS = ("EmailAddress", "PersonalEmailAddress", "BusinessEmailAddress")
PHONE_FIELDS = ("PhoneNumber", "MobilePhoneNumber", "HomePhoneNumber", "BusinessPhoneNumber")
NAME_FIELDS = ("FirstName", "MiddleName", "LastName")
STANDARD_KEY_NAMES = ("_profileId", "_email", "_phone", "_account", "_fullName")


def standard_keys(profile_id: str, document: dict[str, Any]) -> list[tuple[str, str]]:
    # Plain loops: this runs twice per object ingested (the profile's keys before and after).
    keys = [("_profileId", profile_id)]
    get = document.get
    for field in EMAIL_FIELDS:
        value = get(field)
        if value and (value := normalise_email(value)):
            keys.append(("_email", value))
    for field in PHONE_FIELDS:
        value = get(field)
        if value and (value := normalise_phone(value)):
            keys.append(("_phone", value))
    if get("AccountNumber"):
        keys.append(("_account", document["AccountNumber"]))
    full_name = " ".join(document[f] for f in NAME_FIELDS if get(f))
    if full_name:
        keys.append(("_fullName", full_name))
    return keys

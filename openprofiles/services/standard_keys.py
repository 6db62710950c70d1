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
    keys = [("_profileId", profile_id)]
    emails = (normalise_email(document[f]) for f in EMAIL_FIELDS if document.get(f))
    keys += [("_email", email) for email in emails if email]
    phones = (normalise_phone(document[f]) for f in PHONE_FIELDS if document.get(f))
    keys += [("_phone", phone) for phone in phones if phone]
    if document.get("AccountNumber"):
        keys.append(("_account", document["AccountNumber"]))
    full_name = " ".join(document[f] for f in NAME_FIELDS if document.get(f))
    if full_name:
        keys.append(("_fullName", full_name))
    return keys

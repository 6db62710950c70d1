"""Value normalisation by ContentType, and how JSON scalars become strings.

Two flavours exist because AWS documents two behaviours: the value written to a standard
object's target is normalised for the content type (phones to E.164, emails lower-cased, names
tidied), and the value indexed for a key is additionally made case-insensitive for NAME
("EMAIL_ADDRESS and NAME are both case-insensitive" in the object type mapping examples).
SearchProfiles must normalise its search values with :func:`normalise_key` so they compare equal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Final

import phonenumbers

CONTENT_TYPES: Final = ("STRING", "NUMBER", "PHONE_NUMBER", "EMAIL_ADDRESS", "NAME")
DEFAULT_CONTENT_TYPE: Final = "STRING"
DEFAULT_PHONE_REGION: Final = "US"

_WHITESPACE = re.compile(r"\s+")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_PHONE_PUNCTUATION = str.maketrans("", "", " ()-.")


def stringify(raw: object) -> str | None:
    """A JSON value as the string a mapping sees; None (JSON null) is no value.

    Scalars print the way they do in JSON text (``true``, ``12``, ``12.5``), as AWS's Java
    JSON reader does; objects and arrays become their compact JSON text.
    """
    if raw is None:
        return None
    if isinstance(raw, str):
        return raw
    if raw is True:
        return "true"
    if raw is False:
        return "false"
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        return repr(raw) if raw == raw and raw not in (float("inf"), float("-inf")) else None
    return json.dumps(raw, separators=(",", ":"), ensure_ascii=False)


def normalise_string(value: str) -> str:
    return value


def normalise_email(value: str) -> str:
    return value.strip().lower()


def normalise_name(value: str) -> str:
    return _WHITESPACE.sub(" ", value).strip()


def normalise_number(value: str) -> str:
    """Canonical decimal text: ``"0042"`` → ``"42"``, ``"1.50"`` → ``"1.5"``, ``"1e3"`` → ``"1000"``

    A value that is not a number is kept trimmed rather than dropped, as for phone numbers.
    """
    text = value.strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if not number.is_finite():
        return text
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def normalise_phone(value: str) -> str:
    """E.164 (``+15551234567``), reading national numbers as US numbers.

    A value phonenumbers cannot parse into a possible number is kept, trimmed, instead of being
    dropped: the object still carries what the source sent, and an exact-match search for it
    still works. Dropping it would silently lose data and could leave a key empty.
    """
    text = value.strip()
    if _E164.fullmatch(text):
        return text
    digits = text.translate(_PHONE_PUNCTUATION)
    # Fast path for the common US shapes; identical to what phonenumbers returns for them.
    if digits.isdigit() and digits.isascii():
        if len(digits) == 10 and digits[0] in "23456789":
            return "+1" + digits
        if len(digits) == 11 and digits[0] == "1" and digits[1] in "23456789":
            return "+" + digits
    elif (
        len(digits) == 12
        and digits[:2] == "+1"
        and digits[2] in "23456789"
        and digits[1:].isdigit()
    ):
        return digits  # NANP has no trunk prefix to drop, unlike e.g. "+49 (0)30 …"
    return _parse_phone(text)


@lru_cache(maxsize=65536)
def _parse_phone(text: str) -> str:
    try:
        parsed = phonenumbers.parse(text, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_possible_number(parsed):
        return text
    formatted: str = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return formatted


_NORMALISERS: Final[dict[str, Callable[[str], str]]] = {
    "STRING": normalise_string,
    "NUMBER": normalise_number,
    "PHONE_NUMBER": normalise_phone,
    "EMAIL_ADDRESS": normalise_email,
    "NAME": normalise_name,
}


def normaliser_for(content_type: str | None) -> Callable[[str], str]:
    """The function normalising target values of ``content_type`` (STRING when None)."""
    return _NORMALISERS[content_type or DEFAULT_CONTENT_TYPE]


def normalise(content_type: str | None, value: str) -> str:
    """A value as written to a target for its ContentType."""
    return _NORMALISERS[content_type or DEFAULT_CONTENT_TYPE](value)


def normalise_key(content_type: str | None, value: str) -> str:
    """A value as indexed in a profile key (and as SearchProfiles must compare it)."""
    normalised = normalise(content_type, value)
    return normalised.lower() if content_type == "NAME" else normalised

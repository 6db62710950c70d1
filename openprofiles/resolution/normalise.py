"""Profile documents into the comparable fields identity resolution matches on.

Every engine and the real-time matcher compare the same ``NormalisedRecord``, so two profiles
that only differ in case, accents, punctuation, a nickname, a phone's format or an address's
abbreviations compare equal. Documents may lack any field; a field that is absent or empty after
normalising is ``None`` (Splink's null, which neither supports nor opposes a match).
Nicknames and address abbreviations are data: ``resolution/data/*.csv``.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Final

import phonenumbers
from unidecode import unidecode

ADDRESS_MEMBERS: Final = ("Address", "ShippingAddress", "MailingAddress", "BillingAddress")
EMAIL_MEMBERS: Final = ("EmailAddress", "PersonalEmailAddress", "BusinessEmailAddress")
PHONE_MEMBERS: Final = (
    "PhoneNumber",
    "MobilePhoneNumber",
    "HomePhoneNumber",
    "BusinessPhoneNumber",
)

_NOT_WORD = re.compile(r"[^0-9a-z]+")
_APOSTROPHES = re.compile(r"['`\u2019]")
_MONTHS: Final = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
# Regions that write the month before the day in all-digit dates (01/02/1980 is 2 January).
_MONTH_FIRST_REGIONS: Final = frozenset({"US", "CA", "PH", "FM", "MH", "PW"})


@dataclass(frozen=True)
class NormalisedRecord:
    """The fields a profile is matched on; column names are the Splink table's."""

    unique_id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    birth_date: str | None = None
    address: str | None = None
    city: str | None = None
    postcode: str | None = None
    account_number: str | None = None
    # First and last name in alphabetical order: equal or alike for swapped names too.
    name_low: str | None = None
    name_high: str | None = None

    def as_row(self) -> dict[str, str | None]:
        # the instance dict, not dataclasses.asdict: that deep-copies and cost 140 us a record
        return dict(self.__dict__)


def _data_rows(filename: str) -> list[list[str]]:
    text = resources.files("openprofiles.resolution").joinpath("data", filename).read_text("utf-8")
    rows = list(csv.reader(text.splitlines()))
    return [row for row in rows[1:] if row]


@cache
def nicknames() -> Mapping[str, str]:
    """Nickname → the formal name it stands for (``bob`` → ``robert``)."""
    return {nickname.strip(): name.strip() for nickname, name in _data_rows("nicknames.csv")}


@cache
def address_abbreviations() -> Mapping[str, str]:
    """Address word → its usual abbreviation (``street`` → ``st``)."""
    return {word.strip(): short.strip() for word, short in _data_rows("address_abbreviations.csv")}


def _words(value: str) -> list[str]:
    """Lower-case ASCII words: accents transliterated, apostrophes dropped (O'Brien → obrien)."""
    text = unidecode(unicodedata.normalize("NFKC", value)).casefold()
    return _NOT_WORD.sub(" ", _APOSTROPHES.sub("", text)).split()


@lru_cache(maxsize=65536)
def normalise_name(value: str) -> str | None:
    """A name part as compared: ``"  José-Luis "`` → ``"jose luis"``."""
    words = _words(value)
    return " ".join(words) or None


@lru_cache(maxsize=65536)
def normalise_first_name(value: str) -> str | None:
    """A given name with a known nickname replaced by its formal name (``Bob`` → ``robert``)."""
    name = normalise_name(value)
    if name is None:
        return None
    first, _, rest = name.partition(" ")
    formal = nicknames().get(first, first)
    return f"{formal} {rest}" if rest else formal


@lru_cache(maxsize=65536)
def normalise_last_name(value: str) -> str | None:
    """A family name; a nickname in it is replaced too, so that a first name given as the last
    name (``Smith, Bob``) still equals the other record's first name."""
    return normalise_first_name(value)


def normalise_email(value: str) -> str | None:
    email = value.strip().lower()
    return email or None


_PHONE_PUNCTUATION = str.maketrans("", "", " ()-.")


def _nanp(text: str, region: str) -> str | None:
    """The common North American shapes without phonenumbers' parser (it costs ~100 us a
    number); the same E.164 text it gives for them, None for anything else."""
    digits = text.translate(_PHONE_PUNCTUATION)
    if digits.startswith("+1"):
        digits = digits[1:]
    elif phonenumbers.country_code_for_region(region.upper()) != 1:
        return None
    if not (digits.isascii() and digits.isdigit()):
        return None
    if len(digits) == 10 and digits[0] in "23456789":
        return "+1" + digits
    if len(digits) == 11 and digits[0] == "1" and digits[1] in "23456789":
        return "+" + digits
    return None


@lru_cache(maxsize=65536)
def normalise_phone(value: str, region: str = "US") -> str | None:
    """E.164 (``+12065550100``), reading national numbers as numbers of ``region``.

    A value phonenumbers cannot read as a possible number keeps its digits only, so two
    profiles carrying the same odd value still compare equal.
    """
    text = value.strip()
    if not text:
        return None
    nanp = _nanp(text, region)
    if nanp is not None:
        return nanp
    try:
        parsed = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None and phonenumbers.is_possible_number(parsed):
        formatted: str = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        return formatted
    digits = "".join(ch for ch in text if ch.isdigit())
    return digits or None


@lru_cache(maxsize=65536)
def normalise_street(value: str) -> str | None:
    """An address line: lower case, no punctuation, usual abbreviations (``Street`` → ``st``)."""
    abbreviations = address_abbreviations()
    words = [abbreviations.get(word, word) for word in _words(value)]
    return " ".join(words) or None


def normalise_postcode(value: str) -> str | None:
    code = "".join(_words(value))
    return code or None


def normalise_account_number(value: str) -> str | None:
    code = "".join(_words(value))
    return code or None


def _valid_date(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


@lru_cache(maxsize=65536)
def normalise_birth_date(value: str, region: str = "US") -> str | None:
    """A birth date as ISO ``YYYY-MM-DD`` from the usual written forms, or None if unreadable.

    Read: ``1980-03-05``, ``1980/03/05``, ``19800305``, ``03/05/1980`` (month first in
    month-first regions such as US, else day first; a first part above 12 is always the day),
    ``05.03.1980``, ``5 March 1980``, ``March 5, 1980``, and ISO timestamps (date part kept).
    """
    text = value.strip().lower()
    if not text:
        return None
    if len(text) >= 10 and text[4] == "-" and text[7] == "-" and text[:4].isdigit():
        text = text[:10]
    parts = [part for part in re.split(r"[\s,./\-]+", text) if part]
    if len(parts) == 1 and parts[0].isdigit() and len(parts[0]) == 8:
        digits = parts[0]
        return _valid_date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    if len(parts) != 3:
        return None
    words = [part for part in parts if not part.isdigit()]
    if words:
        if len(words) != 1 or words[0] not in _MONTHS:
            return None
        month = _MONTHS[words[0]]
        numbers = [int(part) for part in parts if part.isdigit()]
        day, year = (numbers[0], numbers[1]) if numbers[1] > 31 else (numbers[1], numbers[0])
        return _valid_date(year, month, day)
    first, second, third = (int(part) for part in parts)
    if len(parts[0]) == 4:
        return _valid_date(first, second, third)
    if len(parts[2]) != 4:
        return None
    month_first = region.upper() in _MONTH_FIRST_REGIONS and first <= 12
    if first > 12:
        month_first = False
    elif second > 12:
        month_first = True
    if month_first:
        return _valid_date(third, first, second)
    return _valid_date(third, second, first)


def _text(document: Mapping[str, Any], member: str) -> str | None:
    value = document.get(member)
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text if text.strip() else None


_ADDRESS_FIELDS: Final = ("Address1", "Address2", "Address3", "Address4", "City", "PostalCode")


def _first_address(document: Mapping[str, Any]) -> Mapping[str, Any]:
    """The first address member holding a field that matching reads."""
    for member in ADDRESS_MEMBERS:
        address = document.get(member)
        if isinstance(address, Mapping) and any(_text(address, key) for key in _ADDRESS_FIELDS):
            return address
    return {}


_ADDRESS_SET: Final = frozenset(ADDRESS_MEMBERS)


def _first_of(document: Mapping[str, Any], members: tuple[str, ...], *how: Any) -> str | None:
    """The first of ``members`` that normalises to a value; ``how``: the normaliser and its
    further arguments."""
    normaliser, *arguments = how
    for member in members:
        text = _text(document, member)
        if text is not None:
            normalised: str | None = normaliser(text, *arguments)
            if normalised:
                return normalised
    return None


def normalise_document(
    profile_id: str, document: Mapping[str, Any], region: str = "US"
) -> NormalisedRecord:
    """The matching fields of one profile document (AWS profile shape)."""

    address = _first_address(document) if document.keys() & _ADDRESS_SET else {}
    street = " ".join(line for line in (_text(address, key) for key in _ADDRESS_FIELDS[:4]) if line)
    city = _text(address, "City")
    postcode = _text(address, "PostalCode")
    birth_date = _text(document, "BirthDate")
    first_name = _text(document, "FirstName")
    last_name = _text(document, "LastName")
    account = _text(document, "AccountNumber")
    first = normalise_first_name(first_name) if first_name else None
    last = normalise_last_name(last_name) if last_name else None
    low, high = sorted((first, last)) if first and last else (None, None)
    return NormalisedRecord(
        unique_id=profile_id,
        first_name=first,
        last_name=last,
        email=_first_of(document, EMAIL_MEMBERS, normalise_email),
        phone=_first_of(document, PHONE_MEMBERS, normalise_phone, region),
        birth_date=normalise_birth_date(birth_date, region) if birth_date else None,
        address=normalise_street(street) if street else None,
        city=normalise_name(city) if city else None,
        postcode=normalise_postcode(postcode) if postcode else None,
        account_number=normalise_account_number(account) if account else None,
        name_low=low,
        name_high=high,
    )

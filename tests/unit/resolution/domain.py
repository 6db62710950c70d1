"""A small test domain: planted duplicates, look-alikes that are other people, and filler."""

from __future__ import annotations

import random
from typing import Any

from openprofiles.resolution.engine import ResolutionRecord

_HOUSE = {"Address1": "12 Oak Street", "City": "Seattle", "PostalCode": "98101"}

PROFILES: dict[str, dict[str, Any]] = {
    # typo in the last name, phone written differently
    "typo-1": {
        "FirstName": "Katherine",
        "LastName": "Johnson",
        "EmailAddress": "kj@example.com",
        "PhoneNumber": "(206) 555-0101",
        "BirthDate": "1975-04-12",
    },
    "typo-2": {
        "FirstName": "Katherine",
        "LastName": "Jonhson",
        "PhoneNumber": "+1 206 555 0101",
        "BirthDate": "04/12/1975",
    },
    # case and accents
    "accent-1": {
        "FirstName": "José",
        "LastName": "Núñez",
        "EmailAddress": "jose.nunez@example.com",
        "BirthDate": "1988-11-02",
        "Address": {"Address1": "4 Pine Avenue", "City": "Denver", "PostalCode": "80202"},
    },
    "accent-2": {
        "FirstName": "JOSE",
        "LastName": "NUNEZ",
        "BirthDate": "November 2, 1988",
        "Address": {"Address1": "4 PINE AVE.", "City": "Denver", "PostalCode": "80202"},
    },
    # nickname, email in another case, no birth date
    "nick-1": {
        "FirstName": "Robert",
        "LastName": "Fairweather",
        "EmailAddress": "r.fairweather@example.com",
        "PhoneNumber": "303-555-0199",
        "BirthDate": "1961-07-30",
    },
    "nick-2": {
        "FirstName": "Bob",
        "LastName": "Fairweather",
        "EmailAddress": "R.Fairweather@Example.com",
        "PhoneNumber": "3035550199",
    },
    # first and last name swapped, three profiles
    "swap-1": {
        "FirstName": "Wei",
        "LastName": "Zhang",
        "BirthDate": "1990-01-02",
        "PhoneNumber": "415-555-0123",
    },
    "swap-2": {
        "FirstName": "Zhang",
        "LastName": "Wei",
        "BirthDate": "19900102",
        "Address": {"Address1": "9 Lake Road", "City": "Austin", "PostalCode": "73301"},
    },
    "swap-3": {
        "FirstName": "wei",
        "LastName": "zhang",
        "PhoneNumber": "(415) 555-0123",
        "Address": {"Address1": "9 Lake Rd", "City": "Austin", "PostalCode": "73301"},
    },
    # a family: one household, address and phone, three people (one with two profiles)
    "family-father": {
        "FirstName": "Henrik",
        "LastName": "Lindqvist",
        "PhoneNumber": "206-555-0177",
        "BirthDate": "1970-02-14",
        "Address": _HOUSE,
    },
    "family-father-2": {
        "FirstName": "Henrik",
        "LastName": "Lindquist",
        "EmailAddress": "henrik@example.com",
        "PhoneNumber": "(206) 555-0177",
        "BirthDate": "02/14/1970",
        "Address": _HOUSE,
    },
    "family-mother": {
        "FirstName": "Astrid",
        "LastName": "Lindqvist",
        "PhoneNumber": "2065550177",
        "BirthDate": "1972-09-03",
        "Address": _HOUSE,
    },
    "family-son": {
        "FirstName": "Oskar",
        "LastName": "Lindqvist",
        "PhoneNumber": "+12065550177",
        "BirthDate": "2001-05-21",
        "Address": _HOUSE,
    },
    # namesakes: the same full name, other birth days, other lives
    "namesake-1": {
        "FirstName": "Maria",
        "LastName": "Garcia",
        "EmailAddress": "maria.g@example.com",
        "BirthDate": "1985-06-15",
        "Address": {"Address1": "1 Elm Drive", "City": "Miami", "PostalCode": "33101"},
    },
    "namesake-2": {
        "FirstName": "Maria",
        "LastName": "Garcia",
        "EmailAddress": "mgarcia77@example.com",
        "BirthDate": "1977-01-09",
        "Address": {"Address1": "80 Ridge Lane", "City": "Boston", "PostalCode": "02108"},
    },
    "namesake-3": {
        "FirstName": "Maria",
        "LastName": "Garcia",
        "BirthDate": "1985-06-16",
        "PhoneNumber": "617-555-0144",
    },
}

PLANTED: list[list[str]] = [
    ["typo-1", "typo-2"],
    ["accent-1", "accent-2"],
    ["nick-1", "nick-2"],
    ["swap-1", "swap-2", "swap-3"],
    ["family-father", "family-father-2"],
]

LOOK_ALIKES: list[tuple[str, str]] = [
    ("family-father", "family-mother"),
    ("family-father", "family-son"),
    ("family-mother", "family-son"),
    ("namesake-1", "namesake-2"),
    ("namesake-1", "namesake-3"),
    ("namesake-2", "namesake-3"),
]

_FIRST = [
    "Alan",
    "Beth",
    "Carl",
    "Dora",
    "Evan",
    "Fay",
    "Gus",
    "Hana",
    "Ivan",
    "Jill",
    "Kurt",
    "Lena",
    "Milo",
    "Nora",
    "Otto",
    "Pia",
]
_LAST = [
    "Abbott",
    "Barker",
    "Chow",
    "Dunne",
    "Egan",
    "Frost",
    "Gill",
    "Hurst",
    "Irwin",
    "Judd",
    "Kemp",
    "Lowe",
    "Marsh",
    "Noble",
]


def _filler(count: int) -> dict[str, dict[str, Any]]:
    """Distinct people with every field present, so the planted ones are not alone."""
    rng = random.Random(5)
    people: dict[str, dict[str, Any]] = {}
    for index in range(count):
        people[f"filler-{index}"] = {
            "FirstName": rng.choice(_FIRST),
            "LastName": rng.choice(_LAST),
            "EmailAddress": f"person{index}@example.org",
            "PhoneNumber": f"+1312555{index:04d}",
            "BirthDate": f"{rng.randint(1940, 2005)}-{rng.randint(1, 12):02d}-{index % 28 + 1:02d}",
            "Address": {
                "Address1": f"{rng.randint(1, 999)} {rng.choice(_LAST)} Street",
                "City": "Chicago",
                "PostalCode": f"606{index % 100:02d}",
            },
        }
    return people


def domain(filler: int = 120) -> list[ResolutionRecord]:
    documents = PROFILES | _filler(filler)
    return [ResolutionRecord(profile_id, document) for profile_id, document in documents.items()]

"""Generated customers that are hard to resolve on purpose, with the truth known.

Each person has one to four profiles. Duplicates differ by typos, case, accents, nicknames
(Bob for Robert), swapped first and last names, missing emails and fields, and phone, address
and birth date formats. Distinct people are made to look alike: family members share a last
name, street address and phone; namesakes share a full name but were born on other days.
Deterministic for a seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

FIRST_NAMES = [
    "Robert",
    "William",
    "Elizabeth",
    "James",
    "John",
    "Michael",
    "David",
    "Richard",
    "Joseph",
    "Thomas",
    "Charles",
    "Christopher",
    "Daniel",
    "Matthew",
    "Anthony",
    "Mark",
    "Donald",
    "Steven",
    "Paul",
    "Andrew",
    "Joshua",
    "Kenneth",
    "Kevin",
    "Brian",
    "George",
    "Edward",
    "Ronald",
    "Timothy",
    "Jason",
    "Jeffrey",
    "Ryan",
    "Jacob",
    "Gary",
    "Nicholas",
    "Eric",
    "Jonathan",
    "Stephen",
    "Larry",
    "Justin",
    "Scott",
    "Brandon",
    "Benjamin",
    "Samuel",
    "Gregory",
    "Frank",
    "Alexander",
    "Raymond",
    "Patrick",
    "Jack",
    "Dennis",
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Nancy",
    "Lisa",
    "Margaret",
    "Betty",
    "Sandra",
    "Ashley",
    "Dorothy",
    "Kimberly",
    "Emily",
    "Donna",
    "Michelle",
    "Carol",
    "Amanda",
    "Melissa",
    "Deborah",
    "Stephanie",
    "Rebecca",
    "Laura",
    "Sharon",
    "Cynthia",
    "Kathleen",
    "Amy",
    "Shirley",
    "Angela",
    "Helen",
    "Anna",
    "Brenda",
    "Pamela",
    "Nicole",
    "Samantha",
    "Katherine",
    "Christine",
    "Debra",
    "Rachel",
    "Catherine",
    "Carolyn",
    "Janet",
    "Ruth",
    "Maria",
    "Heather",
    "Diane",
    "José",
    "María",
    "Zoë",
    "Renée",
    "André",
    "François",
    "Chloé",
    "Noël",
    "Inés",
    "Ángel",
    "Beatriz",
    "Léa",
    "Jürgen",
    "Søren",
    "Björn",
]
SURNAME_CORE = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Müller",
    "Núñez",
    "O'Brien",
    "Dvořák",
    "Łukasz",
    "Peña",
    "Gómez",
    "Ibáñez",
    "Schröder",
    "Fernández",
]
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ber",
    "son",
    "ton",
    "vel",
    "dra",
    "cor",
    "an",
    "ith",
    "ell",
    "ran",
    "wick",
    "ley",
    "ford",
    "ham",
    "stein",
    "berg",
    "ov",
    "ez",
]
STREETS = [
    "Main",
    "Oak",
    "Pine",
    "Maple",
    "Cedar",
    "Elm",
    "Washington",
    "Lake",
    "Hill",
    "Park",
    "Sunset",
    "Ridge",
    "River",
    "Spring",
]
STREET_TYPES = (
    ("Street", "St"),
    ("Avenue", "Ave"),
    ("Road", "Rd"),
    ("Drive", "Dr"),
    ("Lane", "Ln"),
)
CITIES = [
    "Seattle",
    "Portland",
    "Denver",
    "Austin",
    "Boston",
    "Chicago",
    "Phoenix",
    "Atlanta",
    "Miami",
    "Dallas",
]
DOMAINS = ["example.com", "mail.test", "post.test", "inbox.test"]
NICKNAMES = {
    "Robert": ("Bob", "Rob", "Bobby"),
    "William": ("Bill", "Will", "Billy"),
    "Elizabeth": ("Liz", "Beth", "Betty"),
    "James": ("Jim", "Jimmy"),
    "Michael": ("Mike",),
    "Richard": ("Rick", "Dick"),
    "Joseph": ("Joe",),
    "Thomas": ("Tom",),
    "Christopher": ("Chris",),
    "Daniel": ("Dan",),
    "Katherine": ("Kate", "Kathy"),
    "Margaret": ("Maggie", "Peggy"),
    "Jennifer": ("Jen",),
    "Edward": ("Ed", "Ted"),
    "Patricia": ("Pat", "Trish"),
}


@dataclass(frozen=True)
class Person:
    person_id: int
    first: str
    last: str
    birth: tuple[int, int, int]
    email: str | None
    phone: str  # ten digits, national
    number: int
    street: str
    street_type: int
    city: str
    postcode: str


def _place(rng: random.Random) -> tuple[str, str]:
    """A city and one of its 40 postcodes, so postcodes are shared as in real towns."""
    index = rng.randrange(len(CITIES))
    return CITIES[index], f"{10000 + index * 1000 + rng.randrange(40)}"


def _surname(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(SURNAME_CORE)
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _phone(rng: random.Random) -> str:
    return f"{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"


def _birth(rng: random.Random) -> tuple[int, int, int]:
    return rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)


_TAKEN: set[str] = set()  # an address belongs to one person (reset by generate)


def _email(rng: random.Random, first: str, last: str) -> str:
    ascii_name = "".join(ch for ch in f"{first}.{last}".lower() if ch.isascii() and ch != "'")
    # short numbers, as people pick them: distinct people often differ by one character
    suffix = str(rng.randint(1, 99)) if rng.random() < 0.7 else ""
    email = f"{ascii_name}{suffix}@{rng.choice(DOMAINS)}"
    while email in _TAKEN:
        email = f"{ascii_name}{rng.randint(1, 9999)}@{rng.choice(DOMAINS)}"
    _TAKEN.add(email)
    return email


def _people(rng: random.Random, count: int) -> list[Person]:
    people: list[Person] = []
    while len(people) < count:
        first, last = rng.choice(FIRST_NAMES), _surname(rng)
        person = Person(
            len(people),
            first,
            last,
            _birth(rng),
            _email(rng, first, last) if rng.random() < 0.85 else None,
            _phone(rng),
            rng.randint(1, 9999),
            rng.choice(STREETS),
            rng.randrange(len(STREET_TYPES)),
            *_place(rng),
        )
        people.append(person)
        roll = rng.random()
        if roll < 0.12 and len(people) < count:
            # a family member: same household, another first name and birth date
            other = rng.choice([name for name in FIRST_NAMES if name[0] != first[0]])
            people.append(
                Person(
                    len(people),
                    other,
                    last,
                    _birth(rng),
                    _email(rng, other, last) if rng.random() < 0.6 else None,
                    person.phone,
                    person.number,
                    person.street,
                    person.street_type,
                    person.city,
                    person.postcode,
                )
            )
        elif roll < 0.20 and len(people) < count:
            # a namesake: same full name, born another day, living elsewhere
            birth = _birth(rng)
            if birth == person.birth:
                birth = (birth[0] + 1, birth[1], birth[2])
            people.append(
                Person(
                    len(people),
                    first,
                    last,
                    birth,
                    _email(rng, first, last) if rng.random() < 0.7 else None,
                    _phone(rng),
                    rng.randint(1, 9999),
                    rng.choice(STREETS),
                    rng.randrange(len(STREET_TYPES)),
                    *_place(rng),
                )
            )
    return people


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    index = rng.randrange(1, len(text) - 1)
    action = rng.randrange(4)
    if action == 0:
        return text[:index] + text[index + 1 :]
    if action == 1:
        return text[:index] + rng.choice("aeiourstln") + text[index:]
    if action == 2:
        return text[:index] + rng.choice("aeiourstln") + text[index + 1 :]
    return text[: index - 1] + text[index] + text[index - 1] + text[index + 1 :]


def _strip_accents(text: str) -> str:
    import unicodedata

    return "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )


def _phone_text(rng: random.Random, digits: str) -> str:
    area, exchange, line = digits[:3], digits[3:6], digits[6:]
    return rng.choice(
        (
            f"({area}) {exchange}-{line}",
            f"{area}-{exchange}-{line}",
            f"+1 {area} {exchange} {line}",
            f"+1{digits}",
            digits,
            f"{area}.{exchange}.{line}",
        )
    )


def _birth_text(rng: random.Random, birth: tuple[int, int, int]) -> str:
    year, month, day = birth
    months = "January February March April May June July August September October November December"
    name = months.split()[month - 1]
    return rng.choice(
        (
            f"{year:04d}-{month:02d}-{day:02d}",
            f"{month:02d}/{day:02d}/{year:04d}",
            f"{name} {day}, {year}",
            f"{year:04d}{month:02d}{day:02d}",
        )
    )


def _profile(rng: random.Random, person: Person, duplicate: bool) -> dict[str, Any]:
    first, last = person.first, person.last
    email = person.email
    birth = person.birth
    street_type = STREET_TYPES[person.street_type]
    street = f"{person.number} {person.street} {street_type[0]}"
    if duplicate:
        if rng.random() < 0.3 and first in NICKNAMES:
            first = rng.choice(NICKNAMES[first])
        if rng.random() < 0.25:
            first = _typo(rng, first)
        if rng.random() < 0.2:
            last = _typo(rng, last)
        if rng.random() < 0.3:
            first, last = _strip_accents(first), _strip_accents(last)
        if rng.random() < 0.2:
            first, last = first.upper(), last.upper()
        elif rng.random() < 0.2:
            first, last = first.lower(), last.lower()
        if rng.random() < 0.08:
            first, last = last, first
        if rng.random() < 0.35:
            email = None
        elif email is not None and rng.random() < 0.1:
            email = email.upper()
        elif email is not None and rng.random() < 0.06:
            email = _email(rng, person.first, person.last)  # a second address
        elif email is not None and rng.random() < 0.05:
            local, _, domain = email.partition("@")
            email = f"{_typo(rng, local)}@{domain}"
        if rng.random() < 0.05:
            year, month, day = birth
            birth = (year, month, day % 28 + 1) if rng.random() < 0.5 else (year + 1, month, day)
        street = rng.choice(
            (
                f"{person.number} {person.street} {street_type[1]}",
                f"{person.number} {person.street.upper()} {street_type[1]}.",
                street.lower(),
                street,
            )
        )
    profile: dict[str, Any] = {"FirstName": first, "LastName": last}
    if email is not None:
        profile["EmailAddress"] = email
    if not duplicate or rng.random() < 0.9:
        profile["PhoneNumber"] = _phone_text(rng, person.phone)
    if not duplicate or rng.random() < 0.93:
        profile["BirthDate"] = _birth_text(rng, birth)
    if person.person_id % 4 == 0 and (not duplicate or rng.random() < 0.7):
        # a loyalty number for one person in four, mistyped now and then
        account = f"L{person.person_id * 7919 % 1000003:07d}"
        profile["AccountNumber"] = _typo(rng, account) if rng.random() < 0.05 else account
    if not duplicate or rng.random() < 0.85:
        profile["Address"] = {
            "Address1": street,
            "City": person.city,
            "PostalCode": person.postcode,
            "Country": "US",
        }
    return profile


def generate(profiles: int, seed: int = 7) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """``(profile_id, person_id, document)`` for about ``profiles`` profiles."""
    rng = random.Random(seed)
    _TAKEN.clear()
    people = _people(rng, max(1, int(profiles / 1.6)))
    emitted = 0
    for person in people:
        copies = 1 + (rng.random() < 0.35) + (rng.random() < 0.15) + (rng.random() < 0.05)
        for copy in range(copies):
            if emitted >= profiles:
                return
            yield f"p{emitted:07d}", person.person_id, _profile(rng, person, copy > 0)
            emitted += 1

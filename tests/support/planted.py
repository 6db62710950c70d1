"""Generated people with planted duplicates, for identity resolution tests.

``people(n)`` gives ``n`` distinct people (unique names, emails, phones, birth dates and
addresses, drawn from a seeded generator); ``duplicate(person, variant)`` writes the same
person another way, as a second system would: the email in other case, the phone in another
format, the name in other case with accents dropped. Tests plant duplicates and check that a
job finds exactly those groups.
"""

from __future__ import annotations

import random
from typing import Any

FIRST = ["Ana", "Bruno", "Carla", "Diego", "Elena", "Felix", "Greta", "Hugo", "Ines", "Jonas",
         "Kira", "Luca", "Maya", "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Samir", "Tara",
         "Umar", "Vera", "Wade", "Xenia", "Yusuf", "Zoe"]  # fmt: skip
LAST = ["Almeida", "Brandt", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Horvat",
        "Ivanova", "Jansen", "Kowalski", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov",
        "Quintero", "Rossi", "Schmidt", "Tanaka", "Urban", "Varga", "Weber", "Yilmaz",
        "Zielinski", "Müller"]  # fmt: skip
STREETS = ["Oak", "Pine", "Maple", "Cedar", "Elm", "Birch", "Walnut", "Chestnut", "Willow"]


def people(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` distinct people as CreateProfile members."""
    rng = random.Random(seed)
    names = [(f, last) for f in FIRST for last in LAST]
    rng.shuffle(names)
    out = []
    for i in range(n):
        first, last = names[i % len(names)]
        suffix = i // len(names)
        out.append(
            {
                "FirstName": first,
                "LastName": last if suffix == 0 else f"{last}-{suffix}",
                "EmailAddress": f"{first}.{last}.{i}@example.com".lower().replace("ü", "u"),
                "PhoneNumber": f"+1206{5550000 + i * 37:07d}",
                "BirthDate": f"{1950 + i % 50}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                "Address": {
                    "Address1": f"{100 + i} {STREETS[i % len(STREETS)]} St",
                    "City": "Seattle",
                    "PostalCode": f"{98000 + i % 1000:05d}",
                    "Country": "US",
                },
            }
        )
    return out


def duplicate(person: dict[str, Any], variant: int = 0) -> dict[str, Any]:
    """The same person as another system writes them."""
    copy = {**person, "Address": dict(person["Address"])}
    copy["EmailAddress"] = person["EmailAddress"].upper()
    phone = person["PhoneNumber"]  # +1206NNNNNNN
    copy["PhoneNumber"] = f"({phone[2:5]}) {phone[5:8]}-{phone[8:]}"
    if variant % 2:
        copy["FirstName"] = person["FirstName"].upper()
        copy["LastName"] = person["LastName"].replace("ü", "u")
    return copy

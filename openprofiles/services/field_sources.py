"""Which source set each field of a profile, so that SourcePriority can decide between them.

Every profile field remembers its source: a priority and a time. An object's source is its
type's SourcePriority (lower values take priority; a type without one has the lowest) and the
object's SourceLastUpdatedTimestamp. CreateProfile and UpdateProfile are a source too, the
caller's own: priority :data:`DIRECT`, above every SourcePriority (whose least is 1), at the
time of the write. A mapped field replaces the stored value when its source :func:`wins`:
a higher priority, or the same one and not older (an object older than the field's source
only fills absent fields). So objects never overwrite what a caller set on a profile; they
fill such a field again once the caller has removed it (UpdateProfile with "").

Stored in ``profiles.field_sources`` as compact JSON, field -> [priority, time]: priority
null for the lowest, time in Unix milliseconds (null when the object had none); a member of an
address or of Attributes as "Address.City", "Attributes.tier"; "*" names the source of every
field not named, so a profile that one source made stores only that. A profile stored before
migration 0008 (NULL) counts every field as of the lowest priority at its newest source time
(``profiles.source_updated_at``), which is the rule as it was before priorities.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from openprofiles.jsontext import compact, parse

# (priority: None for the lowest, Unix milliseconds: None when unknown)
Source = tuple[int | None, int | None]

DIRECT: Final = 0  # CreateProfile, UpdateProfile
LOWEST: Final[Source] = (None, None)
_EVERY: Final = "*"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND: Final = timedelta(milliseconds=1)


def source(priority: int | None, time: datetime | None) -> Source:
    """A source of this priority (None: lowest) whose data is of ``time``."""
    return (priority, None if time is None else (time - _EPOCH) // _MILLISECOND)


def wins(incoming: Source, stored: Source) -> bool:
    """Whether a value from ``incoming`` replaces one from ``stored``."""
    if incoming[0] != stored[0]:
        return stored[0] is None or (incoming[0] is not None and incoming[0] < stored[0])
    return incoming[1] is None or stored[1] is None or incoming[1] >= stored[1]


def field_name(member: str, inner: str | None = None) -> str:
    """A field as ``field_sources`` names it: ``FirstName``, ``Address.City``."""
    return member if inner is None else f"{member}.{inner}"


class FieldSources:
    """One profile's field sources, read from their stored text only when first asked."""

    __slots__ = ("_entries", "_known", "_legacy_time", "_text", "changed")

    def __init__(self, text: str | None, source_updated_at: datetime | None = None) -> None:
        self._text = text
        self._known = text is not None
        self._entries: dict[str, Source] | None = None
        self._legacy_time = source_updated_at
        self.changed = False  # differs from the stored text

    @classmethod
    def new(cls, every: Source) -> FieldSources:
        """The sources of a new profile, whose every field comes from ``every``."""
        made = cls(None)
        made._entries = {_EVERY: every}
        made._known = made.changed = True
        return made

    def _read(self) -> dict[str, Source]:
        if self._entries is None:
            if self._text is None:  # stored before migration 0008: written down from now on
                self._entries = {_EVERY: source(None, self._legacy_time)}
                self.changed = True
            else:
                self._entries = {k: (p, t) for k, (p, t) in parse(self._text).items()}
        return self._entries

    def only(self, given: Source) -> bool:
        """Whether every field is from ``given`` (then merging from it needs no look-ups:
        the usual case of a new profile, made by one object or a batch of one source)."""
        entries = self._entries
        return entries is not None and len(entries) == 1 and entries.get(_EVERY) == given

    def of(self, field: str) -> Source:
        """The source of a field the profile has."""
        entries = self._read()
        found = entries.get(field)
        return found if found is not None else entries.get(_EVERY, LOWEST)

    def may_come_from(self, field: str, priority: int | None) -> bool:
        """Whether the field's value may have come from a source of this priority: it did,
        or the profile was stored before migration 0008 and its sources are not known."""
        return not self._known or self.of(field)[0] == priority

    def set(self, field: str, given: Source) -> None:
        """``field`` now has its value from ``given``."""
        entries = self._read()
        if entries.get(_EVERY, LOWEST) == given:
            if entries.pop(field, None) is not None:
                self.changed = True
        elif entries.get(field) != given:
            entries[field] = given
            self.changed = True

    def drop(self, field: str) -> None:
        """``field`` is gone from the profile."""
        if self._read().pop(field, None) is not None:
            self.changed = True

    def encode(self) -> str | None:
        """The text to store: the stored one unless it changed."""
        if not self.changed or self._entries is None:
            return self._text
        return compact(self._entries)  # the sources' tuples as arrays

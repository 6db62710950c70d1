"""Every service, wired to one database and clock; what handlers reach through the context."""

from __future__ import annotations

from openprofiles.clock import Clock, SystemClock
from openprofiles.config import Settings
from openprofiles.storage.database import Database


class Services:
    def __init__(self, database: Database, settings: Settings, clock: Clock | None = None) -> None:
        self.database = database
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        # Service objects are attached below as they are built (domains, profiles, tags, ...).

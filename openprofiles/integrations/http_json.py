"""JSON over HTTPS for the SaaS sources: a bearer token, retries of 429 and 503 answers.

A 429 or 503 answer is retried after its Retry-After seconds (else 1, 2, 4, ... seconds), up to
``MAX_ATTEMPTS`` requests in all; any other error answer, or an unreachable host, raises
:class:`SourceUnreachable` with the vendor's own error text and never the request's headers
(the token).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any, Final

from openprofiles.integrations.profiles import ConnectorProfile
from openprofiles.integrations.s3 import SourceUnreachable

MAX_ATTEMPTS: Final = 6
_RETRIED: Final = (429, 503)


class JsonClient:
    def __init__(
        self,
        profile: ConnectorProfile,
        describe_error: Callable[[Any], str],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.profile = profile
        self.sleep = sleep
        self.describe_error = describe_error
        self.where = (
            f"{profile.connector_type} {profile.instance_url} (connector profile {profile.name})"
        )

    def get(self, url: str) -> tuple[Any, dict[str, str]]:
        """The answer's JSON and headers."""
        request = urllib.request.Request(
            url,
            headers={
                "Authorization": f"Bearer {self.profile.access_token}",
                "Accept": "application/json",
            },
        )
        for attempt in range(MAX_ATTEMPTS):
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    return json.loads(response.read()), dict(response.headers.items())
            except urllib.error.HTTPError as exc:
                if exc.code in _RETRIED and attempt + 1 < MAX_ATTEMPTS:
                    wait = exc.headers.get("Retry-After")
                    self.sleep(float(wait) if wait and wait.isdigit() else 2.0**attempt)
                    continue
                try:
                    body = json.loads(exc.read() or b"null")
                except ValueError:
                    body = None
                detail = self.describe_error(body)
                raise SourceUnreachable(
                    f"{self.where} answered {exc.code}" + (f" {detail}" if detail else "")
                ) from None
            except (OSError, ValueError) as exc:
                raise SourceUnreachable(f"cannot query {self.where}: {exc}") from None
        raise SourceUnreachable(f"{self.where} kept answering 429")  # pragma: no cover

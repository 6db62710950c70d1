"""Console sessions: who is signed in, carried in a signed cookie, and the CSRF token of their
forms.

The cookie holds the access key, the region and a random CSRF token, signed (itsdangerous,
HMAC-SHA256) with a key derived from the server's secret, and expires after
:data:`MAX_AGE_SECONDS`. Nothing is kept on the server: signing out clears the cookie, and a
credential removed from the configuration, or given another secret, ends its sessions at their
next request: the cookie holds a digest of the key pair, checked against the configuration
each time.

Before sign-in, the sign-in form's CSRF token lives in a cookie of its own (double submit):
a cross-site page cannot read it, so it cannot post a sign-in either.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Final

from itsdangerous import BadSignature, URLSafeTimedSerializer

from openprofiles.config import Credential

SESSION_COOKIE: Final = "openprofiles_console"
SIGN_IN_COOKIE: Final = "openprofiles_console_sign_in"
MAX_AGE_SECONDS: Final = 12 * 3600
CSRF_FIELD: Final = "csrf_token"


@dataclass(frozen=True)
class Session:
    access_key: str
    account: str
    region: str
    csrf: str


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def tokens_equal(given: str | None, expected: str) -> bool:
    """Constant-time comparison; a missing token never matches."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class SessionSigner:
    """Signs and reads the console's cookies with a key of their own, derived from the
    server's secret, so a console cookie can never pass for anything else it signs."""

    def __init__(self, server_secret: bytes) -> None:
        key = hmac.new(server_secret, b"openprofiles console session", hashlib.sha256).digest()
        self._key = key
        self._sessions = URLSafeTimedSerializer(key, salt="session")
        self._sign_in = URLSafeTimedSerializer(key, salt="sign-in")

    def session_cookie(self, credential: Credential, region: str) -> tuple[str, Session]:
        session = Session(credential.access_key, credential.account, region, new_csrf_token())
        value = self._sessions.dumps(
            [session.access_key, session.region, session.csrf, self._fingerprint(credential)]
        )
        return value, session

    def _fingerprint(self, credential: Credential) -> str:
        """A digest of the key pair: a session signed in with a secret since changed ends."""
        text = f"{credential.access_key}:{credential.secret_key}".encode()
        return hmac.new(self._key, text, hashlib.sha256).hexdigest()[:32]

    def read_session(
        self, cookie: str | None, credentials: dict[str, Credential]
    ) -> Session | None:
        """The session in ``cookie``; None when absent, tampered with, expired, or its access
        key is no longer configured."""
        if not cookie:
            return None
        try:
            access_key, region, csrf, fingerprint = self._sessions.loads(
                cookie, max_age=MAX_AGE_SECONDS
            )
        except (BadSignature, ValueError, TypeError):
            return None
        credential = credentials.get(access_key)
        if credential is None or not tokens_equal(fingerprint, self._fingerprint(credential)):
            return None
        return Session(access_key, credential.account, region, csrf)

    def sign_in_cookie(self) -> tuple[str, str]:
        """(cookie value, the CSRF token the sign-in form must carry)."""
        token = new_csrf_token()
        return self._sign_in.dumps(token), token

    def read_sign_in(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            token = self._sign_in.loads(cookie, max_age=MAX_AGE_SECONDS)
        except BadSignature:
            return None
        return token if isinstance(token, str) else None


def check_secret(
    credentials: dict[str, Credential], access_key: str, secret_key: str
) -> Credential | None:
    """The credential when ``secret_key`` is ``access_key``'s; None otherwise (the same
    answer, and nearly the same time, for an unknown key and a wrong secret)."""
    credential = credentials.get(access_key)
    expected = credential.secret_key if credential is not None else secrets.token_hex(16)
    if hmac.compare_digest(secret_key.encode(), expected.encode()) and credential is not None:
        return credential
    return None

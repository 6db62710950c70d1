from __future__ import annotations

from openprofiles.config import parse_credentials
from openprofiles.console.app import _local_path
from openprofiles.console.sessions import SessionSigner, check_secret, tokens_equal

CREDENTIALS = parse_credentials("alice:alice-secret:111111111111,bob:bob-secret:222222222222")


def test_a_session_cookie_reads_back_as_its_account_and_region() -> None:
    signer = SessionSigner(b"server secret")
    cookie, session = signer.session_cookie(CREDENTIALS["alice"], "eu-west-1")
    read = signer.read_session(cookie, CREDENTIALS)
    assert read == session
    assert (read.account, read.region) == ("111111111111", "eu-west-1")


def test_a_tampered_or_foreign_cookie_is_no_session() -> None:
    signer = SessionSigner(b"server secret")
    cookie, _ = signer.session_cookie(CREDENTIALS["alice"], "us-east-1")
    payload, rest = cookie.split(".", 1)
    assert signer.read_session(payload[:-2] + "xx." + rest, CREDENTIALS) is None
    assert SessionSigner(b"another server").read_session(cookie, CREDENTIALS) is None
    assert signer.read_session("", CREDENTIALS) is None
    # A sign-in form's token is signed apart: it never passes for a session.
    sign_in, _token = signer.sign_in_cookie()
    assert signer.read_session(sign_in, CREDENTIALS) is None


def test_a_session_ends_when_its_access_key_is_no_longer_configured() -> None:
    signer = SessionSigner(b"server secret")
    cookie, _ = signer.session_cookie(CREDENTIALS["bob"], "us-east-1")
    assert signer.read_session(cookie, parse_credentials("alice:alice-secret:111111111111")) is None


def test_a_session_ends_when_its_secret_changes() -> None:
    signer = SessionSigner(b"server secret")
    cookie, _ = signer.session_cookie(CREDENTIALS["bob"], "us-east-1")
    rotated = parse_credentials("bob:new-secret:222222222222")
    assert signer.read_session(cookie, rotated) is None


def test_the_sign_in_token_reads_back_from_its_cookie() -> None:
    signer = SessionSigner(b"server secret")
    cookie, token = signer.sign_in_cookie()
    assert signer.read_sign_in(cookie) == token
    assert signer.read_sign_in(cookie + "x") is None


def test_check_secret_accepts_only_the_key_pair() -> None:
    assert check_secret(CREDENTIALS, "alice", "alice-secret") == CREDENTIALS["alice"]
    assert check_secret(CREDENTIALS, "alice", "bob-secret") is None
    assert check_secret(CREDENTIALS, "carol", "alice-secret") is None
    assert not tokens_equal(None, "x") and tokens_equal("x", "x")


def test_sign_in_sends_the_browser_only_to_console_paths() -> None:
    assert (
        _local_path("/_openprofiles/console/domains/d?x=1")
        == "/_openprofiles/console/domains/d?x=1"
    )
    assert _local_path("https://evil.example/_openprofiles/console/") == ""
    assert _local_path("//evil.example/_openprofiles/console/") == ""
    assert _local_path("/domains") == ""

"""The standard keys ``_email`` and ``_phone`` are indexed normalised (lower-cased; E.164).

They were indexed as sent, so a profile stored with ``(206) 555-0100`` was found by that string
but not by ``206-555-0100`` or ``+12065550100``, which SearchProfiles looks up (it normalises
the values it is given). Each profile's rows are rewritten from its document: the rows whose
value changes are deleted, then every field's new value is inserted (a value two fields share
becomes one row). The normalisers are the ingestion engine's own
(openprofiles/ingest/normalise.py), so the rows equal what openprofiles/services/standard_keys.py
writes from now on.

Revision ID: 0013
Revises: 0008
"""

from __future__ import annotations

import json
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from openprofiles.ingest.normalise import normalise_email, normalise_phone

revision = "0013"
down_revision = "0008"
branch_labels = None
depends_on = None

_PROFILES_PER_STEP = 10_000
_EMAIL_FIELDS = ("EmailAddress", "PersonalEmailAddress", "BusinessEmailAddress")
_PHONE_FIELDS = ("PhoneNumber", "MobilePhoneNumber", "HomePhoneNumber", "BusinessPhoneNumber")
_KEYS: tuple[tuple[str, tuple[str, ...], Callable[[str], str]], ...] = (
    ("_email", _EMAIL_FIELDS, normalise_email),
    ("_phone", _PHONE_FIELDS, normalise_phone),
)

Row = dict[str, object]


def _as_sent(value: str) -> str:
    return value


def upgrade() -> None:
    _rewrite(lambda normalise: (_as_sent, normalise))


def downgrade() -> None:
    _rewrite(lambda normalise: (normalise, _as_sent))


def _rewrite(
    forms: Callable[[Callable[[str], str]], tuple[Callable[[str], str], Callable[[str], str]]],
) -> None:
    """Rows of the old form (first function) become rows of the new form (second)."""
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT domain_id, profile_id, document FROM profiles").execution_options(
            yield_per=_PROFILES_PER_STEP
        )
    )
    gone: list[Row] = []
    new: list[Row] = []
    for domain_id, profile_id, text in rows:
        document = json.loads(text)
        for name, fields, normalise in _KEYS:
            old_form, new_form = forms(normalise)
            for field in fields:
                sent = document.get(field)
                if not isinstance(sent, str) or not sent:
                    continue
                row = {"d": domain_id, "p": profile_id, "n": name}
                before, after = old_form(sent), new_form(sent)
                if before != after:
                    gone.append({**row, "v": before})
                if after:
                    new.append({**row, "v": after})
        if len(new) >= _PROFILES_PER_STEP:
            _write(conn, gone, new)
            gone, new = [], []
    _write(conn, gone, new)


def _write(conn: sa.Connection, gone: list[Row], new: list[Row]) -> None:
    # Deletes first: a value one field loses may be one another field keeps.
    if gone:
        conn.execute(
            sa.text(
                "DELETE FROM profile_keys WHERE domain_id = :d AND key_name = :n"
                " AND key_value = :v AND profile_id = :p AND origin = 'standard'"
            ),
            gone,
        )
    if new:
        conn.execute(
            sa.text(
                "INSERT INTO profile_keys (domain_id, key_name, key_value, profile_id, origin)"
                " VALUES (:d, :n, :v, :p, 'standard') ON CONFLICT DO NOTHING"
            ),
            new,
        )

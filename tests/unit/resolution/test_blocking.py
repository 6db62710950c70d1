from __future__ import annotations

from openprofiles.resolution.blocking import match_keys
from openprofiles.resolution.normalise import NormalisedRecord, normalise_document


def _record(profile_id: str, **document: object) -> NormalisedRecord:
    return normalise_document(profile_id, document, "US")


def test_keys_cover_email_phone_and_name_with_birth_date() -> None:
    keys = match_keys(
        _record(
            "a",
            FirstName="Bob",
            LastName="Smith",
            EmailAddress="bob@example.com",
            PhoneNumber="206-555-0100",
            BirthDate="1980-03-05",
        )
    )
    assert "email:bob@example.com" in keys
    assert "phone:+12065550100" in keys
    assert "name_birth_date:robert|smith|1980-03-05" in keys
    assert "first_name_birth_date:robert|1980-03-05" in keys


def test_a_rule_with_a_missing_field_gives_no_key() -> None:
    keys = match_keys(_record("a", FirstName="Ann", LastName="Lee"))
    assert keys == []


def test_records_written_differently_share_keys() -> None:
    one = _record("a", EmailAddress=" ANN@EXAMPLE.COM", PhoneNumber="(206) 555-0100")
    other = _record("b", EmailAddress="ann@example.com", PhoneNumber="+1 206 555 0100")
    assert set(match_keys(one)) == set(match_keys(other))


def test_swapped_first_and_last_names_share_the_name_key() -> None:
    one = _record("a", FirstName="Wei", LastName="Zhang", BirthDate="1990-01-02")
    swapped = _record("b", FirstName="Zhang", LastName="Wei", BirthDate="1990-01-02")
    shared = set(match_keys(one)) & set(match_keys(swapped))
    assert shared == {"name_birth_date:wei|zhang|1990-01-02"}


def test_last_name_and_postcode_pair_records_without_email_or_phone() -> None:
    one = _record("a", LastName="Núñez", Address={"PostalCode": "98101"})
    other = _record("b", LastName="NUNEZ", Address={"PostalCode": " 98101 "})
    assert set(match_keys(one)) & set(match_keys(other)) == {"last_name_postcode:nunez|98101"}


def test_records_share_a_key_exactly_when_a_splink_rule_pairs_them() -> None:
    import itertools
    from collections import defaultdict

    import pyarrow as pa
    from splink import DuckDBAPI, Linker

    from bench.resolution_customers import generate
    from openprofiles.resolution.model import default_model
    from openprofiles.resolution.splink_engine import column_values, rows_columns, splink_settings

    records = [normalise_document(pid, doc, "US") for pid, _, doc in generate(800, seed=4)]
    table = pa.table(
        {column: pa.array(column_values(records, column), pa.string()) for column in rows_columns()}
    )
    linker = Linker(DuckDBAPI().register(table), splink_settings(default_model()), log_level=None)
    scored = linker.inference.predict().as_pyarrow_table()
    splink_pairs = {
        tuple(sorted(pair))
        for pair in zip(
            scored.column("unique_id_l").to_pylist(),
            scored.column("unique_id_r").to_pylist(),
            strict=True,
        )
    }
    by_key: dict[str, list[str]] = defaultdict(list)
    for record in records:
        for key in match_keys(record):
            by_key[key].append(record.unique_id)
    key_pairs = {
        tuple(sorted(pair)) for ids in by_key.values() for pair in itertools.combinations(ids, 2)
    }
    assert len(splink_pairs) > 300
    assert key_pairs == splink_pairs

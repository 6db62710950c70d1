"""jsontext: orjson's speed with json's results."""

from __future__ import annotations

import json

import pytest

from openprofiles.jsontext import compact, parse

# Texts on which orjson alone would differ from json.loads, and ordinary ones.
TEXTS = [
    '{"Email": "a@example.com", "Name": "Ünï 😀", "n": 7, "ok": true, "none": null}',
    '{"a": 1, "a": 2}',  # the last of a repeated member wins
    "123456789012345678901234567890",  # beyond 64 bits: orjson alone reads a float
    '{"id": -9223372036854775809, "x": [18446744073709551616]}',
    "18446744073709551615",
    '{"price": 12.50, "ratio": 0.1, "big": 1.7976931348623157e308}',
    "1e400",  # json reads infinity
    "[NaN, Infinity, -Infinity]",  # not standard JSON, and json.loads accepts it
    '"\\ud83d\\ude00"',
    ' {"spaced" : [ 1 , 2 ] } ',
    "-0.0",
]


@pytest.mark.parametrize("text", TEXTS)
def test_parse_gives_what_json_loads_gives(text: str) -> None:
    expected = json.loads(text)
    for given in (text, text.encode("utf-8", "surrogatepass")):
        if isinstance(given, bytes) and "\\ud800" in text:
            continue
        got = parse(given)
        assert repr(got) == repr(expected)  # repr: 1 and 1.0, nan and nan compare as they are
        assert type(got) is type(expected)


@pytest.mark.parametrize("text", ['{"a":}', "", "[1,]", "{'a': 1}", '"\\x"', '{"a": 1} x', "{"])
def test_parse_refuses_what_json_refuses_with_its_message(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as got:
        parse(text)
    assert (got.value.msg, got.value.colno) == (expected.value.msg, expected.value.colno)


def test_compact_writes_json_without_spaces_and_keeps_text_as_it_is() -> None:
    document = {"FirstName": "Ünï", "Attributes": {"quote": 'say "hi"\n', "ctl": "\x01\x7f"}}
    text = compact(document)
    assert text == json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    assert json.loads(text) == document
    assert compact({"x": 1.5, "l": [1, None, True]}) == '{"x":1.5,"l":[1,null,true]}'
    # What orjson cannot write, json does: integers beyond 64 bits, keys that are not strings.
    expected = '{"n":1180591620717411303424,"1":"not a string"}'
    assert compact({"n": 2**70, 1: "not a string"}) == expected


def test_compact_escapes_every_character_as_json_does() -> None:
    """ListProfileObjects' ObjectFilter finds a key by its encoding inside the stored
    ``key_values`` text, written by json before compact existed: both must write every
    character alike (a lone surrogate, which orjson refuses, goes to json)."""
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    characters = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    for start in range(0, len(characters), 4096):
        text = "".join(characters[start : start + 4096])
        assert compact([["k", text]]) == encoder.encode([["k", text]])
    assert compact(["\ud800"]) == encoder.encode(["\ud800"])


@pytest.mark.parametrize(
    ("text", "where", "column"),
    [
        ('"\\ud800"', "the string", 2),
        ('{"a": {"b": ["x", "y\\udc00z"]}}', "the string at a.b[1]", 21),
        ('{"a\\ud83dx": 1}', "the member name 'a\\ud83dx'", 4),
        ('{"n": NaN, "e": "\\ud83d\\ude00\\ud83d"}', "the string at e", 30),
    ],
)
def test_parse_refuses_unpaired_surrogates_naming_where(text: str, where: str, column: int) -> None:
    """json.loads reads a lone surrogate escape into a string UTF-8 cannot encode (no
    database stores it): refused like invalid JSON, naming the string and its column."""
    with pytest.raises(json.JSONDecodeError) as refused:
        parse(text)
    assert refused.value.msg.startswith(f"{where} holds an unpaired surrogate")
    assert refused.value.colno == column

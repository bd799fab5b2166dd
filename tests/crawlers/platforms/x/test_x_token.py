"""Syndication token and JS Number.prototype.toString(radix) — expected values computed with node."""

from __future__ import annotations

import math

import pytest

from crawlers.platforms.x.token import js_number, js_to_string_radix, syndication_token

# syndication/README.md test vectors (all of them)
README_VECTORS = {
    "1628832338187636740": "3y54libozsy",
    "1900000000000000000": "4ltxr9b3f",
    "20": "6dq1a2xwd93",
    "1629262255744503809": "3y6h7x4gn61",
    "1641086480675225601": "3z7miaszni8",
    "1684218600456876032": "42z4mwgp9h8",
    "1703436713362870723": "44ni5iyte19",
    "2023357708301455483": "4wkkd5uwebk",
}

# more IDs, expected values from node: ((Number(id)/1e15)*Math.PI).toString(36).replace(/(0+|\.)/g,'')
NODE_TOKENS = {
    "1": "bhi2ay3f28n",
    "999999999999999": "353i5ab8p54",
    "1234567890123456789": "2zqic77uqyk",
    "9007199254740993": "saoujnx4as",
    "18446744073709551615": "18ps5lqos4lc",
    "1797170834429313181": "4ctz8dsjg5n",
    "1998024020726329831": "4ucz6y7rckw",
    "1641895049427550208": "3za5ye2w3ov",
    "1974992463661289472": "4scmdvdz46e",
}

# (value, radix, node's value.toString(radix))
NODE_RADIX = [
    (0.5, 36, "0.i"), (255.5, 2, "11111111.1"), (255.5, 16, "ff.8"), (255.5, 36, "73.i"),
    (-3.75, 2, "-11.11"), (-3.75, 36, "-3.r"),
    (0.1, 2, "0.0001100110011001100110011001100110011001100110011001101"),
    (0.1, 8, "0.0631463146314631464"), (0.1, 16, "0.1999999999999a"), (0.1, 36, "0.3lllllllllm"),
    (1 / 3, 16, "0.55555555555554"), (1 / 3, 36, "0.c"),
    (123.456, 8, "173.3513615237574734"), (123.456, 36, "3f.gez4w97ry"),
    (1e21, 8, "154327115334273650000000"), (1e21, 16, "3635c9adc5dea00000"), (1e21, 36, "5v1j4f4ds7c000"),
    (2.0**60, 36, "8rc4kbdvss00"), (math.pi, 2, "11.001001000011111101101010100010001000010110100011"),
    (math.pi, 36, "3.53i5ab8p5f"), (1e-7, 36, "0.000061oezo085tl"), (0.000001, 16, "0.000010c6f7a0b5ed8d"),
    (4294967295.9, 16, "ffffffff.e66668"), (4294967295.9, 36, "1z141z3.weeek"),
    (-0.0001220703125, 36, "-0.005p14i"), (98765.4321, 36, "247h.fk022ne"), (98765.4321, 16, "181cd.6e9e1b08a"),
]


@pytest.mark.parametrize(("post_id", "token"), sorted(README_VECTORS.items()))
def test_readme_vectors(post_id: str, token: str) -> None:
    assert syndication_token(post_id) == token


@pytest.mark.parametrize(("post_id", "token"), sorted(NODE_TOKENS.items()))
def test_more_ids_match_node(post_id: str, token: str) -> None:
    assert syndication_token(post_id) == token


@pytest.mark.parametrize(("value", "radix", "expected"), NODE_RADIX)
def test_to_string_radix_matches_v8(value: float, radix: int, expected: str) -> None:
    assert js_to_string_radix(value, radix) == expected


def test_extreme_doubles_match_v8_shape() -> None:
    assert js_to_string_radix(5e-324, 2) == "0." + "0" * 1073 + "1"
    assert js_to_string_radix(5e-324, 36) == "0." + "0" * 207 + "3"
    assert js_to_string_radix(1.7976931348623157e308, 16) == "fffffffffffff8" + "0" * 242
    assert js_to_string_radix(1.7976931348623157e308, 36) == "1a1e4vngaiqo" + "0" * 187


def test_special_values_and_radix_10() -> None:
    assert js_to_string_radix(0.0, 36) == "0"
    assert js_to_string_radix(math.nan, 36) == "NaN"
    assert js_to_string_radix(-math.inf, 36) == "-Infinity"
    assert js_to_string_radix(1e21, 10) == "1e+21"
    assert js_to_string_radix(123.0, 10) == "123"
    assert js_to_string_radix(0.000001, 10) == "0.000001"
    assert js_to_string_radix(1e-7, 10) == "1e-7"
    with pytest.raises(ValueError):
        js_to_string_radix(1.0, 37)


def test_js_number() -> None:
    assert js_number(" 20 ") == 20.0
    assert js_number("") == 0.0
    assert math.isnan(js_number("12abc"))
    assert syndication_token("abc") == "NaN"

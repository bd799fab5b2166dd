"""The registry is the one list of platforms, and each entry offers the whole Platform interface."""

from __future__ import annotations

from typing import get_args

import pytest

from crawlers.platforms.base import Platform
from crawlers.platforms.registry import PLATFORMS, get_platform, post_ref
from receipts.models import PlatformName

INTERFACE = [name for name in dir(Platform) if not name.startswith("_")] + ["name", "label"]


def test_every_registered_platform_is_a_contract_name_and_implements_the_interface() -> None:
    assert "x" in PLATFORMS
    for name, platform in PLATFORMS.items():
        assert name in get_args(PlatformName) and platform.name == name
        missing = [attr for attr in INTERFACE if not hasattr(platform, attr)]
        assert missing == [], f"{name} lacks {missing}"


def test_a_url_goes_to_the_platform_that_claims_it() -> None:
    ref = post_ref("https://twitter.com/atrupar/status/1890167386483204195?s=20")
    assert ref is not None and (ref.platform, ref.post_id, ref.handle) == ("x", "1890167386483204195", "atrupar")
    assert post_ref("https://newrepublic.com/article/191769/") is None


def test_an_unknown_platform_is_named_with_the_known_ones() -> None:
    with pytest.raises(KeyError, match="unknown platform 'myspace'.*x"):
        get_platform("myspace")


def test_x_keys_parse_from_digits_or_a_status_url() -> None:
    x = get_platform("x")
    assert x.parse_key("1890167386483204195") == "1890167386483204195"
    assert x.parse_key("https://x.com/a/status/12") == "12"
    assert x.parse_key("not-an-id") is None
    assert x.canonical_url("12", "a") == "https://x.com/a/status/12"

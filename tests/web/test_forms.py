"""The browser's limits equal the server's: HTML attributes from the pydantic model."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Annotated

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, StringConstraints

from parley.web.forms import field_attrs, js_pattern

USERNAME = r"^[a-z0-9][a-z0-9_.-]{1,63}$"


class Example(BaseModel):
    reason: str = Field(min_length=3, max_length=2000)
    note: str = Field(default="", max_length=500)
    username: Annotated[str, StringConstraints(pattern=USERNAME)]
    priority: int = Field(default=50, ge=0, le=100)
    count: int = Field(gt=0, lt=10)
    maybe: str | None = None
    agree: bool = False


def test_limits_come_from_the_model() -> None:
    assert field_attrs(Example, "reason") == {"required": True, "minlength": 3, "maxlength": 2000}
    assert field_attrs(Example, "note") == {"maxlength": 500}
    assert field_attrs(Example, "priority") == {"min": 0, "max": 100}
    assert field_attrs(Example, "count") == {"required": True, "min": 1, "max": 9}
    assert field_attrs(Example, "maybe") == {}
    assert field_attrs(Example, "username")["pattern"] == r"[a-z0-9][a-z0-9_.\-]{1,63}"
    assert field_attrs(None, "anything") == {}


def test_a_model_can_be_named_by_its_import_path() -> None:
    assert field_attrs(f"{__name__}:Example", "note") == {"maxlength": 500}


def test_an_unknown_field_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="Example has no field 'nope'"):
        field_attrs(Example, "nope")


def test_unanchored_patterns_may_match_anywhere_as_pydantic_does() -> None:
    assert js_pattern("abc") == r"[\s\S]*abc[\s\S]*"
    assert js_pattern(r"^(?P<y>\d{4})-\d\d$") == r"(?<y>\d{4})-\d\d"
    assert js_pattern(r"^[-a-z]+$") == r"[\-a-z]+"
    assert js_pattern(r"^[a\-z(]+$") == r"[a\-z\(]+"


PATTERNS = [USERNAME, r"^[A-Z]{2,3}$", r"^[-a-z0-9_]+(\.[a-z]+)?$", r"^\d{4}-\d{2}-\d{2}$"]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run JavaScript")
@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet="aZ09_.-x \u00e9", max_size=12), min_size=1, max_size=20))
def test_the_browser_accepts_exactly_what_the_server_accepts(values: list[str]) -> None:
    """Each converted pattern, compiled as the browser does (``v`` flag, whole value), agrees
    with Python's ``re.search`` of the original on every value."""
    script = (
        "const [pats, vals] = JSON.parse(process.argv[1]);"
        "const whole = p => new RegExp('^(?:' + p + ')$', 'v');"
        "console.log(JSON.stringify(pats.map(p => vals.map(v => whole(p).test(v)))));"
    )
    converted = [js_pattern(p) for p in PATTERNS]
    out = subprocess.run(
        ["node", "-e", script, json.dumps([converted, values])],
        capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    browser = json.loads(out.stdout)
    server = [[re.search(p, v) is not None for v in values] for p in PATTERNS]
    assert browser == server

"""The shared registry table: built-ins first and permanent, registration rules, the cache token."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from segtarget.errors import SegtargetError
from segtarget.registry import Registry


@dataclass(frozen=True)
class Row:
    name: str
    value: int = 0


def test_rows_rules_and_tokens():
    reg = Registry("widget", Row, (Row("a"), Row("b")), "register_widget")
    assert tuple(reg.rows) == ("a", "b") and reg.builtin == ("a", "b") and reg.added() == ()
    reg.register(Row("c", 1))
    assert tuple(reg.rows) == ("a", "b", "c") and reg.added() == (Row("c", 1),)
    with pytest.raises(SegtargetError, match="widget 'c' is already registered; pick another name or pass"):
        reg.register(Row("c", 2))
    with pytest.raises(SegtargetError, match="widget 'a' is already registered; pick another name$"):
        reg.register(Row("a", 2), replace=True)
    with pytest.raises(SegtargetError, match="register_widget: expected a Row, got str"):
        reg.register("c")
    assert reg.cache_token(["a", "b", "zzz"]) == ""
    token = reg.cache_token(["b", "c"])
    assert token and token == reg.cache_token(["c"])
    reg.register(Row("c", 2), replace=True)
    assert reg.rows["c"].value == 2 and reg.cache_token(["c"]) != token
    reg.unregister("c")
    assert "c" not in reg.rows and reg.cache_token(["c"]) == ""
    with pytest.raises(SegtargetError, match="widget 'a' is built in"):
        reg.unregister("a")

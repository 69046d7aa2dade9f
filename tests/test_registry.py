"""The shared registry table: built-ins first and permanent, registration rules, the cache token."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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


PLUGIN = '''
from segtarget.causal.cate.registry import Learner, register_learner
from segtarget.data.registry import DataSource, register_source
from segtarget.data.sources import register_tables

register_source(DataSource("shop", register_tables))  # the canonical layout under another name
register_learner(Learner("plug_t", "Plugged T-learner", build=lambda p, s: None, defaults=lambda cfg: {}))
'''


def _cli(tmp_path, *args, plugins: str):
    import os
    import subprocess
    import sys

    import segtarget

    (tmp_path / "my_plugin.py").write_text(PLUGIN)
    src = Path(segtarget.__file__).parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(tmp_path)]), "SEGTARGET_PLUGINS": plugins}
    return subprocess.run([sys.executable, "-c", "from segtarget.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=120, env=env)


def test_cli_loads_plugins_named_in_the_environment(tmp_path):
    args = ("config", "--show", "--set", 'cate.models=["t", "plug_t"]', "--set", "data.source='shop:/x'")
    proc = _cli(tmp_path, *args, plugins="my_plugin")
    assert proc.returncode == 0, proc.stderr
    assert '"plug_t"' in proc.stdout and "shop:/x" in proc.stdout
    proc = _cli(tmp_path, *args, plugins="")
    assert proc.returncode == 2 and "unknown model 'plug_t'" in proc.stderr
    proc = _cli(tmp_path, *args, plugins="no_such_plugin")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: SEGTARGET_PLUGINS: cannot import 'no_such_plugin'")

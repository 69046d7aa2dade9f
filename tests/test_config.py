"""config.py (one TOML config) and cli/config_cmd.py (``segtarget config --show / --docs``)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from segtarget.cli import app
from segtarget.cli.config_cmd import config_reference, field_docs
from segtarget.config import toml_value
from segtarget.config import Config, load_config, to_toml
from segtarget.errors import SegtargetError

DOCS = Path(__file__).resolve().parents[1] / "docs" / "config.md"


def _invoke(*args):
    return CliRunner().invoke(app, list(args))


def test_defaults_file_then_overrides(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[policy]\nmargin = 0.25\ntop_k = [10, 20]\n[run]\nseed = 7\n')
    cfg = load_config(path, ["policy.margin=0.4", "data.source=tables:/x"])
    assert cfg.policy.margin == 0.4 and cfg.policy.top_k == (10, 20) and cfg.run.seed == 7
    assert cfg.data.source == "tables:/x"
    assert cfg.policy.cost == Config().policy.cost  # untouched keys keep their defaults


@pytest.mark.parametrize("override, message", [
    ("policy.margn=0.3", "did you mean 'margin'"),
    ("polcy.margin=0.3", "did you mean 'policy'"),
    ("run.seed=abc", "expected an integer"),
    ("run.use_cache=maybe", "expected true or false"),
    ("policy.top_k=5", "expected a list"),
    ("policy.margin", "section.key=value"),
])
def test_bad_overrides_are_one_line_errors(override, message):
    with pytest.raises(SegtargetError, match=message) as info:
        load_config(None, [override])
    assert "\n" not in str(info.value)


def test_bad_files(tmp_path):
    with pytest.raises(SegtargetError, match="not found"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[policy\nmargin = ")
    with pytest.raises(SegtargetError, match="invalid TOML"):
        load_config(bad)


def test_show_round_trips_through_config(tmp_path):
    result = _invoke("config", "--show", "--set", "policy.margin=0.25", "--set", "segments.names=['0=VIP']")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# effective segtarget configuration (defaults < --set)")
    path = tmp_path / "shown.toml"
    path.write_text(result.output)
    cfg = load_config(path)
    assert cfg == load_config(None, ["policy.margin=0.25", "segments.names=['0=VIP']"])
    assert cfg.policy.margin == 0.25 and cfg.segments.names == ("0=VIP",)
    assert to_toml(cfg) in result.output


def test_show_rejects_impossible_values_and_typos():
    result = _invoke("config", "--show", "--set", "policy.margin=3")
    assert result.exit_code != 0
    assert "policy.margin" in str(result.exception)
    result = _invoke("config", "--show", "--set", "policy.margn=0.3")
    assert "did you mean 'margin'" in str(result.exception)


def test_cli_prints_one_line_error_without_traceback(tmp_path):
    exe = Path(sys.executable).with_name("segtarget")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c", "from segtarget.cli import main; main()"]
    proc = subprocess.run([*cmd, "config", "--show", "--set", "ate.fodls=3"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: config: unknown key 'ate.fodls' (did you mean 'folds'?)"
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_field_docs_reads_own_group_and_trailing_comments():
    @dataclasses.dataclass(frozen=True)
    class Demo:
        # Heading of a group.
        a: int = 1
        b: int = 2
        c: float = 0.5  # trailing note on c, see d
        d: float = 0.8

        e: str = ""  # own

    docs = field_docs(Demo)
    assert docs == {"a": "Heading of a group.", "b": "Heading of a group.", "c": "trailing note on c, see d",
                    "d": "Heading of a group. trailing note on c, see d", "e": "own"}


def test_toml_value():
    assert toml_value(None) == "(unset)" and toml_value(True) == "true"
    assert toml_value((0.1, 0.9)) == "[0.1, 0.9]" and toml_value('a"b') == '"a\\"b"'


def test_docs_flag_refuses_other_options():
    result = _invoke("config", "--docs", "--show")
    assert result.exit_code != 0 and "--docs" in str(result.exception)


def test_docs_config_md_lists_every_key_with_its_default():
    """docs/config.md must be current: regenerate with `segtarget config --docs > docs/config.md`."""
    text = DOCS.read_text()
    fix = "docs/config.md is stale: run `segtarget config --docs > docs/config.md`"
    for section in dataclasses.fields(Config):
        cls = typing.get_type_hints(Config)[section.name]
        assert f"## [{section.name}]" in text, f"{fix} (section [{section.name}] missing)"
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            row = f"| `{f.name}` |"
            assert row in text, f"{fix} ({section.name}.{f.name} missing)"
            assert f"`{toml_value(default).replace('|', chr(92) + '|')}`" in text.split(f"## [{section.name}]")[1], \
                f"{fix} ({section.name}.{f.name} default changed)"
    assert config_reference().count("| `") == text.count("| `"), fix


def test_every_config_key_has_a_comment():
    """Architecture rule: each stage config field carries a comment saying what it means."""
    undocumented = [line.split("`")[1] for line in config_reference().splitlines() if "(not documented yet)" in line]
    assert undocumented == [], f"add a comment to these config fields: {undocumented}"

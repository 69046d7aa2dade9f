"""config.py (one TOML config) and cli/config_cmd.py (``segtarget config --show / --docs``)."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import typing
from pathlib import Path

import numpy as np
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


def test_every_documented_config_key_is_read_somewhere():
    """A key docs/config.md lists must change something: each field of the config dataclasses is read as
    ``.<field>`` by some module other than the config modules (config.py files only define and validate
    keys). Textual on purpose, so it is fast; a key that shares its name with another read attribute passes."""
    src = Path(__file__).resolve().parents[1] / "src" / "segtarget"
    code = "\n".join(p.read_text() for p in src.rglob("*.py") if p.name != "config.py")
    unread = [f"{section.name}.{f.name}" for section in dataclasses.fields(Config)
              for f in dataclasses.fields(typing.get_type_hints(Config)[section.name])
              if not re.search(rf"\.{f.name}\b", code)]
    assert unread == [], f"config keys nothing reads (wire them up or remove them): {unread}"


def test_every_config_key_has_a_comment():
    """Architecture rule: each stage config field carries a comment saying what it means."""
    undocumented = [line.split("`")[1] for line in config_reference().splitlines() if "(not documented yet)" in line]
    assert undocumented == [], f"add a comment to these config fields: {undocumented}"


# ------------------------------------------------------------------------------------- validated on construction
@pytest.mark.parametrize("override, rule", [
    ("data.source='parquet:/x'", "one of completejourney, dunnhumby:PATH, tables:PATH"),
    ("data.start='2017-13-40'", "ISO date"),
    ("data.end='2017-01-01'", "after data.start"),  # with data.start below
    ("run.seed=-1", "in [0, 2147483647]"),
    ("run.n_jobs=0", "-1 for all cores"),
    ("run.parallel_backend='dask'", "'joblib', 'ray'"),
    ("run.cache_dir=''", "a directory"),
    ("features.memory_limit='lots'", "4GB"),
    ("features.threads=-2", ">= 0"),
    ("segments.transform='boxcox'", "'log', 'minmax', 'quantile'"),
    ("segments.nmf_k_max=1", ">= segments.nmf_k_min"),
    ("segments.nmf_rule='aic'", "'stability', 'r2', 'elbow'"),
    ("segments.kmeans_rule='dbi'", "while segments.nmf_rule is 'stability'"),
    ("segments.kmeans_k=1", "at least 2"),
    ("segments.n_bootstrap_select=1", ">= 2"),
    ("segments.stability_ari_min=0", "in (0, 1]"),
    ("segments.names=['VIP']", "ID=Name"),
    ("segments.migration_uncertain_ratio=1.5", "in (0, 1]"),
    ("design.design='campaign:x'", "numeric ID"),
    ("design.lookback_weeks=0", ">= 1"),
    ("design.truncation='cut'", "'drop', 'rate'"),
    ("design.controls='none'", "'not-yet-treated'"),
    ("ate.clip=0.7", "in (0, 0.5)"),
    ("ate.clip=0", "in (0, 0.5)"),
    ("ate.folds=1", ">= 2"),
    ("ate.trims=[0.1, 0.6]", "values in [0, 0.5)"),
    ("ate.overlap_band=0.5", "in (0, 0.5)"),
    ("ate.min_coverage=1.2", "in [0, 1]"),
    ("ate.calibration_bins=1", ">= 2"),
    ("cate.folds=1", ">= 2"),
    ("cate.inner_cv=1", ">= 2"),
    ("cate.tune_folds=9", "in [1, 5]"),
    ("cate.tune_loss='mse'", "'dr', 'r'"),
    ("cate.subset_min=0.9", "<= cate.subset_max"),
    ("cate.tree_min_leaf=0.5", "in (0, 0.5)"),
    ("cate.n_groups=1", ">= 2"),
    ("event_study.outcome='visits'", "'spend', 'baskets'"),
    ("event_study.pre_weeks=0", ">= 1"),
    ("event_study.level_strata=0", ">= 1"),
    ("policy.margin=0", "in (0, 1]"),
    ("policy.cost=-1", ">= 0"),
    ("policy.overlap=[0.9, 0.1]", "0 < low < high < 1"),
    ("policy.overlap=[0.1]", "a list of 2 numbers"),
    ("policy.tree_depth=4", "in [1, 3]"),
    ("policy.top_k=[10, 120]", "(0, 100]"),
    ("policy.power=1", "in [0.5, 1)"),
])
def test_each_bad_value_names_its_key_on_construction(override, rule):
    """One line naming the key as the user writes it, the rule, the bad value and a value that works."""
    key = override.split("=", 1)[0]
    extra = ["data.start='2017-06-01'"] if key == "data.end" else []
    with pytest.raises(SegtargetError) as info:
        load_config(None, [*extra, override])
    message = str(info.value)
    assert message.startswith(f"{key} must be ") and rule in message, message
    assert f"; set e.g. {key}=" in message and "\n" not in message
    # the suggested value is accepted (for data.end: one after data.start)
    suggestion = message.split(f"; set e.g. {key}=", 1)[1]
    load_config(None, [*extra, f"{key}={suggestion}"])


def test_known_bad_cases_of_the_issue_fail_on_construction_not_mid_run():
    from segtarget.causal.cate.config import CateConfig
    from segtarget.causal.config import AteConfig

    with pytest.raises(SegtargetError, match=r"^ate\.clip must be in \(0, 0\.5\), got 0\.7; set e\.g\. ate\.clip=0\.01$"):
        AteConfig(clip=0.7)
    with pytest.raises(SegtargetError, match=r"^cate\.folds must be >= 2, got 1"):
        CateConfig(folds=1)
    with pytest.raises(SegtargetError, match=r"ate\.clip .* got nan"):
        AteConfig(clip=float("nan"))


def test_python_callers_are_held_to_the_same_types():
    from segtarget.causal.cate.config import CateConfig
    from segtarget.causal.config import AteConfig
    from segtarget.policy.config import PolicyConfig

    with pytest.raises(SegtargetError, match=r"cate\.folds must be an integer, got '5'"):
        CateConfig(folds="5")
    with pytest.raises(SegtargetError, match=r"ate\.dml must be true or false, got 1"):
        AteConfig(dml=1)
    with pytest.raises(SegtargetError, match=r"cate\.models must be a list of strings"):
        CateConfig(models="t")
    with pytest.raises(SegtargetError, match=r"^ate must be an instance of AteConfig"):
        Config(ate=PolicyConfig())
    # lists become tuples, so a config built in Python equals the one read from TOML
    assert PolicyConfig(top_k=[10, 20]) == load_config(None, ["policy.top_k=[10, 20]"]).policy
    assert AteConfig(folds=np.int64(3)).folds == 3  # numpy integers are integers


def test_every_section_checks_itself():
    """Architecture rule: each section's dataclass validates in __post_init__ (not somewhere in the run)."""
    for section in dataclasses.fields(Config):
        cls = typing.get_type_hints(Config)[section.name]
        assert "__post_init__" in cls.__dict__, f"{cls.__name__} has no __post_init__"
        cls()  # and its defaults pass


@pytest.mark.parametrize("override, expected", [
    ("ate.clip=0.7", "error: ate.clip must be in (0, 0.5), got 0.7; set e.g. ate.clip=0.01"),
    ("cate.folds=1", "error: cate.folds must be >= 2, got 1; set e.g. cate.folds=5"),
])
def test_cli_exits_2_with_the_one_line_range_error(override, expected):
    exe = Path(sys.executable).with_name("segtarget")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c", "from segtarget.cli import main; main()"]
    proc = subprocess.run([*cmd, "config", "--show", "--set", override], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stderr.strip(), proc.stdout) == (2, expected, "")


# ------------------------------------------------------------------------------------- CLI flags follow the config
def test_no_cli_flag_hard_codes_a_config_default():
    """Flags that stand for a config key default to None and fall back to the config, so the two cannot drift."""
    import inspect

    config_flags = {"seed", "margin", "cost", "data", "source", "exposure", "out_dir", "n_jobs", "breakeven"}
    checked = []
    for command in app.registered_commands:
        for name, param in inspect.signature(command.callback).parameters.items():
            if name in config_flags:
                default = getattr(param.default, "default", param.default)
                assert default in (None, ...), f"`segtarget {command.name}` --{name} defaults to {default!r}"
                checked.append((command.name, name))
    assert {("causal", "seed"), ("validate", "seed"), ("abtest", "margin"), ("features", "data"),
            ("synth", "seed"), ("causal", "cost"), ("causal", "margin"), ("run", "cost"),
            ("validate", "breakeven")} <= set(checked)


def _stop_with(captured: dict):
    class Stop(SegtargetError):
        pass

    def fake(*args, **kwargs):
        captured.update(kwargs, args=args)
        raise Stop("stopped")

    return fake


@pytest.mark.parametrize("flags, seed", [([], 42), (["--set", "run.seed=7"], 7), (["--seed", "9"], 9),
                                         (["--set", "run.seed=7", "--seed", "9"], 9)])
def test_causal_and_validate_seed_is_run_seed(monkeypatch, tmp_path, flags, seed):
    import pandas as pd

    import segtarget.causal.validation.scoring as validation
    import segtarget.table_analysis as ate_pipeline

    csv = tmp_path / "units.csv"
    pd.DataFrame({"t": [0, 1] * 10, "y": np.arange(20.0), "x": np.arange(20.0) % 3}).to_csv(csv, index=False)
    got_causal, got_validate = {}, {}
    monkeypatch.setattr(ate_pipeline, "analyze_table", _stop_with(got_causal))
    monkeypatch.setattr(validation, "run_validation", _stop_with(got_validate))
    monkeypatch.setattr(validation, "default_covariates", lambda: pd.DataFrame({"x": np.arange(20.0)}))
    _invoke("causal", "--input", str(csv), "--treatment", "t", "--outcome", "y", "--out", str(tmp_path / "o"), *flags)
    _invoke("validate", "--out", str(tmp_path / "v"), *flags)
    assert got_causal["args"][5] == seed  # analyze_table(df, treatment, outcomes, covariates, id_col, seed, ...)
    assert got_validate["seed"] == seed


def test_the_python_api_caches_only_when_asked():
    from segtarget.config import RunConfig

    assert RunConfig().caching is False  # a notebook's segtarget.run(cfg) writes no cache by default
    assert RunConfig(cache_dir="/somewhere").caching is True  # an explicit cache path asks for it
    assert RunConfig(use_cache=True).caching is True  # so does run.use_cache (the per-user cache)
    assert RunConfig(use_cache=False, cache_dir="/somewhere").caching is False
    assert load_config(None, ["run.use_cache=true"]).run.caching is True

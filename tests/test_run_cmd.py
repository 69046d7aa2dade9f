"""cli/run_cmd.py: ``segtarget run`` keeps using the step cache by default, ``--no-cache`` switches it off."""

import pytest
from typer.testing import CliRunner

import segtarget.pipeline
from segtarget.cli import app
from segtarget.errors import SegtargetError


@pytest.mark.parametrize("flags, caching", [([], True), (["--no-cache"], False),
                                            (["--set", "run.use_cache=false"], False)])
def test_the_command_caches_unless_told_not_to(monkeypatch, tmp_path, flags, caching):
    seen = {}

    def fake_run(cfg, **kwargs):
        seen["cfg"] = cfg
        raise SegtargetError("stopped before computing")

    monkeypatch.setattr(segtarget.pipeline, "run", fake_run)
    result = CliRunner().invoke(app, ["run", "--quiet", "--out", str(tmp_path / "out"), *flags])
    assert "stopped before computing" in str(result.exception)
    assert seen["cfg"].run.caching is caching

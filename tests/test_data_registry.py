"""The data-source registry: the built-in rows, spec parsing, registration from outside, the help text."""

from __future__ import annotations

import pytest

from fixtures_retail import canonical_frames
from segtarget.config import DataConfig
from segtarget.data import load_source
from segtarget.data.registry import (BUILTIN_NAMES, DataSource, find_source, register_source, source_help,
                                     source_specs, unregister_source)
from segtarget.errors import SegtargetError


def register_frames(con):
    """A source without a path: the hand-made canonical frames, registered as DuckDB views."""
    f = canonical_frames()
    con.register("frames_transactions", f["transactions"])
    con.register("products", f["products"])
    con.execute("CREATE VIEW raw_transactions AS SELECT * FROM frames_transactions")
    return {}


@pytest.fixture
def frames():
    source = register_source(DataSource("frames", register_frames, takes_path=False))
    yield source
    unregister_source("frames")


def test_builtin_sources_and_help():
    assert BUILTIN_NAMES == ("completejourney", "dunnhumby", "tables")
    assert source_help() == "completejourney | dunnhumby:PATH | tables:PATH"
    source, path = find_source("dunnhumby:~/dh")
    assert source.name == "dunnhumby" and path.is_absolute()  # ~ expanded
    assert find_source("completejourney") == (find_source("completejourney")[0], None)


@pytest.mark.parametrize("spec", ["nonsense", "dunnhumby", "tables:", "completejourney:/x", "parquet:/x", ""])
def test_bad_specs_list_the_choices(spec):
    with pytest.raises(SegtargetError, match="not recognised; use one of: completejourney, dunnhumby:PATH, "
                                             "tables:PATH"):
        find_source(spec)
    with pytest.raises(SegtargetError, match="data.source must be one of completejourney"):
        DataConfig(source=spec)


def test_registered_source_loads_validates_and_shows_in_help(frames):
    assert source_specs()[-1] == "frames" and source_help().endswith("| frames")
    assert DataConfig(source="frames").source == "frames"
    tables = load_source("frames")
    assert tables.overview()["households"].iloc[0] == 2 and tables.source == "frames"
    assert set(tables.quality["check"]) >= {"product_id not in products"}
    with pytest.raises(SegtargetError, match="frames"):
        load_source("frames:/somewhere")  # takes no path


def test_registered_source_fingerprint_changes_with_its_registration(frames):
    first = load_source("frames").fingerprint
    assert load_source("frames").fingerprint == first
    register_source(DataSource("frames", register_frames, takes_path=False), replace=True)
    assert load_source("frames").fingerprint != first  # its code is outside the package hash: no stale cache


def test_registered_source_type_check_names_the_column(frames):
    def register_bad(con):
        register_frames(con)
        con.execute("CREATE OR REPLACE VIEW raw_transactions AS SELECT * REPLACE ('x' AS quantity) "
                    "FROM frames_transactions")
        return {}

    register_source(DataSource("frames", register_bad, takes_path=False), replace=True)
    with pytest.raises(SegtargetError, match="column 'quantity' has value 'x'"):
        load_source("frames")


def test_registration_rules(frames):
    with pytest.raises(SegtargetError, match="already registered; pick another name or pass replace=True"):
        register_source(DataSource("frames", register_frames))
    with pytest.raises(SegtargetError, match="already registered; pick another name$"):
        register_source(DataSource("tables", register_frames), replace=True)
    with pytest.raises(SegtargetError, match="lower-case letters"):
        DataSource("My Source", register_frames)
    with pytest.raises(SegtargetError, match="built in"):
        unregister_source("completejourney")
    unregister_source("frames")
    with pytest.raises(SegtargetError, match="not recognised"):
        load_source("frames")


def test_cli_help_texts_read_the_registry():
    from pathlib import Path

    from typer.testing import CliRunner

    import segtarget.cli as cli

    written = [p.name for p in Path(cli.__file__).parent.glob("*.py") if "dunnhumby:PATH" in p.read_text()]
    assert written == [], "spell the sources with data.registry.source_help(), not by hand"
    out = CliRunner().invoke(cli.app, ["features", "--help"], env={"COLUMNS": "200"}).output
    assert source_help() in out

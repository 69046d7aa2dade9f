"""The public API: every exported name resolves, imports stay lazy, the IDE imports match the table."""

import ast
import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import segtarget

HEAVY = ("econml", "lightgbm", "matplotlib", "sklearn", "scipy", "duckdb")
PACKAGES = sorted(segtarget.PUBLIC)


def test_import_segtarget_loads_no_heavy_library():
    code = ("import sys, segtarget, segtarget.causal, segtarget.policy, segtarget.segments; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_accessing_one_name_imports_only_what_it_needs():
    code = "import sys, segtarget; segtarget.load_config; print('sklearn' in sys.modules, 'econml' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_resolves(package):
    module = importlib.import_module(package)
    assert sorted(module.__all__) == sorted(segtarget.PUBLIC[package])
    for name in module.__all__:
        value = getattr(module, name)
        target_module, _, attr = segtarget.PUBLIC[package][name].partition(":")
        assert value is getattr(importlib.import_module(target_module), attr), name
        assert name in dir(module)


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        segtarget.nope  # noqa: B018
    assert not hasattr(segtarget.causal, "nope")


def test_top_level_reexports_are_the_package_objects():
    assert segtarget.SegmentModel is segtarget.segments.SegmentModel
    assert segtarget.CateModel is segtarget.causal.CateModel
    assert segtarget.policy_value is segtarget.policy.policy_value
    assert callable(segtarget.run) and "cfg" in inspect.signature(segtarget.run).parameters


def _typing_imports(package: str) -> dict[str, str]:
    """name -> 'module:attr' that IDEs see: the root's __init__.pyi stub (the root imports no stage, see
    tests/test_layout.py), or the ``if TYPE_CHECKING:`` imports of a stage package's __init__.py."""
    init = Path(importlib.import_module(package).__file__)
    if package == "segtarget":
        nodes = ast.parse(init.with_suffix(".pyi").read_text()).body
    else:
        nodes = [imp for node in ast.parse(init.read_text()).body
                 if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING" for imp in node.body]
    found = {}
    for imp in nodes:
        if isinstance(imp, ast.ImportFrom) and imp.level:
            module = package + ("." + imp.module if imp.module else "")
            for alias in imp.names:
                found[alias.asname or alias.name] = f"{module}:{alias.name}"
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_ide_imports_match_the_table(package):
    module = importlib.import_module(package)
    seen = _typing_imports(package)
    assert sorted(seen) == sorted(segtarget.PUBLIC[package])
    for name, target in seen.items():
        mod, _, attr = target.partition(":")
        assert getattr(importlib.import_module(mod), attr) is getattr(module, name), name


def test_root_stub_all_matches_the_table():
    tree = ast.parse((Path(segtarget.__file__).with_suffix(".pyi")).read_text())
    stub_all = next(n.value for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "__all__")
    assert sorted(ast.literal_eval(stub_all)) == sorted(segtarget.__all__)


OLD_NAMES = {"seed": "random_state", "clusters": "groups", "level": "alpha", "conf": "alpha"}


@pytest.mark.parametrize("package", PACKAGES)
def test_public_signatures_speak_one_vocabulary(package):
    """random_state for a seed, groups for the household (cluster) ids, alpha for an interval's level."""
    module = importlib.import_module(package)
    found = []
    for name in module.__all__:
        obj = getattr(module, name)
        targets = [obj.__init__] if inspect.isclass(obj) else [obj] if callable(obj) else []
        if inspect.isclass(obj):
            targets += [m for m in vars(obj).values() if inspect.isfunction(m) and not m.__name__.startswith("_")]
        for func in targets:
            try:
                params = inspect.signature(func).parameters
            except (TypeError, ValueError):
                continue
            found += [f"{name}.{func.__name__}({p}=): use {OLD_NAMES[p]}=" for p in params if p in OLD_NAMES]
    assert not found, found

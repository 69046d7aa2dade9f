"""Package layout: every module imports on its own, no import cycles, stages only import downwards."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# Lowest first. A module may import its own stage and any lower one, never a higher one. The first match of
# a module's dotted name (longest prefix) decides its stage; report.section is the plain data type every
# stage builds its report blocks from and report.format the one way to write money and percentages in them,
# so both sit with the helpers.
STAGES = [
    ("base", ["segtarget", "segtarget.errors", "segtarget.io", "segtarget.stats", "segtarget.plotting",
              "segtarget.threads", "segtarget.parallel", "segtarget.deprecation",
              "segtarget._ray_backend", "segtarget.scale", "segtarget.cache", "segtarget.report.section",
              "segtarget.registry", "segtarget.report.format"]),
    ("data", ["segtarget.data", "segtarget.synth"]),
    ("features", ["segtarget.features"]),
    ("segments", ["segtarget.segments"]),
    ("causal", ["segtarget.causal"]),
    ("policy", ["segtarget.policy"]),
    ("report", ["segtarget.report"]),
    ("pipeline", ["segtarget.config", "segtarget.decision", "segtarget.table_analysis", "segtarget.steps",
                  "segtarget.pipeline"]),
    ("cli", ["segtarget.cli"]),
]


def module_name(path: Path, src: Path = SRC) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules(src: Path = SRC) -> dict[str, Path]:
    return {module_name(p, src): p for p in sorted((src / "segtarget").rglob("*.py"))}


def stage_of(module: str) -> int:
    best, rank = -1, None
    for i, (_, prefixes) in enumerate(STAGES):
        for pre in prefixes:
            # the package itself is its own entry: as a prefix it would swallow every unlisted module
            inside = module == pre or (pre != "segtarget" and module.startswith(pre + "."))
            if inside and len(pre) > best:
                best, rank = len(pre), i
    if rank is None:
        raise AssertionError(f"{module}: no stage in tests/test_layout.py STAGES; add it")
    return rank


def imports_of(module: str, path: Path, modules: set[str]) -> set[str]:
    """Every package module ``module`` imports anywhere in its source (top level, functions, TYPE_CHECKING)."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from pkg import name` imports the module pkg.name when there is one, else pkg itself
            targets = [f"{target}.{a.name}" if f"{target}.{a.name}" in modules else target for a in node.names]
        else:
            continue
        found |= {t for t in targets if t in modules and t != module}
    return found


def import_graph(src: Path = SRC) -> dict[str, set[str]]:
    mods = all_modules(src)
    return {m: imports_of(m, p, set(mods)) for m, p in mods.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path [a, b, ..., a], or None (iterative DFS with colours)."""
    state: dict[str, int] = {}
    for root in sorted(graph):
        if state.get(root):
            continue
        stack, path = [(root, iter(sorted(graph[root])))], [root]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(child) == 1:
                return path[path.index(child):] + [child]
            elif not state.get(child):
                state[child] = 1
                stack.append((child, iter(sorted(graph[child]))))
                path.append(child)
    return None


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{m} ({STAGES[stage_of(m)][0]}) imports {d} ({STAGES[stage_of(d)][0]})"
                  for m, deps in graph.items() for d in deps if stage_of(d) > stage_of(m))


def test_no_import_cycles():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_stages_import_only_downwards():
    assert upward_imports(import_graph()) == []


def test_every_module_has_a_stage():
    for m in all_modules():
        stage_of(m)


def test_checks_catch_a_planted_cycle_and_an_upward_import(tmp_path):
    pkg = tmp_path / "segtarget"
    (pkg / "causal").mkdir(parents=True)
    (pkg / "policy").mkdir()
    for init in (pkg, pkg / "causal", pkg / "policy"):
        (init / "__init__.py").write_text("")
    (pkg / "causal" / "a.py").write_text("def f():\n    from ..policy import b\n")
    (pkg / "causal" / "c.py").write_text("from . import a\n")
    (pkg / "policy" / "b.py").write_text("from segtarget.causal.c import x\n")
    graph = import_graph(tmp_path)
    assert graph["segtarget.causal.a"] == {"segtarget.policy.b"}
    assert find_cycle(graph) is not None
    assert upward_imports(graph) == ["segtarget.causal.a (causal) imports segtarget.policy.b (policy)"]


def report_builder_problems(src: Path = SRC) -> list[str]:
    """Public ``*_sections`` functions of the stages that break the report convention of docs/architecture.md:
    they live in the stage's ``report.py`` as ``<result>_sections(result, out, *, options) -> list[Section]``."""
    problems = []
    for module, path in all_modules(src).items():
        if module.startswith("segtarget.report"):  # the renderer, which reads sections
            continue
        for node in ast.parse(path.read_text(), str(path)).body:
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_") or not node.name.endswith(
                    "_sections"):
                continue
            a = node.args
            if path.name != "report.py":
                problems.append(f"{module}.{node.name}: not in the stage's report.py")
            if len(a.posonlyargs + a.args) != 2 or a.args[1].arg != "out" or a.vararg or a.kwarg:
                problems.append(f"{module}.{node.name}: positional parameters must be (result, out)")
            if (ast.unparse(node.returns) if node.returns else "") != "list[Section]":
                problems.append(f"{module}.{node.name}: must return list[Section]")
    return sorted(problems)


def test_report_builders_follow_one_convention(tmp_path):
    assert report_builder_problems() == []
    pkg = tmp_path / "segtarget" / "policy"
    pkg.mkdir(parents=True)
    (pkg / "sections.py").write_text("def policy_sections(res, cfg, out) -> Section:\n    pass\n")
    assert report_builder_problems(tmp_path) == [
        "segtarget.policy.sections.policy_sections: must return list[Section]",
        "segtarget.policy.sections.policy_sections: not in the stage's report.py",
        "segtarget.policy.sections.policy_sections: positional parameters must be (result, out)"]


ISOLATED = """
import importlib, sys
failed = []
for name in sys.argv[1:]:
    for m in [m for m in sys.modules if m == "segtarget" or m.startswith("segtarget.")]:
        del sys.modules[m]
    try:
        importlib.import_module(name)
    except Exception as exc:  # report every module that fails, not just the first
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_every_module_imports_on_its_own():
    proc = subprocess.run([sys.executable, "-c", ISOLATED, *all_modules()], capture_output=True, text=True,
                          env={"PYTHONPATH": str(SRC), "PATH": ""}, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr



def test_the_shared_z_value_is_the_normal_quantile():
    from scipy.stats import norm

    from segtarget.stats import Z95

    assert Z95 == norm.ppf(0.975)

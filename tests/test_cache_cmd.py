"""The ``segtarget cache`` command, run as a user would: where the cache is, what it holds, and --clear."""

import os
import subprocess
import sys

from segtarget.cache import StageCache

KEY = "0123456789abcdef0123"


def _run(*args, home):
    env = {**os.environ, "XDG_CACHE_HOME": str(home / "xdg")}
    env.pop("SEGTARGET_DEBUG", None)
    code = "import sys; from segtarget.cli import main; sys.argv = ['segtarget'] + sys.argv[1:]; main()"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=home, env=env, capture_output=True, text=True,
                          timeout=120)


def test_path_summary_and_clear(tmp_path):
    default = tmp_path / "xdg" / "segtarget"
    r = _run("cache", "--path", home=tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == str(default) and not default.exists()  # --path creates nothing
    StageCache(default).run("features", KEY, lambda: list(range(100)))
    r = _run("cache", home=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith(f"cache: {default}: 1 cached steps") and "--clear" in r.stdout
    r = _run("cache", "--clear", home=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("removed 1 cached steps") and list(default.iterdir()) == []
    # the configured directory wins over the default, as in `segtarget run`
    r = _run("cache", "--path", "--set", f"run.cache_dir='{tmp_path / 'mine'}'", home=tmp_path)
    assert r.stdout.strip() == str(tmp_path / "mine")
    assert not (tmp_path / ".segtarget-cache").exists()  # nothing in the working directory


def test_help_names_the_cache_and_how_to_clear_it(tmp_path):
    top = _run("--help", home=tmp_path).stdout
    assert "cache" in top
    run_help = _run("run", "--help", home=tmp_path).stdout
    assert "--no-cache" in run_help and "segtarget cache --path" in " ".join(run_help.replace("│", " ").split())
    cache_help = " ".join(_run("cache", "--help", home=tmp_path).stdout.replace("│", " ").split())
    assert "--clear" in cache_help and "~/.cache/segtarget" in cache_help

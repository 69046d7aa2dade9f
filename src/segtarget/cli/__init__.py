"""The ``segtarget`` command line (Typer + Rich).

Each command lives in its own module and registers itself on :data:`app` (:mod:`.root`). ``main`` turns every
:class:`~segtarget.errors.SegtargetError` into one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import os
import sys

import typer

from .root import app

# Command modules register themselves on `app` when imported.
from . import features_cmd  # noqa: F401
from . import synth_cmd  # noqa: F401
from . import segment_cmd  # noqa: F401
from . import migrate_cmd  # noqa: F401
from . import run_cmd  # noqa: F401
from . import abtest_cmd  # noqa: F401
from . import config_cmd  # noqa: F401
from . import causal_cmd  # noqa: F401
from . import validate_cmd  # noqa: F401
from . import cohort_cmd  # noqa: F401
from . import cache_cmd  # noqa: F401


def main() -> None:
    from ..errors import SegtargetError
    from ..registry import load_plugins

    try:
        load_plugins(os.environ.get("SEGTARGET_PLUGINS", ""))  # data sources and CATE learners of your own
        app(standalone_mode=False)
    except SegtargetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", getattr(exc, "code", 0))
        sys.exit(code if isinstance(code, int) else 1)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # click usage errors and anything unexpected: one line, no traceback
        # Typer vendors click; its usage errors carry format_message() and an exit code.
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            print(f"error: {exc.format_message()}", file=sys.stderr)
            sys.exit(exc.exit_code or 2)
        if os.environ.get("SEGTARGET_DEBUG"):
            raise
        print(f"error: internal {type(exc).__name__}: {exc} (set SEGTARGET_DEBUG=1 for the traceback)",
              file=sys.stderr)
        sys.exit(1)

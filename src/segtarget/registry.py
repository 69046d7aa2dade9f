"""A named table of extension rows (data sources, CATE learners): built-in rows plus rows registered at run time.

Each extension point keeps one :class:`Registry` (``data/registry.py``, ``causal/cate/registry.py``); the
stages read their rows from it, never a list of their own. Registered rows live in the Python process that
registered them.
"""

from __future__ import annotations

import itertools
import secrets
from typing import Any, Iterable

from .errors import SegtargetError

# Registered rows run code outside the package, whose hash keys the step cache (cache.code_hash): a step that
# uses one is keyed by this process and the registration, so it is recomputed in a new process or after a
# re-registration rather than read back from results of other code.
_PROCESS = secrets.token_hex(8)
_SERIAL = itertools.count()


class Registry:
    """Rows with a ``name`` attribute, the ``builtin`` ones first and permanent. ``what`` names a row in
    messages ("data source", "CATE learner"), ``add_with`` the function users register rows with."""

    def __init__(self, what: str, row_type: type, builtin: Iterable[Any], add_with: str):
        self.what, self.row_type, self.add_with = what, row_type, add_with
        self.rows: dict[str, Any] = {row.name: row for row in builtin}
        self.builtin = tuple(self.rows)
        self._serials: dict[str, int] = {}

    def register(self, row, *, replace: bool = False):
        """Add ``row``; a taken name is refused unless ``replace`` (built-in rows are never replaced)."""
        if not isinstance(row, self.row_type):
            raise SegtargetError(f"{self.add_with}: expected a {self.row_type.__name__}, got {type(row).__name__}")
        if row.name in self.builtin or (row.name in self.rows and not replace):
            raise SegtargetError(f"{self.what} '{row.name}' is already registered; pick another name"
                                 + ("" if row.name in self.builtin else " or pass replace=True"))
        self.rows[row.name] = row
        self._serials[row.name] = next(_SERIAL)
        return row

    def unregister(self, name: str) -> None:
        """Remove a registered row (built-ins stay)."""
        if name in self.builtin:
            raise SegtargetError(f"{self.what} '{name}' is built in and cannot be removed")
        self.rows.pop(name, None)
        self._serials.pop(name, None)

    def added(self) -> tuple:
        """The registered (not built-in) rows, in registration order."""
        return tuple(row for name, row in self.rows.items() if name not in self.builtin)

    def cache_token(self, names: Iterable[str]) -> str:
        """Part of a cache key for a step that uses ``names``: empty when all are built in (module comment)."""
        added = sorted(n for n in names if n in self.rows and n not in self.builtin)
        return f"{_PROCESS}:" + ",".join(f"{n}#{self._serials[n]}" for n in added) if added else ""


def load_plugins(modules: str) -> tuple[str, ...]:
    """Import the comma-separated ``modules`` (the CLI passes ``$SEGTARGET_PLUGINS``); each registers its sources or
    learners on import, so ``segtarget`` commands accept them like the built-ins. Returns the modules imported."""
    import importlib

    names = tuple(m.strip() for m in modules.split(",") if m.strip())
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise SegtargetError(f"SEGTARGET_PLUGINS: cannot import '{name}' ({exc}); put its folder on PYTHONPATH "
                                 "or install it") from None
    return names

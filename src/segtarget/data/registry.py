"""The data-source registry: one row per input layout, read by ``load_source``, ``DataConfig`` and the CLI help.

A source is written ``NAME`` or ``NAME:PATH`` (``completejourney``, ``dunnhumby:PATH``, ``tables:PATH``). Its
:class:`DataSource` row names the function that maps that layout onto the raw canonical views (see
``sources.py``); ``load_source`` then types, validates and cleans them the same way for every source. A layout
defined outside the package is added with :func:`register_source` and can then be named in ``data.source``
or ``--data`` (docs/architecture.md has a worked example).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import SegtargetError
from ..registry import Registry
from .sources import register_completejourney, register_dunnhumby, register_tables


@dataclass(frozen=True)
class DataSource:
    """One input layout.

    ``register(con, path)`` (``register(con)`` when ``takes_path`` is false) creates on the DuckDB connection
    the views ``raw_transactions`` (the canonical transaction columns without ``day``/``week``) and
    ``products``, plus any of ``households``, ``campaigns``, ``campaign_members``, ``coupons``,
    ``redemptions``, ``raw_promotions`` it has, and returns ``{table: file}`` of the files it read (their sizes
    and times fingerprint the input; the validation report names them).
    """

    name: str  # the spec's prefix: lower-case letters, digits, _ and -
    register: Callable[..., dict[str, Path]]
    takes_path: bool = True  # written NAME:PATH (PATH given to register, ~ expanded) rather than NAME
    check_types: bool = True  # check each column's type at load; false only for typed files shipped with a package

    def __post_init__(self):
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", str(self.name)):
            raise SegtargetError(f"data source name {self.name!r}: use lower-case letters, digits, _ and -")
        if not callable(self.register):
            raise SegtargetError(f"data source '{self.name}': register must be a function")

    @property
    def spec(self) -> str:
        """How the source is written: ``NAME`` or ``NAME:PATH``."""
        return f"{self.name}:PATH" if self.takes_path else self.name


BUILTIN = (
    DataSource("completejourney", register_completejourney, takes_path=False, check_types=False),
    DataSource("dunnhumby", register_dunnhumby),
    DataSource("tables", register_tables),
)
BUILTIN_NAMES = tuple(source.name for source in BUILTIN)

_REGISTRY = Registry("data source", DataSource, BUILTIN, "register_source")


def register_source(source: DataSource, *, replace: bool = False) -> DataSource:
    """Add ``source`` so ``data.source`` / ``--data`` may name it; a taken name is refused unless ``replace``
    (built-in sources are never replaced)."""
    return _REGISTRY.register(source, replace=replace)


def unregister_source(name: str) -> None:
    """Remove a source added with :func:`register_source` (built-ins stay)."""
    _REGISTRY.unregister(name)


def source_specs() -> tuple[str, ...]:
    """How every registered source is written, built-ins first: ``("completejourney", "dunnhumby:PATH", ...)``."""
    return tuple(source.spec for source in _REGISTRY.rows.values())


def source_help() -> str:
    """The ``--data`` help text of every command: the registered sources."""
    return " | ".join(source_specs())


def find_source(spec: str) -> tuple[DataSource, Path | None]:
    """The row ``spec`` names and its path (None for a source without one); an unknown or malformed spec is a
    one-line error listing the registered sources."""
    name, colon, arg = str(spec).partition(":")
    source = _REGISTRY.rows.get(name)
    if source is None or source.takes_path != bool(arg) or (colon and not arg):
        raise SegtargetError(f"data source {str(spec)!r} is not recognised; use one of: {', '.join(source_specs())}")
    return source, (Path(arg).expanduser() if source.takes_path else None)


def cache_token(source: DataSource) -> str:
    """Part of the input fingerprint: a registered source runs code the package hash does not cover."""
    return _REGISTRY.cache_token([source.name])


def is_source(spec: str) -> bool:
    """Whether ``spec`` names a registered source (config validation; nothing is read)."""
    try:
        find_source(spec)
    except SegtargetError:
        return False
    return True

"""Old keyword names of the public API, kept working for a while.

The public functions speak one vocabulary: ``random_state`` for a seed, ``groups`` for the household (cluster)
id of each unit, ``alpha`` for the level of an interval. Keywords renamed to that vocabulary (``seed``,
``clusters``) still work through :func:`renamed_keywords`, with a ``DeprecationWarning`` that names the new
keyword; passing both the old and the new name is a one-line error.
"""

from __future__ import annotations

import functools
import warnings
from typing import Callable

from .errors import SegtargetError


def renamed_keywords(**renames: str) -> Callable:
    """Decorator: ``old=new`` pairs; a call with ``old=`` is passed on as ``new=`` with a DeprecationWarning."""
    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            for old, new in renames.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise SegtargetError(f"{func.__name__}: pass {new}= only ({old}= is its old name)")
                warnings.warn(f"{func.__name__}({old}=...) is deprecated; use {new}=", DeprecationWarning,
                              stacklevel=2)
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper

    return decorate

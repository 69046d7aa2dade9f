"""User-facing errors.

Anything the user can fix (a missing file, a wrong column, a bad parameter) raises :class:`SegtargetError`
with one line that names the file, column or parameter and says how to fix it. The CLI prints that line
and exits with code 2, without a traceback.
"""

from __future__ import annotations


class SegtargetError(Exception):
    """An input or configuration problem the user can fix; the message is shown as one line."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


def require(condition: bool, message: str) -> None:
    """Raise :class:`SegtargetError` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise SegtargetError(message)

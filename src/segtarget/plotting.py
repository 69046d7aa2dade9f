"""One place that sets up matplotlib for every stage's figures."""

from __future__ import annotations


def pyplot():
    """pyplot on the non-interactive Agg backend: figures are only ever written to files, and a run on a server
    (or in a subprocess of a test) has no display. Imported lazily so the CLI starts without matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt

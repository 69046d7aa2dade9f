"""The HTML report: sections produced by each stage, rendered by one Jinja2 template."""

from .section import Figure, Section, Table, Text

__all__ = ["Figure", "Section", "Table", "Text"]

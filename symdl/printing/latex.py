"""The LaTeX printer: one class that prints whatever it is given (a Backprop, a Derivation, a
Network, a worked Solution and its Report, an exercise sheet) as an ``article`` or as a fragment to
paste into one's own notes, as SymPy's printers do, dispatching on the class name (``_print_Backprop``).

Every piece of user text reaches TeX through :mod:`symdl.printing.texsafe`:
expressions and names via ``latex_of``, prose (rules, notes, the title) via
``tex_escape``. So a symbol named ``\\input{/etc/passwd}`` prints as text and is
never executed. The printer reads the Derivation and the annotated Graph; the
only arithmetic it does is the per-edge product of the backward-pass table.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.printing.printer import Printer

from symdl import graph as graphs
from symdl.derivation import Derivation, Step
from symdl.printing import latex_layout as layout
from symdl.printing.latex_tables import array_cell, backprop_tables, node_name
from symdl.printing.latex_worksheets import WorksheetLatex
from symdl.printing.texsafe import latex_of, tex_escape, tex_number

SHORT_NOTE = 50  # characters; a longer note would push the equation off the page, so only the rule shows
TITLE = 40  # rough characters of a title line in large type


class LatexPrinter(WorksheetLatex, Printer):
    """Documents and fragments: ``fragment`` drops the article (its headings run into the text),
    ``tikz`` is the circuit drawn above a backward pass or a worked solution, ``report`` the checked
    claims below a solution."""

    _default_settings = {"fragment": False, "tikz": None, "report": None}

    def _print_Basic(self, expr: sp.Basic) -> str:
        return latex_of(expr)

    def _print_list(self, parts: list) -> str:
        """Several objects in one document, each under its own heading."""
        return "\n".join(self._print(p) for p in parts)

    def _heading(self, text: str) -> str:
        return f"\\paragraph*{{{text}}}" if self._settings["fragment"] else f"\\section*{{{text}}}"

    def _circuit(self) -> list[str]:
        tikz = self._settings["tikz"]
        return [] if tikz is None else [layout.circuit(self._heading("Circuit"), tikz.strip())]

    # --- derivations -------------------------------------------------------------------------------
    def _print_Derivation(self, d: Derivation) -> str:
        """The derivative and its result, what its letters abbreviate, then the rule tree that gives it."""
        d = d.as_written()
        where = [f"\\noindent where ${latex_of(a.letter)} = {latex_of(a.vector)}$\\par" for a in d.abbreviations]
        return "\n".join([self._heading(f"Derivative with respect to ${latex_of(d.wrt)}$"),
                          layout.equation(sp.Derivative(d.expression, d.wrt), d.result), *where,
                          *(self._print_Step(root, str(i)) for i, root in enumerate(d.tree, 1))])

    def _print_Step(self, step: Step, number: str = "1") -> str:
        """A rule as a paragraph of its own, indented by its depth, with its general formula; then the
        equation it gives in an ``align*`` of its own (one block for all would share one alignment
        column, as wide as the widest left side plus the widest right side), its sub-steps, and the
        equation with the result they give."""
        title = f"{number}.\\ \\textbf{{{tex_escape(step.rule)}}}"
        if step.formula is not None:
            general = latex_of(step.formula[0], order="none"), latex_of(step.formula[1], order="none")
            title += f": ${general[0]} = {general[1]}$"
        if step.parts:
            title += ", with " + ", ".join(f"${latex_of(k)} = {latex_of(v)}$" for k, v in step.parts)
        if step.note and len(step.note) <= SHORT_NOTE:
            title += f". {tex_escape(step.note)}"
        indent = f"{1.2 * number.count('.'):.1f}em"  # every line of the paragraph, not only the first
        lines = [f"{{\\raggedright\\leftskip={indent}\\noindent {title}\\par}}\\nopagebreak",  # ragged: breaks
                 # before a formula; the rule keeps to its equation, as a heading to what follows it
                 layout.equation(step.lhs, step.rhs)]
        lines += [self._print_Step(sub, f"{number}.{i}") for i, sub in enumerate(step.substeps, 1)]
        if step.result is not None:
            lines.append(layout.equation(step.lhs, step.result))
        return "\n".join(lines)

    def _title_Derivation(self, d: Derivation) -> str:
        """The derivative, typeset; a long one (a title line does not break) by its variable."""
        derivative = latex_of(sp.Derivative(d.expression, d.wrt))
        return f"${derivative}$" if layout.width(derivative) <= TITLE else \
            f"The derivative with respect to ${latex_of(d.wrt)}$"

    def _title_list(self, parts: list) -> str:
        return next((self._title_Derivation(p) for p in parts if isinstance(p, Derivation)), "")

    # --- backward passes ---------------------------------------------------------------------------
    def _print_Backprop(self, r) -> str:
        """The circuit, the expression at the point, and the backward pass's tables."""
        g = r.graph
        point = ", ".join(f"${node_name(g, n)} = {tex_number(v)}$" for n, v in r.point.items())
        return "\n".join([*self._circuit(), self._heading("Backward pass"),
                          f"\\[ {node_name(g, r.output)} = {latex_of(g.graph['expression'])} \\]",
                          f"at {point}.", backprop_tables(r)])

    def _print_Network(self, network) -> str:
        """A network's arrays in full, the table below its circuit: each node's shape, value and gradient,
        the gradient on a row of its own (two matrices side by side would not fit the page)."""
        g = network.graph
        out = g.graph.get("output")
        gradient = f"$\\partial {node_name(g, out)}/\\partial$\\,node" if out else "gradient"
        rows = []
        for node in graphs.topological_order(g):
            data = g.nodes[node]
            shape = "\\times".join(map(str, data["shape"])) or "1"
            rows.append(f"${node_name(g, node)}$ & ${shape}$ & value & {array_cell(data['value'])}")
            if data.get("grad") is not None:
                rows.append(f" & & {gradient} & {array_cell(data['grad'])}")
        return "\n".join([*self._circuit(), self._heading("Arrays"),
                          layout.long_table("lrll", ["node", "shape", "", "array"], rows)])



def step_lines(d: Derivation) -> list[str]:
    """One ``lhs &= rhs && \\text{rule}`` line per step, for MathJax's ``aligned`` in a notebook."""
    d = d.as_written()
    steps = d.steps or [Step(sp.Derivative(d.expression, d.wrt), d.result, "result")]
    return [f"{latex_of(s.lhs)} &= {latex_of(s.rhs)} && \\text{{{_reason(s)}}}" for s in steps]


def _reason(step: Step) -> str:
    short = step.note and len(step.note) <= SHORT_NOTE
    return tex_escape(f"{step.rule}: {step.note}" if short else step.rule)


def latex(obj: Any, *, fragment: bool = False, title: str | None = None, **settings) -> str:
    """``obj`` (or a list of them) as a complete ``article`` that pdflatex, xelatex and lualatex compile
    without shell escape, titled ``title`` (text) or by what it prints (a derivative, typeset as
    mathematics); with ``fragment``, the parts alone, the packages they need named in the first line."""
    printer = LatexPrinter({"fragment": fragment, **settings})
    body = printer.doprint(obj)
    tikz = "\\begin{tikzpicture}" in body
    if fragment:
        return layout.fragment([body], tikz=tikz)
    titled = getattr(printer, f"_title_{type(obj).__name__}", lambda _: "")
    return layout.article(tex_escape(title) if title is not None else titled(obj), [body], tikz=tikz)

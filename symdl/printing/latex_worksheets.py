"""The LaTeX printer's pages for problem files: a worked solution, its checked claims, and an
exercise sheet of drawn variants (questions, or the answer key).

The methods are mixed into :class:`symdl.printing.latex.LatexPrinter`, the one LaTeX printer, which
dispatches on the class name (``_print_Solution``); they call back into it for the work itself
(a Backprop's tables, a Network's arrays, a Derivation's rule tree).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Optional

import numpy as np
import sympy as sp

from symdl import graph as graphs
from symdl import ops
from symdl.backprop import Backprop
from symdl.derivation import Derivation
from symdl.parsing import symbol
from symdl.printing import latex_layout as layout
from symdl.printing.latex_tables import backprop_tables, node_name
from symdl.printing.texprose import prose_paragraph, prose_tex
from symdl.printing.texsafe import latex_of, tex_escape, tex_number


@dataclasses.dataclass
class ExerciseSheet:
    """Drawn variants of one problem as one sheet: the questions, with the circuit ``circuit`` drawn
    without numbers, or the answer key."""

    title: str
    variants: list
    answers: bool
    circuit: Optional[str] = None


class WorksheetLatex:
    """``_print_Solution``, ``_print_Report`` and ``_print_ExerciseSheet`` of the LaTeX printer."""

    def _print_Solution(self, solution) -> str:
        """What is given, the circuit, the backward-pass tables or the derivation, every worked step,
        and the student's claims checked (the ``report`` setting)."""
        problem, work = solution.problem, solution.work
        body = [prose_paragraph(f"Source: {problem.source}")] if problem.source else []
        given = {q.key: q.value for q in solution.quantities.values() if q.kind == "given"}
        if given:
            body.append(_given(given, quantity_name))  # a sentence that begins "Given": no heading to repeat it
        if isinstance(work, Backprop) and solution.values_only:
            body += [*self._circuit(), tex_escape(solution.values_only)]
        elif isinstance(work, Backprop):
            body += [*self._circuit(), self._heading("Backward pass"), backprop_tables(work)]
        else:  # a network (its circuit shows summaries, its table every array) or a derivation
            body.append(self._print(work))
        body += [self._heading("Worked steps"), worksheet_steps(solution)]
        if problem.notes:
            body.append(prose_paragraph(problem.notes))
        if self._settings["report"] is not None:
            body.append(self._print(self._settings["report"]))
        return "\n".join(body)

    def _title_Solution(self, solution) -> str:
        return prose_tex(solution.problem.title)

    def _print_Report(self, report) -> str:
        if not report.verdicts:
            return ""
        items = "\n".join(map(_verdict, report.verdicts))
        claims = f"\\begin{{itemize}}\\raggedright\n{items}\n\\end{{itemize}}"  # a long array's text breaks early
        return "\n".join([self._heading("The claims, checked"), claims])

    def _print_ExerciseSheet(self, sheet: ExerciseSheet) -> str:
        """One section per variant. The question states the problem (what is computed, the circuit
        drawn without numbers, the point) and what to find; the answer key, the values."""
        body = []
        if sheet.circuit is not None and sheet.variants and not sheet.answers:
            body.append(layout.circuit(self._heading("The circuit"), sheet.circuit.strip()))
        for v in sheet.variants:
            body += [self._heading(f"Exercise {v.number}"), _statement(v.solution.work),
                     _given(v.given, lambda name: latex_of(symbol(name)))]
            wanted = v.solution.reported()
            if sheet.answers:
                body.append(layout.aligned([f"{quantity_name(q.key)} &= {_quantity_value(q.value)}" for q in wanted]))
            else:
                body.append(_find([f"${quantity_name(q.key)}$" for q in wanted]))
        return "\n".join(body)

    def _title_ExerciseSheet(self, sheet: ExerciseSheet) -> str:
        return prose_tex(f"{sheet.title}: {'answers' if sheet.answers else 'questions'}")


def quantity_name(key: str) -> str:
    """``df/dx`` as a fraction of partials, ``d/dx`` as df/dx, ``f(x)`` as the function, ``s`` as the
    symbol s; a key with a note keeps it as text."""
    key, _, note = key.partition(" (")
    suffix = f"\\ \\text{{({prose_tex(note)}}}" if note else ""
    if key.startswith("d/d"):  # a derivative problem's derivative of f, the function it names f(x)
        return f"\\frac{{df}}{{d{latex_of(symbol(key[3:]))}}}{suffix}"
    applied = re.fullmatch(r"([A-Za-z]\w*)\((\w+)\)", key)
    if applied:  # f(x): the function, not a name with parentheses in it
        return f"{latex_of(symbol(applied.group(1)))}\\left({latex_of(symbol(applied.group(2)))}\\right){suffix}"
    if key.startswith("d") and "/d" in key:
        top, bottom = key[1:].split("/d", 1)
        return f"\\frac{{\\partial {latex_of(symbol(top))}}}{{\\partial {latex_of(symbol(bottom))}}}{suffix}"
    return latex_of(symbol(key)) + suffix


def _find(names: list[str]) -> str:
    """"Find the value of out.", not "Find out.": a name set upright reads as a word."""
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"Find the value{'s' if len(names) > 1 else ''} of {listed}."


def _verdict(v) -> str:
    """A claim's item: its mark (✓, ≈ or ✗) as the label, the claim and why as prose, each wrong entry
    of an array on a line of its own."""
    first, *entries = v.line().strip().split("\n")
    mark, claim = first.split(" ", 1)
    said = "\\quad ".join(prose_tex(part) for part in re.split(r" {3,}", claim))  # the claim, then the correct value
    lines = [said] + [prose_tex(entry.strip()) for entry in entries]
    return f"\\item[{tex_escape(mark)}] " + "\\newline\n".join(lines)


def _quantity_value(value) -> str:
    return latex_of(value) if isinstance(value, sp.Basic) else tex_number(np.asarray(value, dtype=float))


def worksheet_steps(solution) -> str:
    """Every worked quantity: name = formula = value, one aligned line each."""
    lines = []
    for q in solution.quantities.values():
        if q.kind == "given" or (q.kind == "local" and np.ndim(q.value) > 2):
            continue  # a matrix op's Jacobian is a 3-D array: a claim may name it, printed it helps no one
        shown = q.expr is not None and not q.expr.is_Number and not isinstance(q.value, sp.Basic)
        formula = f"{latex_of(q.expr)} = " if shown else ""
        lines.append(f"{quantity_name(q.key)} &= {formula}{_quantity_value(q.value)}")
        lines += [rf"&\phantom{{=}} \text{{where }} {latex_of(q.where)}"] if q.where is not None else []
    return layout.aligned(lines)


def _given(given: dict[str, Any], name) -> str:
    """The numbers given (by ``name`` as written): numbers in the sentence, arrays in full, one to a
    line below it (a matrix in the sentence would run off the page: a line cannot break inside it)."""
    values = {key: np.asarray(value, dtype=float) if not isinstance(value, sp.Basic) else value
              for key, value in given.items()}
    scalar = {key: v for key, v in values.items() if isinstance(v, sp.Basic) or v.size == 1}
    numbers = [f"${name(k)} = {_quantity_value(v)}$" for k, v in scalar.items()]
    arrays = [f"{name(k)} &= {tex_number(v, whole=True)}" for k, v in values.items() if k not in scalar]
    if not arrays:
        return f"Given {', '.join(numbers)}."
    lead = f"Given {', '.join(numbers)} and" if numbers else "Given"
    return lead + "\n" + layout.aligned(arrays)


def _statement(work) -> str:
    """What the problem computes: the expression to differentiate, or every gate of the circuit."""
    if isinstance(work, Derivation):
        return f"Differentiate ${latex_of(work.expression)}$ with respect to ${latex_of(work.wrt)}$."
    graph = work.graph
    lines = [f"{node_name(graph, node)} &= {_gate_tex(graph, node)}" for node in graphs.op_nodes(graph)]
    return "The circuit computes\n" + layout.aligned(lines)


def _gate_tex(graph, node) -> str:
    """A gate as a formula of its inputs: a tensor gate's matrix form (Q[:, :2], (√2/2) S), with any
    array parameter (a mask) written out; a scalar gate, or a tensor gate without a form, from its record."""
    data = graph.nodes[node]
    form = data.get("expr") if data.get("tensor") else None
    if form is None:
        return ops.gate(data).tex([node_name(graph, i) for i in data["inputs"]], data.get("const"))
    arrays = [f"\\text{{{tex_escape(k)}}} = {tex_number(np.asarray(v, dtype=float), whole=True)}"
              for k, v in data.get("params", {}).items() if np.ndim(v) > 0]
    return ", \\quad ".join([latex_of(form)] + arrays)

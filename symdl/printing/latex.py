"""The LaTeX printer: derivations as ``align*`` blocks, backward passes as booktabs tables,
and a whole ``article`` around them.

Every piece of user text reaches TeX through :mod:`symdl.printing.texsafe`:
expressions and names via ``latex_of``, prose (rules, notes, the title) via
``tex_escape``. So a symbol named ``\\input{/etc/passwd}`` prints as text and is
never executed. The printer reads the Derivation and the annotated Graph; the
only arithmetic it does is the per-edge product of the backward-pass table.
"""

from __future__ import annotations

import re
from typing import Iterable, Optional

import networkx as nx
import numpy as np
import sympy as sp

from symdl import graph as graphs
from symdl import ops
from symdl.backprop import Backprop
from symdl.derivation import Derivation, Step
from symdl.parsing import symbol
from symdl.printing.texsafe import latex_of, tex_escape, tex_number

SHORT_NOTE = 50  # characters; a longer note would push the equation off the page, so only the rule shows
LINE = 62  # rough characters of display math in the text width of an 11 pt article
LEFT_SIDE = 24  # a longer left side gets a line of its own
TITLE = 40  # rough characters of a title line in large type

def step_lines(d: Derivation) -> list[str]:
    """One ``lhs &= rhs && \\text{rule}`` line per step, for MathJax's ``aligned`` in a notebook."""
    steps = d.steps or [Step(sp.Derivative(d.expression, d.wrt), d.result, "result")]
    return [f"{latex_of(s.lhs)} &= {latex_of(s.rhs)} && \\text{{{_reason(s)}}}" for s in steps]


def _reason(step: Step) -> str:
    short = step.note and len(step.note) <= SHORT_NOTE
    return tex_escape(f"{step.rule}: {step.note}" if short else step.rule)


def derivation_fragment(d: Derivation) -> str:
    """The rule tree, ready to paste into any amsmath document: each rule as a paragraph of its own,
    indented by its depth, with its general formula; then the equation it gives in an ``align*`` of
    its own (one block for all would share one alignment column, as wide as the widest left side plus
    the widest right side), its sub-steps, and the equation with the result they give."""
    lines: list[str] = []
    for i, root in enumerate(d.tree, 1):
        _fragment_lines(root, str(i), lines)
    return "\n".join(lines) + "\n"


def _fragment_lines(step: Step, number: str, lines: list[str]) -> None:
    title = f"{number}.\\ \\textbf{{{tex_escape(step.rule)}}}"
    if step.formula is not None:
        general = latex_of(step.formula[0], order="none"), latex_of(step.formula[1], order="none")
        title += f": ${general[0]} = {general[1]}$"
    if step.parts:
        title += ", with " + ", ".join(f"${latex_of(k)} = {latex_of(v)}$" for k, v in step.parts)
    if step.note and len(step.note) <= SHORT_NOTE:
        title += f". {tex_escape(step.note)}"
    indent = f"{1.2 * number.count('.'):.1f}em"  # every line of the paragraph, not only the first
    lines.append(f"{{\\raggedright\\leftskip={indent}\\noindent {title}\\par}}")  # ragged: breaks before a formula
    lines.append(_equation(step.lhs, step.rhs))
    for i, sub in enumerate(step.substeps, 1):
        _fragment_lines(sub, f"{number}.{i}", lines)
    if step.result is not None:
        lines.append(_equation(step.lhs, step.result))


def _equation(lhs: sp.Basic, rhs: sp.Basic) -> str:
    """``lhs = rhs`` in an ``align*``, broken as a typesetter breaks a long display: a long left side
    on a line of its own, a long sum after a plus or minus sign, a long product between factors."""
    left = latex_of(lhs)
    rows = [f"& {left}", "&= "] if _width(left) > LEFT_SIDE else [f"{left} &= "]
    for piece in _pieces(rhs, len(rows) > 1):
        if _width(rows[-1]) + _width(piece) > LINE and rows[-1].rstrip()[-1] != "=":
            rows.append("&\\quad ")
        rows[-1] += piece + " "
    return "\\begin{align*}\n" + " \\\\\n".join(r.rstrip() for r in rows) + "\n\\end{align*}"


def _pieces(rhs: sp.Basic, roomy: bool) -> list[str]:
    """``rhs`` as the pieces a line may break between: the terms of a sum with their signs, the
    factors of a product with a ``\\cdot`` (a short one, or one on a line of its own, stays whole)."""
    whole = latex_of(rhs)
    if _width(whole) <= LINE - (0 if roomy else LEFT_SIDE) or not isinstance(rhs, (sp.Add, sp.Mul)):
        return [whole]
    if isinstance(rhs, sp.Add):
        terms = rhs.as_ordered_terms()
        pieces = [latex_of(terms[0])]
        for term in terms[1:]:
            negative = term.could_extract_minus_sign()
            pieces.append(f"{'-' if negative else '+'} {latex_of(-term if negative else term)}")
        return pieces
    factors = [_factor_tex(f) for f in rhs.as_ordered_factors()]
    return [factors[0]] + [f"\\cdot {f}" for f in factors[1:]]


def _factor_tex(factor: sp.Basic) -> str:
    """A factor of a product on its own: a sum keeps the parentheses the product gave it."""
    tex = latex_of(factor)
    return f"\\left({tex}\\right)" if isinstance(factor, sp.Add) else tex


def _width(tex: str) -> int:
    """A rough width of typeset ``tex`` in characters: sizing and font commands and braces count
    nothing, other commands one glyph, a fraction as numerator plus denominator (erring early)."""
    invisible = re.sub(r"\\(?:left|right|operatorname|mathrm|text|frac|quad)(?![A-Za-z])|[{}&]", "", tex)
    return len(re.sub(r"\\[A-Za-z]+", "x", invisible))


def backprop_tables(r: Backprop) -> str:
    """Two booktabs tables: the nodes in forward order, then the backward pass edge by edge."""
    return _node_table(r) + "\n" + _edge_table(r)


def _node_table(r: Backprop) -> str:
    g = r.graph
    rows = []
    for node in graphs.topological_order(g):
        data = g.nodes[node]
        if data["kind"] == "op":
            operands = [_name(g, i) for i in data["inputs"]]
            op = f"${ops.gate(data).tex(operands, data['const'])}$"
            local = _stack([f"${_local(g, u, node)}$" for u in dict.fromkeys(data["inputs"])])
        else:
            op, local = f"\\textit{{{data['kind']}}}", ""
        grad = data.get("grad")
        rows.append(f"${_name(g, node)}$ & {op} & ${tex_number(data['value'])}$ & {local} & "
                    f"{'' if grad is None else f'${tex_number(grad)}$'}")
    return _tabular("llrlr", ["node", "op", "value", "local gradients", "global gradient"], rows)


def _local(g: nx.DiGraph, operand: str, node: str) -> str:
    """∂node/∂operand = symbolic = evaluated; the symbolic part is dropped when it is a number."""
    edge = g.edges[operand, node]
    symbolic = "" if edge["local"].is_Number else f" = {latex_of(edge['local'])}"
    value = f" = {tex_number(edge['local_value'])}" if "local_value" in edge else ""  # none for a large Jacobian
    return f"{_partial(g, node, operand)}{symbolic}{value}"


def _edge_table(r: Backprop) -> str:
    """Each edge operand → node: global gradient of node × local gradient = its share of the operand's."""
    g, out = r.graph, r.output
    rows = []
    for node in reversed(graphs.op_nodes(g)):
        upstream = g.nodes[node].get("grad")
        if upstream is None:  # the output does not depend on this node
            continue
        for operand in dict.fromkeys(g.nodes[node]["inputs"]):
            edge = g.edges[operand, node]
            numbers = (f"${tex_number(upstream)} \\cdot {_factor(edge['local_value'])}$"
                       if "local_value" in edge else "")
            rows.append(f"${_name(g, operand)} \\to {_name(g, node)}$ & "
                        f"${_partial(g, out, node)} \\cdot {_partial(g, node, operand)}$ & "
                        f"{numbers} & ${tex_number(edge['contribution'])}$")
    return (_tabular("llrr", ["edge", "global $\\cdot$ local", "numbers", "product"], rows)
            + "A node's global gradient is the sum of the products on its outgoing edges.\n")


def network_arrays(network) -> str:
    """A network's arrays in full, the table below its circuit: each node's shape, value and gradient."""
    g = network.graph
    out = g.graph.get("output")
    rows = []
    for node in graphs.topological_order(g):
        data = g.nodes[node]
        grad = data.get("grad")
        shape = "\\times".join(map(str, data["shape"])) or "1"
        rows.append(f"${_name(g, node)}$ & ${shape}$ & ${tex_number(data['value'])}$ & "
                    f"{'' if grad is None else f'${tex_number(grad)}$'}")
    gradient = f"$\\partial {_name(g, out)}/\\partial$\\,node" if out else "gradient"
    return _tabular("lrll", ["node", "shape", "value", gradient], rows)


def _partial(g: nx.DiGraph, top: str, bottom: str) -> str:
    return f"\\partial {_name(g, top)}/\\partial {_name(g, bottom)}"


def _name(g: nx.DiGraph, node: str) -> str:
    """A node as the formulas write it (``q1`` → ``q_{1}``), through the safe printer."""
    return latex_of(g.nodes[node]["symbol"])


def _factor(value: sp.Expr) -> str:
    """A number as the right operand of a product: parenthesised when negative."""
    negative = not isinstance(value, np.ndarray) and value < 0
    return f"\\left({tex_number(value)}\\right)" if negative else tex_number(value)


def _stack(cells: list[str]) -> str:
    """Several lines in one table cell."""
    if len(cells) < 2:
        return "".join(cells)
    return "\\begin{tabular}[t]{@{}l@{}}" + " \\\\ ".join(cells) + "\\end{tabular}"


def _tabular(columns: str, header: list[str], rows: list[str]) -> str:
    body = "".join(f"{row} \\\\\n" for row in rows)
    return (f"\\begin{{center}}\\small\n\\begin{{tabular}}{{{columns}}}\n\\toprule\n{' & '.join(header)} \\\\\n"
            f"\\midrule\n{body}\\bottomrule\n\\end{{tabular}}\n\\end{{center}}\n")


def document(*, title: Optional[str] = None, derivations: Iterable[Derivation] = (),
             backprop: Optional[Backprop] = None, tikz: Optional[str] = None) -> str:
    """A complete ``article`` that pdflatex, xelatex and lualatex compile without shell escape. With no
    ``title``, the first derivation's derivative, typeset as mathematics, is the title."""
    derivations = list(derivations)
    body = []
    if tikz is not None:
        body += ["\\section*{Circuit}", _fit_width(tikz.strip())]
    if backprop is not None:
        body += ["\\section*{Backward pass}", *_backprop_body(backprop)]
    for d in derivations:
        body += [f"\\section*{{Derivative with respect to ${latex_of(d.wrt)}$}}", *_derivation_body(d)]
    return article(tex_escape(title) if title is not None else _math_title(derivations), body, tikz=tikz is not None)


#: What a fragment's parts need from the preamble they are pasted into, named in its first line.
DERIVATION_PACKAGES = ("amsmath", "amssymb")
BACKPROP_PACKAGES = ("amsmath", "amssymb", "booktabs", "tikz")


def fragment(*, derivation: Optional[Derivation] = None, backprop: Optional[Backprop] = None,
             tikz: Optional[str] = None) -> str:
    """The body of :func:`document` without the article around it, to paste into one's own notes: a
    derivation's ``align*`` blocks, or a backward pass's formula, tables and ``tikzpicture``; the
    first line, a comment, names the packages it needs."""
    packages = DERIVATION_PACKAGES if backprop is None else BACKPROP_PACKAGES
    body = [f"% symdl fragment: needs \\usepackage{{{','.join(packages)}}} in the preamble"]
    if tikz is not None:
        body.append(_fit_width(tikz.strip()))
    if backprop is not None:
        body += _backprop_body(backprop)
    if derivation is not None:
        body += _derivation_body(derivation)
    return "\n".join(body) + "\n"


def _backprop_body(r: Backprop) -> list[str]:
    g = r.graph
    point = ", ".join(f"${_name(g, n)} = {tex_number(v)}$" for n, v in r.point.items())
    return [f"\\[ {_name(g, r.output)} = {latex_of(g.graph['expression'])} \\]", f"at {point}.", backprop_tables(r)]


def _derivation_body(d: Derivation) -> list[str]:
    return [_equation(sp.Derivative(d.expression, d.wrt), d.result), derivation_fragment(d)]


def _math_title(derivations: list[Derivation]) -> str:
    """The first derivative as a title, typeset; a long one (a title line does not break) by its variable."""
    if not derivations:
        return ""
    first = derivations[0]
    derivative = latex_of(sp.Derivative(first.expression, first.wrt))
    return f"${derivative}$" if _width(derivative) <= TITLE else f"The derivative with respect to ${latex_of(first.wrt)}$"


#: XeLaTeX and LuaLaTeX start in Latin Modern (``lmr``), which has no OT1 shapes: without this line
#: they substitute the upright medium shape for every other one, and headings lose their bold.
SAME_FONTS_ON_EVERY_ENGINE = ("\\ifPDFTeX\\else\\renewcommand{\\rmdefault}{cmr}\\renewcommand{\\sfdefault}{cmss}"
                              "\\renewcommand{\\ttdefault}{cmtt}\\fontfamily{cmr}\\usepackage[OT1]{fontenc}\\fi")


def article(title: str, body: Iterable[str], *, tikz: bool = False) -> str:
    """The ``article`` around already-safe LaTeX parts (the title too: pass text through
    :func:`tex_escape`). The parts are ASCII (:func:`tex_escape` writes
    every other character as a command), so pdflatex, xelatex and lualatex all compile it; the fonts
    are Computer Modern's Type 1 outlines (OT1: with T1 and no cm-super, TeX would embed bitmaps)
    on every engine (:data:`SAME_FONTS_ON_EVERY_ENGINE`)."""
    text = "\n".join(body)
    packages = ["amsmath", "amssymb", "booktabs", "xcolor"] + (["tikz"] if tikz else [])
    preamble = ["\\documentclass[11pt]{article}", "\\usepackage{iftex}", SAME_FONTS_ON_EVERY_ENGINE,
                *(f"\\usepackage{{{p}}}" for p in packages),
                "\\renewcommand{\\labelitemi}{\\ensuremath{\\bullet}}",  # OT1's \\textbullet is a bitmap (TS1)
                "\\allowdisplaybreaks", f"\\title{{{title}}}", "\\author{}", "\\date{}"]
    return "\n".join([*preamble, "\\begin{document}", "\\maketitle", text, "\\end{document}", ""])


# --- worksheets ------------------------------------------------------------------------------------
def quantity_name(key: str) -> str:
    """``df/dx`` as a fraction of partials, ``d/dx`` as df/dx, ``f(x)`` as the function, ``s`` as the
    symbol s; a key with a note keeps it as text."""
    key, _, note = key.partition(" (")
    suffix = f"\\ \\text{{({tex_escape(note)}}}" if note else ""
    if key.startswith("d/d"):  # a derivative problem's derivative of f, the function it names f(x)
        return f"\\frac{{df}}{{d{latex_of(symbol(key[3:]))}}}{suffix}"
    applied = re.fullmatch(r"([A-Za-z]\w*)\((\w+)\)", key)
    if applied:  # f(x): the function, not a name with parentheses in it
        return f"{latex_of(symbol(applied.group(1)))}\\left({latex_of(symbol(applied.group(2)))}\\right){suffix}"
    if key.startswith("d") and "/d" in key:
        top, bottom = key[1:].split("/d", 1)
        return f"\\frac{{\\partial {latex_of(symbol(top))}}}{{\\partial {latex_of(symbol(bottom))}}}{suffix}"
    return latex_of(symbol(key)) + suffix


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
    return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}" if lines else ""


def worksheet_document(solution, *, report=None, tikz: Optional[str] = None) -> str:
    """A solved problem file: what is given, the circuit, the backward-pass tables or the derivation,
    every worked step, and the student's claims checked."""
    problem, work = solution.problem, solution.work
    body = [tex_escape(f"Source: {problem.source}")] if problem.source else []
    given = [f"${quantity_name(q.key)} = {_quantity_value(q.value)}$"
             for q in solution.quantities.values() if q.kind == "given"]
    if given:
        body += ["\\section*{Given}", ", ".join(given) + "."]
    if tikz is not None:
        body += ["\\section*{Circuit}", _fit_width(tikz.strip())]
    if isinstance(work, Backprop):
        body += ["\\section*{Backward pass}", backprop_tables(work)]
    elif not isinstance(work, Derivation):  # a network: its circuit shows summaries, this table every array
        body += ["\\section*{Arrays}", network_arrays(work)]
    if isinstance(work, Derivation):
        body += [f"\\section*{{Derivative with respect to ${latex_of(work.wrt)}$}}", derivation_fragment(work)]
    body += ["\\section*{Worked steps}", worksheet_steps(solution)]
    if problem.notes:
        body.append(tex_escape(problem.notes))
    if report is not None and report.verdicts:
        items = "\n".join(f"\\item {tex_escape(v.line().strip())}" for v in report.verdicts)
        body += ["\\section*{The claims, checked}", f"\\begin{{itemize}}\n{items}\n\\end{{itemize}}"]
    return article(tex_escape(problem.title), body, tikz=tikz is not None)


def exercise_document(title: str, variants, *, answers: bool, circuit: Optional[str] = None) -> str:
    """One section per variant. The question states the problem (what is computed, the circuit
    ``circuit`` drawn without numbers, the point) and what to find; with ``answers``, the key."""
    body = []
    if circuit is not None and variants and not answers:
        body += ["\\section*{The circuit}", _fit_width(circuit.strip())]
    for v in variants:
        body += [f"\\section*{{Exercise {v.number}}}", _statement(v.solution.work), _given(v.given)]
        wanted = v.solution.reported()
        if answers:
            lines = " \\\\\n".join(f"{quantity_name(q.key)} &= {_quantity_value(q.value)}" for q in wanted)
            body.append(f"\\begin{{align*}}\n{lines}\n\\end{{align*}}")
        else:
            body.append("Find " + ", ".join(f"${quantity_name(q.key)}$" for q in wanted) + ".")
    return article(tex_escape(f"{title}: {'answers' if answers else 'questions'}"), body, tikz=circuit is not None)


def _given(given: dict) -> str:
    """The numbers a question gives: numbers in the sentence, arrays in full, one to a line below it."""
    values = {name: np.asarray(value) for name, value in given.items()}
    numbers = [f"${latex_of(symbol(n))} = {tex_number(v)}$" for n, v in values.items() if v.size == 1]
    arrays = [f"{latex_of(symbol(n))} &= {tex_number(v, whole=True)}" for n, v in values.items() if v.size != 1]
    if not arrays:
        return f"Given {', '.join(numbers)}."
    lead = f"Given {', '.join(numbers)} and" if numbers else "Given"
    return lead + "\n\\begin{align*}\n" + " \\\\\n".join(arrays) + "\n\\end{align*}"


def _statement(work) -> str:
    """What the problem computes: the expression to differentiate, or every gate of the circuit."""
    if isinstance(work, Derivation):
        return f"Differentiate ${latex_of(work.expression)}$ with respect to ${latex_of(work.wrt)}$."
    graph = work.graph
    lines = []
    for node in graphs.op_nodes(graph):
        data = graph.nodes[node]
        lines.append(f"{_name(graph, node)} &= {_gate_tex(graph, node)}")
    return "The circuit computes\n\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"


def _gate_tex(graph, node) -> str:
    """A gate as a formula of its inputs: a tensor gate's matrix form (Q[:, :2], (√2/2) S), with any
    array parameter (a mask) written out; a scalar gate, or a tensor gate without a form, from its record."""
    data = graph.nodes[node]
    form = data.get("expr") if data.get("tensor") else None
    if form is None:
        return ops.gate(data).tex([_name(graph, i) for i in data["inputs"]], data.get("const"))
    arrays = [f"\\text{{{tex_escape(k)}}} = {tex_number(np.asarray(v, dtype=float), whole=True)}"
              for k, v in data.get("params", {}).items() if np.ndim(v) > 0]
    return ", \\quad ".join([latex_of(form)] + arrays)


def _fit_width(pictures: str) -> str:
    """Each picture (a long circuit comes as several rows) centred, shrunk to the text width only if
    it is wider (a small circuit keeps its size); the box it is measured in is declared the first
    time, so the block pastes anywhere."""
    rows = [p + "\\end{tikzpicture}" for p in pictures.split("\\end{tikzpicture}") if p.strip()]
    return "\\ifdefined\\symdlcircuit\\else\\newsavebox{\\symdlcircuit}\\fi\n" + "\n\\medskip\n".join(
        "\\begin{center}\n\\sbox{\\symdlcircuit}{%\n" + row.strip() + "%\n}\n"
        "\\ifdim\\wd\\symdlcircuit>\\linewidth\\resizebox{\\linewidth}{!}{\\usebox{\\symdlcircuit}}"
        "\\else\\usebox{\\symdlcircuit}\\fi\n\\end{center}" for row in rows)

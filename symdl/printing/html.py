"""The HTML printer: every object symdl makes, as HTML a student can open offline.

One printer class dispatches on the class name of what it prints, as SymPy's
printers do (``_print_Backprop``, ``_print_Derivation``, up the class hierarchy
to ``_print_Basic`` for a SymPy expression), so the model classes import nothing
from here. A page has no JavaScript and no network reference, only inline CSS,
so it renders the same in any browser with MathML Core and cannot phone home.
Every user string is escaped: text with :func:`escaped`, formulas through
:class:`symdl.printing.mathml.SafeMathML`.
"""

from __future__ import annotations

import html
import re
from typing import Any, Iterable, Optional

import numpy as np
import sympy as sp

from symdl import graph as graphs
from symdl import ops
from symdl.numbers import shown as number
from symdl.printing.html_cells import asides_footer, quantity_name, set_aside, value_cell
from symdl.printing.html_circuit import circuit_figure
from symdl.printing.mathml import block, escaped, inline, mathml
from symdl.printing.text import text
from symdl.printing.text_reports import GRADCHECK_COLUMNS, gradcheck_cells, minus_signs, rules_stated_once

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 64rem; margin: 2rem auto; padding: 0 1rem;
       color: #1b1b1b; background: #fff; line-height: 1.45; }
h1 { border-bottom: 2px solid #3b5b92; padding-bottom: .3rem; }
h2 { color: #3b5b92; margin-top: 2.2rem; }
figure.circuit { margin: 1rem 0; overflow-x: auto; }
figure.circuit svg { max-width: none; height: auto; }  /* a wide circuit scrolls; shrunk, its labels would be unreadable */
table { border-collapse: collapse; margin: .8rem 0; }
th, td { padding: .35rem .7rem; text-align: left; vertical-align: top; }
thead th { border-top: 2px solid #333; border-bottom: 1px solid #333; }
tbody tr:last-child td { border-bottom: 2px solid #333; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th.num { text-align: right; }
td.name { white-space: nowrap; }  /* ∂PE_0_0/∂pos0 broke at its slash */
ol.steps { list-style: none; padding-left: 1.2rem; border-left: 2px solid #d6dcea; margin: .4rem 0; }
ol.steps > li { margin: .5rem 0; }
ol.steps summary { cursor: pointer; }
ol.steps span.num { color: #3b5b92; font-variant-numeric: tabular-nums; }
ol.steps p.note { color: #555; margin: .2rem 0; }
p.where { color: #333; margin: .3rem 0; }
div.wide { overflow-x: auto; }
math { font-size: 1.1em; }
math[display="block"] { margin: .2rem 0; }
ol.steps math[display="block"] { display: inline math; math-style: normal; }
ol.steps div.eq { margin: .2rem 0; }
table.nodes td > div { padding-left: 1.5em; text-indent: -1.5em; }  /* a wrapped value hangs */
td math { math-style: normal; white-space: nowrap; }  /* fractions full size; a token's words never wrap, so
   the column is sized to fit them (sized as if they could, the math ran over the next column) */
mtable.array > mtr > mtd { padding: .1em .35em; }  /* centred, as the PDF's bmatrix; Chromium sets "right" left */
details.array > summary { cursor: pointer; }
footer.asides { margin-top: 2.5rem; border-top: 1px solid #d6dcea; color: #555; font-size: .85em; }
ul.links li { margin: .25rem 0; }
span.also { color: #555; font-size: .9em; }
div.print-parts { display: none; }
@page { margin: 1.5cm; }
@media print {  /* paper does not scroll: a wide circuit prints as its parts, each at full size */
  body { max-width: none; margin: 0; padding: 0; }
  figure.circuit { overflow: visible; }
  figure.in-parts > svg { display: none; }
  figure.in-parts > div.print-parts { display: block; }
  div.print-parts > svg { display: block; max-width: 100%; height: auto; margin: .3rem 0; break-inside: avoid; }
}
""".strip()

_TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)
_SVG_SCRIPT = re.compile(r"<script|\son[a-z]+\s*=\s*[\"']|javascript:", re.IGNORECASE)
# Between two fractions stacked in one cell, so that they do not touch; inline, since a notebook
# cell has no stylesheet.
_STACKED = ' style="margin-top: .5rem"'
GRADCHECK_ROWS = 40  # a gradient check shows this many rows (the failures first), then counts the rest
_X = sp.Symbol("x")
# A table's columns: (heading, class of its cells)
STEP_COLUMNS = (("quantity", "name"), ("formula", ""), ("value", "num"), ("rule", "rule"))
NODE_COLUMNS = (("node", ""), ("op", ""), ("value", "num"), ("local gradients", ""), ("global gradient", "num"))
# What a letter of a rule's formula stands for: each one used gets a "where" line, as a special
# function does from its op record's meaning, since a reader may not know δᵢⱼ or H.
LETTERS = {
    "delta_ij": "= 1 if i = j, 0 otherwise",
    "s_i": "= e^(xᵢ)/Σₖ e^(xₖ), output i of the softmax",
}


class HtmlPrinter:
    """HTML sections for a Backprop, a Network, a Derivation, a Solution, a Report, a
    GradcheckResult, a Kernel or a SymPy expression (inline MathML).

    ``svg`` is the circuit (drawn elsewhere) shown with the work it belongs to; ``notes`` are
    remarks on the worked example; ``claims`` is a solution's graded Report; ``heading`` is the
    tag of an object's own title (``"h3"`` in a notebook cell, none on a page, which has one)."""

    def __init__(self, *, svg: Optional[str] = None, notes: Iterable[str] = (), claims=None,
                 heading: Optional[str] = None):
        self.svg, self.notes, self.claims, self.heading = svg, tuple(notes), claims, heading

    def doprint(self, obj: Any) -> str:
        return self._method(obj)(obj)

    @classmethod
    def prints(cls, obj: Any) -> bool:
        return cls._lookup(obj) is not None

    @classmethod
    def _lookup(cls, obj: Any) -> Optional[str]:
        return next((f"_print_{c.__name__}" for c in type(obj).__mro__ if hasattr(cls, f"_print_{c.__name__}")), None)

    def _method(self, obj: Any):
        name = self._lookup(obj)
        if name is None:
            raise TypeError(f"the HTML printer has no form for a {type(obj).__name__}")
        return getattr(self, name)

    # --- expressions and circuits --------------------------------------------------------
    def _print_Basic(self, e: sp.Basic) -> str:
        return inline(mathml(e))

    def _print_Backprop(self, r) -> str:
        """The circuit and remarks, the expression and the point, then the node table."""
        output, expression = r.graph.nodes[r.output]["symbol"], r.graph.graph["expression"]
        expression = inline(f"{mathml(output)}<mo>=</mo>{mathml(expression)}")
        point = ", ".join(inline(f"{_name(r, name)}<mo>=</mo><mn>{number(v)}</mn>") for name, v in r.point.items())
        return self._framed(f"<section>\n<h2>Backward pass</h2>\n<p>{expression} at {point}</p>\n"
                            f"{node_table(r)}\n</section>")

    def _print_Network(self, n) -> str:
        """A tensor network: its circuit, the remarks on the worked example, the node table."""
        return self._framed(f"<section>\n<h2>Nodes</h2>\n{node_table(n)}\n</section>")

    def _framed(self, body: str) -> str:
        notes, asides = _set_aside(self.notes)
        return "\n".join([*self._circuit(), *self._remarks(notes), body, *asides_footer(asides)])

    def _circuit(self) -> list[str]:
        if self.svg is None:
            return []
        figure = circuit_figure(inline_svg(self.svg), printable=self.heading is None)  # a page has the print CSS
        return [f"<section>\n<h2>Circuit</h2>\n{figure}\n</section>"]

    @staticmethod
    def _remarks(notes: Iterable[str]) -> list[str]:
        """What the seed's hand calculation got wrong, one item per remark."""
        items = "".join(f"<li>{escaped(note)}</li>" for note in notes if note)
        return [f"<section>\n<h2>Checked against the notes</h2>\n<ul>{items}</ul>\n</section>"] if items else []

    # --- derivations -----------------------------------------------------------------------
    def _print_Derivation(self, d) -> str:
        """The derivative in one line, what its special functions mean, then the rule tree: each rule
        with its general formula, the equation it gives, its sub-steps nested (collapsible, no script)
        and the result they give."""
        d = d.as_written()
        headline = block(sp.Derivative(d.expression, d.wrt), d.result)
        where = "".join(f'\n<p class="where">where {inline_equation(a.letter, a.vector)}</p>' for a in d.abbreviations)
        where += "".join(f'\n<p class="where">where {inline(mathml(used))} {escaped(meaning)}</p>'
                         for used, meaning in _specials(d))
        steps = "\n".join(self._step(step, str(i)) for i, step in enumerate(d.tree, 1))
        title = f"Derivative with respect to {inline(mathml(d.wrt))}"
        return (f"<section>\n<h2>{title}</h2>\n{headline}{where}\n"
                f'<div class="wide"><ol class="steps">\n{steps}\n</ol></div>\n</section>')

    def _step(self, step, number: str) -> str:
        summary = f'<span class="num">{number}</span> <strong>{escaped(step.rule)}</strong>'
        if step.formula is not None:
            lhs, rhs = (mathml(side, {"order": "none"}) for side in step.formula)
            summary += f": {inline(f'{lhs}<mo>=</mo>{rhs}')}"
        if step.parts:
            summary += ", with " + ", ".join(inline(f"{mathml(k)}<mo>=</mo>{mathml(v)}") for k, v in step.parts)
        body = [f'<p class="note">{escaped(step.note)}</p>'] if step.note else []
        body.append(f'<div class="eq">{block(step.lhs, step.rhs)}</div>')
        if step.substeps:
            items = "\n".join(self._step(sub, f"{number}.{i}") for i, sub in enumerate(step.substeps, 1))
            body.append(f'<ol class="steps">\n{items}\n</ol>')
        if step.result is not None:
            body.append(f'<div class="eq">{block(step.lhs, step.result)}</div>')  # restated: read alone, it is true
        shown = " open" if number.count(".") < 1 else ""  # the first level open; deeper proofs one click away
        return f"<li><details{shown}><summary>{summary}</summary>\n" + "\n".join(body) + "\n</details></li>"

    # --- worksheets ------------------------------------------------------------------------
    def _title(self, title: str) -> list[str]:
        return [f"<{self.heading}>{escaped(title)}</{self.heading}>"] if self.heading else []

    def _print_Solution(self, s) -> str:
        """A solved problem file: the circuit, the derivation, every worked step with its rule, the claims checked."""
        problem, work = s.problem, s.work
        stated = rules_stated_once(q for q in s.quantities.values() if q.kind != "value")  # each rule once
        (source, notes, *rules), asides = _set_aside([problem.source, problem.notes,
                                                      *(stated.get(q.key, "") for q in s.quantities.values())])
        sections = self._title(problem.title)
        sections += [f"<p>{escaped('Source: ' + source)}</p>"] if source else []
        sections += self._circuit()
        if type(work).__name__ == "Derivation":
            sections.append(self.doprint(work))
        rows = []
        for q, rule in zip(s.quantities.values(), rules):
            symbolic = isinstance(q.value, sp.Basic)
            formula = inline(mathml(q.expr)) if q.expr is not None and not symbolic else escaped(minus_signs(q.formula))
            # what the letters stand for, as words that wrap: one <math> would widen the table past the page
            formula += f"<br>where {escaped(text(q.where))}" if q.where is not None else ""
            value = inline(mathml(q.value)) if symbolic else value_cell(q.value)
            rows.append([quantity_name(q.key), formula, value, escaped(rule)])
        values_only = f"\n<p>{escaped(s.values_only)}</p>" if s.values_only else ""
        sections.append(f"<section>\n<h2>Worked steps</h2>{values_only}\n{table('steps', STEP_COLUMNS, rows)}\n</section>")
        sections += self._remarks([notes] if notes else [])
        if self.claims is not None and self.claims.verdicts:
            sections.append(self._claims(self.claims))
        return "\n".join(sections + asides_footer(asides))

    def _print_Report(self, r) -> str:
        """The graded claims, one verdict each, and the tally."""
        return "\n".join([*self._title(r.solution.problem.title), self._claims(r)])

    @staticmethod
    def _claims(report) -> str:
        """Each graded claim as its verdict line (✓ or ✗, the correct value, why), then the tally."""
        items = "".join("<li>" + "<br>".join(escaped(line.strip()) for line in v.line().splitlines()) + "</li>"
                        for v in report.verdicts)
        tally = escaped(report.lines()[-1].strip())
        return f"<section>\n<h2>The claims, checked</h2>\n<ul>{items}</ul>\n<p>{tally}</p>\n</section>"

    # --- checks and kernels ----------------------------------------------------------------
    def _print_GradcheckResult(self, g) -> str:
        """The check table (failures first, at most ``GRADCHECK_ROWS`` rows) and the summary."""
        checks = sorted(g.checks, key=lambda c: c.status == "pass")
        rows = ["<tr>" + "".join(f"<td>{escaped(cell)}</td>" for cell in gradcheck_cells(c)) + "</tr>"
                for c in checks[:GRADCHECK_ROWS]]
        if len(checks) > GRADCHECK_ROWS:
            more = len(checks) - GRADCHECK_ROWS
            rows.append(f'<tr><td colspan="{len(GRADCHECK_COLUMNS)}">… {more} more checks</td></tr>')
        head = "".join(f"<th>{h}</th>" for h in GRADCHECK_COLUMNS)
        return (f"<p>gradcheck of <code>{escaped(str(g.expression))}</code>: {'ok' if g.ok else 'NOT ok'}</p>\n"
                f'<table class="gradcheck">\n<thead><tr>{head}</tr></thead>\n<tbody>\n' + "\n".join(rows)
                + f"\n</tbody>\n</table>\n<p>{escaped(g.summary())}</p>")

    def _print_Kernel(self, k) -> str:
        """The call's signature and the generated NumPy source, runnable as it stands."""
        gradients = ", ".join(f"∂/∂{name}" for name in k.wrt)
        signature = f"kernel({', '.join(k.args)}) → (value, {{{gradients}}})  for value = {k.expression}"
        return f"<p><code>{escaped(signature)}</code></p>\n<pre>{html.escape(k.source)}</pre>"


def _set_aside(texts: Iterable[str]) -> tuple[list[str], list[str]]:
    """Each text without its provenance and PyTorch notes (:func:`set_aside`), and all those notes."""
    kept, asides = [], []
    for written in texts:
        statement, aside = set_aside(written)
        kept.append(statement)
        asides += aside
    return kept, asides


def inline_equation(lhs: sp.Basic, rhs: sp.Basic) -> str:
    """``lhs = rhs`` as inline MathML, for a line of prose."""
    return inline(f"{mathml(lhs)}<mo>=</mo>{mathml(rhs)}")


def _specials(d) -> list[tuple[sp.Expr, str]]:
    """Each special function (applied to x) and letter that the derivation uses, with what it means, in
    the order it first uses them."""
    exprs = [d.expression, d.result]
    for step in d.steps:
        exprs += [step.lhs, step.rhs, *(step.formula or ()), *(e for part in step.parts for e in part)]
        exprs += [step.result] if step.result is not None else []
    found: dict[str, tuple[sp.Expr, str]] = {}
    for node in (node for e in exprs for node in sp.preorder_traversal(e)):
        if node.is_Symbol and node.name in LETTERS:
            found.setdefault(node.name, (node, LETTERS[node.name]))
        elif isinstance(node, sp.Function):
            op = ops.by_head(type(node)) or ops.REGISTRY.get(type(node).__name__)
            if op is not None and op.meaning:
                found.setdefault(op.name, (type(node)(_X, *(p.default for p in op.params)), op.meaning))  # as defined
    return list(found.values())


def node_table(r) -> str:
    """Node, op, value, local gradients (symbolic = evaluated) and global gradient, forward order,
    for a Backprop or a Network."""
    rows = []
    for node in graphs.topological_order(r.graph):
        data = r.graph.nodes[node]
        if data["kind"] == "op":
            op = escaped(ops.glyph(data))
            local = "".join(f"<div{_STACKED if i else ''}>{_local(r, u, node)}</div>"
                            for i, u in enumerate(dict.fromkeys(data["inputs"])))
        else:
            op, local = data["kind"], ""
        grad = data.get("grad")  # none for a large Jacobian, or before a backward pass
        rows.append([inline(_name(r, node)), op, value_cell(data["value"]), local, "" if grad is None else value_cell(grad)])
    return table("nodes", NODE_COLUMNS, rows)


def table(kind: str, columns, rows: list[list[str]]) -> str:
    """A table of already-escaped cells under ``columns`` ((heading, cell class)), in a box that scrolls
    sideways when wide; a column empty in every row is left out (a network before its backward pass
    has no global gradients), since an empty column reads as missing numbers."""
    kept = [i for i, _ in enumerate(columns) if any(row[i] for row in rows)]
    head = "".join(_cell(columns[i][0], columns[i][1], "th") for i in kept)  # a number's heading over it, right
    body = "\n".join("<tr>" + "".join(_cell(row[i], columns[i][1]) for i in kept) + "</tr>" for row in rows)
    return (f'<div class="wide"><table class="{kind}">\n<thead><tr>{head}</tr></thead>\n'
            f"<tbody>\n{body}\n</tbody>\n</table></div>")


def _cell(content: str, kind: str, tag: str = "td") -> str:
    return f'<{tag} class="{kind}">{content}</{tag}>' if kind else f"<{tag}>{content}</{tag}>"


def _name(r, node: str) -> str:
    """A node as the formulas write it (q1 as q with subscript 1), so table and formulas agree."""
    return mathml(r.graph.nodes[node]["symbol"])


def _local(r, operand: str, node: str) -> str:
    """∂node/∂operand = symbolic = value, the symbolic part left out when it is already a number; the
    value as the value columns write it (an array as its matrix). A matrix op's Jacobian (three or four indices) is its formula alone, as in the worked steps: nested
    brackets of 36 numbers help no one."""
    edge = r.graph.edges[operand, node]
    partial = (f"<mfrac><mrow><mo>&#x2202;</mo>{_name(r, node)}</mrow>"
               f"<mrow><mo>&#x2202;</mo>{_name(r, operand)}</mrow></mfrac>")
    symbolic = "" if edge["local"].is_Number else f"<mo>=</mo>{mathml(edge['local'])}"
    if "local_value" not in edge or np.ndim(edge["local_value"]) > 2:
        return inline(f"{partial}{symbolic}")
    return f'{inline(f"{partial}{symbolic}<mo>=</mo>")}<span class="num">{value_cell(edge["local_value"])}</span>'


def inline_svg(svg: str) -> str:
    """The ``<svg>`` element alone: an XML prolog or DOCTYPE is not allowed inside HTML.

    The SVG comes from symdl's own renderer; a script in it would still break the
    report's no-JavaScript promise, so it is refused rather than passed on.
    """
    start = svg.find("<svg")
    if start < 0:
        raise ValueError("the circuit picture has no <svg> element")
    if _SVG_SCRIPT.search(svg):
        raise ValueError("the circuit picture contains a script; refusing to inline it")
    return svg[start:].strip()


def page(title: str, sections: Iterable[str]) -> str:
    """A complete HTML5 document around already-escaped sections, with the report's style."""
    head = (f'<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escaped(title)}</title>\n<style>\n{_CSS}\n</style>")
    body = "\n".join([f"<h1>{escaped(title)}</h1>", *sections])
    return f'<!DOCTYPE html>\n<html lang="en">\n<head>\n{head}\n</head>\n<body>\n{body}\n</body>\n</html>\n'


def report(title: str, *objects: Any, **settings) -> str:
    """A complete page: the title, then each object as :class:`HtmlPrinter` prints it with ``settings``."""
    printer = HtmlPrinter(**settings)
    return page(title, [printer.doprint(obj) for obj in objects])


def title_of(page_text: str) -> str:
    """The title of a page :func:`page` wrote, as its reader sees it."""
    found = _TITLE.search(page_text)
    if found is None:
        raise ValueError("the page has no <title>")
    return html.unescape(found.group(1))


def index(title: str,
          groups: Iterable[tuple[str, str, Iterable[tuple[str, Optional[str], Iterable[tuple[str, str]]]]]]) -> str:
    """A page of links: one section per (heading, description, [(label, href, [(format, href)])]), each
    link followed by the same thing's other formats; a label without an href (data with no page) is
    text, its formats the links."""
    def link(label: str, href: str) -> str:
        return f'<a href="{html.escape(href)}">{escaped(label)}</a>'

    sections = []
    for heading, description, links in groups:
        items = []
        for label, href, also in links:
            others = " · ".join(link(suffix, other) for suffix, other in also)
            also_shown = f' <span class="also">({others})</span>' if others else ""
            items.append(f"<li>{link(label, href) if href else escaped(label)}{also_shown}</li>")
        sections.append(f"<section>\n<h2>{escaped(heading)}</h2>\n<p>{escaped(description)}</p>\n"
                        f"<ul class=\"links\">\n" + "\n".join(items) + "\n</ul>\n</section>")
    return page(title, sections)

"""The HTML printer: one self-contained report file a student can open offline.

The report holds the circuit as inline SVG (drawn elsewhere and passed in),
each derivation as presentation MathML, and the node table of a backward pass.
There is no JavaScript and no network reference, only inline CSS, so the file
renders the same in any browser with MathML Core and cannot phone home.
Every user string is escaped: text with :func:`html.escape`, formulas through
:class:`SafeMathML`, because SymPy writes symbol names into MathML raw.
"""

from __future__ import annotations

import html
import re
from typing import Iterable, Optional

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.mathml import MathMLPresentationPrinter
from sympy.printing.precedence import PRECEDENCE

from symdl import graph as graphs
from symdl import ops
from symdl.backprop import Backprop, format_value
from symdl.derivation import Derivation
from symdl.printing.texsafe import strip_controls
from symdl.printing.text import function_name
from symdl.printing.text import text as text_of

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
ol.steps { list-style: none; padding-left: 1.2rem; border-left: 2px solid #d6dcea; margin: .4rem 0; }
ol.steps > li { margin: .5rem 0; }
ol.steps summary { cursor: pointer; }
ol.steps span.num { color: #3b5b92; font-variant-numeric: tabular-nums; }
ol.steps p.note { color: #555; margin: .2rem 0; }
div.wide { overflow-x: auto; }
math { font-size: 1.1em; }
math[display="block"] { margin: .2rem 0; }
ol.steps math[display="block"] { display: inline math; math-style: normal; }
ol.steps div.eq { margin: .2rem 0; }
table.nodes math { math-style: normal; }
""".strip()

# What SymPy's MathML writes that a textbook does not: double-struck ⅆ and ⅇ, a hyphen for minus.
# SymPy also writes the matrix of ones as "&#x1D7D9" without its closing ";", which would print raw.
_PLAIN = {"&dd;": "d", "&ExponentialE;": "e", "-": "−", "&#x1D7D9": "𝟙"}
# An entity reference SymPy writes on purpose (&dd;, &#xB7;, &InvisibleTimes;); every other "&" is text.
_ENTITY = re.compile(r"&(?!#?\w+;)")
_SVG_SCRIPT = re.compile(r"<script|\son[a-z]+\s*=\s*[\"']|javascript:", re.IGNORECASE)


class SafeMathML(MathMLPresentationPrinter):
    """SymPy's presentation MathML with every text node escaped.

    SymPy writes text nodes raw so that its own entities survive, which lets a
    symbol named ``<script>…`` become markup. Escaping ``<``, ``>`` and stray
    ``&`` at node creation keeps the entities and makes names plain text.
    """

    def __init__(self, settings: Optional[dict] = None):
        super().__init__(settings)
        raw = self.dom.createTextNode
        self.dom.createTextNode = lambda data: raw(_escape_markup(_plain(data)))

    def _print_Function(self, e: sp.Function):
        """The op record's glyph (σ, ReLU, H) where it is a name, else SymPy's."""
        mrow = super()._print_Function(e)
        name = function_name(e)
        if name != type(e).__name__:
            mrow.replaceChild(self._identifier(name), mrow.firstChild)
        return mrow

    def _print_Heaviside(self, e):
        mrow = self.dom.createElement("mrow")
        mrow.appendChild(self._identifier("H"))
        mrow.appendChild(self._paren_comma_separated(e.args[0]))
        return mrow

    def _print_Pow(self, e: sp.Pow):
        """tanh²(x), as textbooks write a function's power: the exponent on the name."""
        base, exponent = e.args
        if exponent.is_Integer and exponent > 0 and isinstance(base, sp.Function) \
                and not isinstance(base, (AppliedUndef, sp.Abs)):
            mrow = self._print(base)
            power = self.dom.createElement("msup")
            name = mrow.firstChild
            mrow.replaceChild(power, name)
            power.appendChild(name)
            power.appendChild(self._print(exponent))
            return mrow
        return super()._print_Pow(e)

    def _print_HadamardProduct(self, e):
        """a ⊙ (1 − a): the text printer's sign and order (symbols first), not SymPy's ∘."""
        return self._joined(sorted(e.args, key=lambda a: not isinstance(a, (sp.MatrixSymbol, sp.Symbol))), "⊙")

    def _print_HadamardPower(self, e):
        """A square or cube as a ⊙ a, as the text printer writes it; any other power as a^∘n."""
        if e.exp.is_Integer and 1 < e.exp <= 3:
            return self._joined([e.base] * int(e.exp), "⊙")
        power = self.dom.createElement("msup")
        power.appendChild(self.parenthesize(e.base, PRECEDENCE["Mul"], False))
        exponent = self.dom.createElement("mrow")
        exponent.appendChild(self._operator("∘"))
        exponent.appendChild(self._print(e.exp))
        power.appendChild(exponent)
        return power

    def _joined(self, factors, operator: str):
        mrow = self.dom.createElement("mrow")
        for i, factor in enumerate(factors):
            if i:
                mrow.appendChild(self._operator(operator))
            mrow.appendChild(self.parenthesize(factor, PRECEDENCE["Mul"], False))
        return mrow

    def _operator(self, glyph: str):
        element = self.dom.createElement("mo")
        element.appendChild(self.dom.createTextNode(glyph))
        return element

    def _identifier(self, name: str):
        element = self.dom.createElement("mi")
        element.appendChild(self.dom.createTextNode(name))
        return element

    def _print_Derivative(self, e: sp.Derivative):
        """Bracket a sum or a negation after d/dx, as the LaTeX printer does; SymPy's MathML
        writes d/dx 1 + e^(-u), which reads as (d/dx 1) + e^(-u)."""
        mrow = super()._print_Derivative(e)
        negative = e.expr.could_extract_minus_sign()  # non-strict also brackets a product such as -u
        mrow.replaceChild(self.parenthesize(e.expr, PRECEDENCE["Mul"], strict=not negative), mrow.lastChild)
        return mrow


def _plain(text: str) -> str:
    """A text node as a textbook writes it: d and e, and U+2212 for a minus sign or a negative number."""
    if text in _PLAIN:
        return _PLAIN[text]
    return "−" + text[1:] if text[:1] == "-" and text[1:2].isdigit() else text


def _escape_markup(text: str) -> str:
    return _ENTITY.sub("&amp;", strip_controls(text)).replace("<", "&lt;").replace(">", "&gt;")


def number(value) -> str:
    """``format_value``'s number, or small array, with U+2212 for each minus sign (a hyphen is not one)."""
    return format_value(value).replace("-", "−")


def _text(text: str) -> str:
    """User text as HTML text: escaped, and without control characters (invalid in HTML)."""
    return html.escape(strip_controls(text))


def mathml(expr: sp.Basic) -> str:
    """The presentation MathML of ``expr`` (an ``mrow``, without the ``math`` wrapper)."""
    return SafeMathML().doprint(expr)


def page(title: str, sections: Iterable[str]) -> str:
    """A complete HTML5 document around already-escaped sections, with the report's style."""
    head = (f'<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_text(title)}</title>\n<style>\n{_CSS}\n</style>")
    body = "\n".join([f"<h1>{_text(title)}</h1>", *sections])
    return f'<!DOCTYPE html>\n<html lang="en">\n<head>\n{head}\n</head>\n<body>\n{body}\n</body>\n</html>\n'


def index(title: str, groups: Iterable[tuple[str, str, Iterable[tuple[str, str]]]]) -> str:
    """A page of links: one section per (heading, description, [(label, href)])."""
    sections = []
    for heading, description, links in groups:
        items = "".join(f'<li><a href="{html.escape(href)}">{_text(label)}</a></li>' for label, href in links)
        sections.append(f"<section>\n<h2>{_text(heading)}</h2>\n<p>{_text(description)}</p>\n<ul>{items}</ul>\n"
                        "</section>")
    return page(title, sections)


def report(*, title: str, backprop: Optional[Backprop] = None,
           derivations: Iterable[Derivation] = (), svg: Optional[str] = None, notes: Iterable[str] = ()) -> str:
    """A complete HTML5 document: title, circuit, remarks, derivations, then the node table."""
    sections = [circuit_section(svg)] if svg is not None else []
    sections += [notes_section(notes)] if notes else []
    sections.extend(derivation_section(d) for d in derivations)
    if backprop is not None:
        sections.append(backprop_section(backprop))
    return page(title, sections)


def network_report(*, title: str, network, svg: str, notes: Iterable[str] = ()) -> str:
    """A tensor network's page: its circuit, the remarks on the worked example, the node table."""
    sections = [circuit_section(svg)] + ([notes_section(notes)] if notes else [])
    sections.append(f"<section>\n<h2>Nodes</h2>\n{node_table(network)}\n</section>")
    return page(title, sections)


def circuit_section(svg: str) -> str:
    return f'<section>\n<h2>Circuit</h2>\n<figure class="circuit">\n{inline_svg(svg)}\n</figure>\n</section>'


def notes_section(notes: Iterable[str]) -> str:
    """What the seed's hand calculation got wrong, one item per remark."""
    items = "".join(f"<li>{_text(note)}</li>" for note in notes)
    return f"<section>\n<h2>Checked against the notes</h2>\n<ul>{items}</ul>\n</section>"


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


def derivation_section(d: Derivation) -> str:
    """The derivative in one line, then the rule tree: each rule with its general formula, the
    equation it gives, its sub-steps nested (collapsible, no script) and the result they give."""
    headline = _block(sp.Derivative(d.expression, d.wrt), d.result)
    steps = "\n".join(_step_item(step, str(i)) for i, step in enumerate(d.tree, 1))
    title = f"Derivative with respect to {_inline(mathml(d.wrt))}"
    return f'<section>\n<h2>{title}</h2>\n{headline}\n<div class="wide"><ol class="steps">\n{steps}\n</ol></div>\n</section>'


def _step_item(step, number: str) -> str:
    summary = f'<span class="num">{number}</span> <strong>{_text(step.rule)}</strong>'
    if step.formula is not None:
        general = SafeMathML({"order": "none"})
        summary += f": {_inline(general.doprint(step.formula[0]) + '<mo>=</mo>' + general.doprint(step.formula[1]))}"
    if step.parts:
        summary += ", with " + ", ".join(_inline(f"{mathml(k)}<mo>=</mo>{mathml(v)}") for k, v in step.parts)
    body = [f'<p class="note">{_text(step.note)}</p>'] if step.note else []
    body.append(f'<div class="eq">{_block(step.lhs, step.rhs)}</div>')
    if step.substeps:
        items = "\n".join(_step_item(sub, f"{number}.{i}") for i, sub in enumerate(step.substeps, 1))
        body.append(f'<ol class="steps">\n{items}\n</ol>')
    if step.result is not None:
        body.append(f'<div class="eq">{_block(step.lhs, step.result)}</div>')  # restated: read alone, it is true
    shown = " open" if number.count(".") < 1 else ""  # the first level open; deeper proofs one click away
    return f"<li><details{shown}><summary>{summary}</summary>\n" + "\n".join(body) + "\n</details></li>"


def backprop_section(r: Backprop) -> str:
    """The expression and the point, then the node table."""
    expression = _inline(f"{mathml(r.graph.nodes[r.output]['symbol'])}<mo>=</mo>{mathml(r.graph.graph['expression'])}")
    point = ", ".join(_inline(f"{_name(r, name)}<mo>=</mo><mn>{number(v)}</mn>")
                      for name, v in r.point.items())
    return (f"<section>\n<h2>Backward pass</h2>\n<p>{expression} at {point}</p>\n"
            f"{node_table(r)}\n</section>")


# Between two fractions stacked in one cell, so that they do not touch; inline, since a notebook
# cell has no stylesheet.
_STACKED = ' style="margin-top: .5rem"'


def node_table(r: Backprop) -> str:
    """Node, op, value, local gradients (symbolic = evaluated) and global gradient, forward order."""
    rows = []
    for node in graphs.topological_order(r.graph):
        data = r.graph.nodes[node]
        if data["kind"] == "op":
            op = _text(ops.gate(data).label(data["const"]))
            local = "".join(f"<div{_STACKED if i else ''}>{_local(r, u, node)}</div>"
                            for i, u in enumerate(dict.fromkeys(data["inputs"])))
        else:
            op, local = data["kind"], ""
        rows.append(f"<tr><td>{_inline(_name(r, node))}</td><td>{op}</td>"
                    f'<td class="num">{number(data["value"])}</td><td>{local}</td>'
                    f'<td class="num">{_optional(data.get("grad"))}</td></tr>')
    return ('<div class="wide"><table class="nodes">\n<thead><tr><th>node</th><th>op</th><th>value</th>'
            "<th>local gradients</th><th>global gradient</th></tr></thead>\n"
            "<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table></div>")


def _name(r: Backprop, node: str) -> str:
    """A node as the formulas write it (q1 as q with subscript 1), so table and formulas agree."""
    return mathml(r.graph.nodes[node]["symbol"])


def _local(r: Backprop, operand: str, node: str) -> str:
    """∂node/∂operand = symbolic = value, the symbolic part left out when it is already a number."""
    edge = r.graph.edges[operand, node]
    partial = (f"<mfrac><mrow><mo>&#x2202;</mo>{_name(r, node)}</mrow>"
               f"<mrow><mo>&#x2202;</mo>{_name(r, operand)}</mrow></mfrac>")
    symbolic = "" if edge["local"].is_Number else f"<mo>=</mo>{mathml(edge['local'])}"
    value = f"<mo>=</mo><mn>{number(edge['local_value'])}</mn>" if "local_value" in edge else ""
    return _inline(f"{partial}{symbolic}{value}")


def _optional(value) -> str:
    """A number, or nothing where there is none (a large Jacobian; no backward pass yet)."""
    return "" if value is None else number(value)


def _block(lhs: sp.Basic, rhs: sp.Basic) -> str:
    """``lhs = rhs`` as display MathML, with its Unicode text as ``alttext`` for screen readers."""
    alt = html.escape(strip_controls(f"{text_of(lhs)} = {text_of(rhs)}"))
    return f'<math display="block" alttext="{alt}"><mrow>{mathml(lhs)}<mo>=</mo>{mathml(rhs)}</mrow></math>'


def _inline(content: str) -> str:
    return f"<math>{content}</math>"


# --- worksheets ------------------------------------------------------------------------------------
def solution_page(solution, *, svg: Optional[str] = None, report=None) -> str:
    """A solved problem file: the circuit, the derivation, every worked step with its rule, the claims checked."""
    return page(solution.problem.title, solution_sections(solution, svg=svg, report=report))


def solution_sections(solution, *, svg: Optional[str] = None, report=None) -> list[str]:
    """The sections of :func:`solution_page`, for a page or a notebook cell to put a title above."""
    problem, work = solution.problem, solution.work
    sections = [f"<p>{_text('Source: ' + problem.source)}</p>"] if problem.source else []
    if svg is not None:
        sections.append(circuit_section(svg))
    if isinstance(work, Derivation):
        sections.append(derivation_section(work))
    rows = []
    for q in solution.quantities.values():
        formula = mathml(q.expr) if q.expr is not None and not isinstance(q.value, sp.Basic) else ""
        value = _inline(mathml(q.value)) if isinstance(q.value, sp.Basic) else _text(number(q.value))
        rows.append(f"<tr><td>{_text(q.label)}</td><td>{_inline(formula) if formula else _text(q.formula)}</td>"
                    f'<td class="num">{value}</td><td class="rule">{_text(q.rule)}</td></tr>')
    sections.append('<section>\n<h2>Worked steps</h2>\n<div class="wide"><table class="steps">\n'
                    "<thead><tr><th>quantity</th><th>formula</th><th>value</th><th>rule</th></tr></thead>\n"
                    "<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table></div>\n</section>")
    if problem.notes:
        sections.append(notes_section([problem.notes]))
    if report is not None and report.verdicts:
        sections.append(claims_section(report))
    return sections


def claims_section(report) -> str:
    """Each graded claim as its verdict line (✓ or ✗, the correct value, why), then the tally."""
    items = "".join("<li>" + "<br>".join(_text(line.strip()) for line in v.line().splitlines()) + "</li>"
                    for v in report.verdicts)
    tally = _text(report.lines()[-1].strip())
    return f"<section>\n<h2>The claims, checked</h2>\n<ul>{items}</ul>\n<p>{tally}</p>\n</section>"

"""Presentation MathML of a SymPy expression, as a textbook writes it and safe to put in a page.

SymPy's printer with the text printer's notation: d/dx for a derivative in one
variable, tanh²(x) with the power on the name, e^{−x} (not 1/eˣ), U+2212 for
minus, and a function applied to its argument with U+2061 between them, so that
a browser sets tanh(x) tight. Every text node is escaped, because SymPy writes
symbol names into MathML raw.
"""

from __future__ import annotations

import html
import re
from typing import Optional

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.mathml import MathMLPresentationPrinter
from sympy.printing.precedence import PRECEDENCE

from symdl.printing.names import accented, gradient_parts
from symdl.printing.notation import heaviside_arguments
from symdl.printing.order import positive_first, summand
from symdl.printing.texsafe import TWO_LETTER_GREEK, strip_controls
from symdl.printing.text import function_name
from symdl.printing.text import text as text_of
from symdl.sympy_function import IndexedFunction

# What SymPy's MathML writes that a textbook does not: double-struck ⅆ and ⅇ, a hyphen for minus.
_PLAIN = {"&dd;": "d", "&ExponentialE;": "e", "-": "−"}
# An entity reference SymPy writes on purpose (&dd;, &#xB7;, &InvisibleTimes;); every other "&" is text.
_ENTITY = re.compile(r"&(?!#?\w+;)")
APPLY = "&#x2061;"  # U+2061 FUNCTION APPLICATION: tanh⁡(x), no gap between a name and its bracket
TIMES = "&InvisibleTimes;"


class SafeMathML(MathMLPresentationPrinter):
    """SymPy's presentation MathML with every text node escaped and a textbook's notation.

    SymPy writes text nodes raw so that its own entities survive, which lets a
    symbol named ``<script>…`` become markup. Escaping ``<``, ``>`` and stray
    ``&`` at node creation keeps the entities and makes names plain text.
    """

    def __init__(self, settings: Optional[dict] = None):
        super().__init__(settings)
        raw = self.dom.createTextNode
        self.dom.createTextNode = lambda data: raw(_escape_markup(_plain(data)))

    def _as_ordered_terms(self, expr, order=None):
        """A sum's positive terms first, as the text and LaTeX printers write it: z − w, not −w + z."""
        terms = super()._as_ordered_terms(expr, order=order)
        return terms if (order or self._settings.get("order")) == "none" else positive_first(terms)

    def _print_Symbol(self, sym: sp.Symbol, style: str = "plain"):
        """As SymPy prints it, but a two-letter subscript is two indices: W_xi is W with x and i, not W_ξ,
        and PE_1_0 is PE with 1,0;
        a gradient's symbol ∂L/∂W as the fraction it names."""
        parts = gradient_parts(sym.name)
        if parts is not None:
            fraction = self.dom.createElement("mfrac")
            for part in parts:
                row = self.dom.createElement("mrow")
                row.appendChild(self._operator("∂"))
                row.appendChild(self._print_Symbol(sp.Symbol(part), style=style))
                fraction.appendChild(row)
            return fraction
        name, supers, subs = self._split_super_sub(sym.name)
        letter, hatted = accented(name)
        if hatted:
            return self._hatted(sp.Symbol(letter + sym.name[len(name):]), style)
        numbered = len(subs) > 1 and all(sub.isdigit() for sub in subs)  # PE_1_0 as PE₁,₀, not PE₁ ₀
        if supers or not (numbered or any(sub in TWO_LETTER_GREEK for sub in subs)) or style != "plain":
            return super()._print_Symbol(sym, style=style)
        node = self.dom.createElement("msub")
        node.appendChild(super()._print_Symbol(sp.Symbol(name)))
        node.appendChild(self._identifier(("," if numbered else " ").join(subs)))
        return node

    _print_MatrixSymbol = _print_Symbol

    def _hatted(self, sym: sp.Symbol, style: str):
        """``sym`` with a circumflex over its letter (zhat as ẑ, as SymPy's LaTeX writes \\hat{z})."""
        node = self._print_Symbol(sym, style=style)
        letter = node if node.tagName == "mi" else node.firstChild
        accent = self.dom.createElement("mover")
        accent.setAttribute("accent", "true")
        if letter is not node:
            node.replaceChild(accent, letter)
        accent.appendChild(letter)
        accent.appendChild(self._operator("^"))
        return node if letter is not node else accent

    def _print_Identity(self, e):
        """I, as the text and LaTeX printers write it (SymPy's MathML writes a double-struck 𝕀); 1 for 1×1."""
        return self._identifier("I", mathvariant="normal") if e.rows > 1 else self._print(sp.Integer(1))

    def _print_OneMatrix(self, e):
        """Ones by their shape, as the text printer writes them: 𝟙 a column, 𝟙ᵀ a row, 𝟙𝟙ᵀ a block, 1 for 1×1
        (SymPy writes 𝟙 for every shape, so 𝟙 z would read as a column times a column)."""
        rows, cols = e.shape
        column, row = self._identifier("𝟙"), self._print(sp.Transpose(sp.MatrixSymbol("𝟙", cols, 1)))
        if rows == 1:
            return row if cols > 1 else self._print(sp.Integer(1))
        if cols == 1:
            return column
        mrow = self.dom.createElement("mrow")
        mrow.appendChild(column)
        mrow.appendChild(row)
        return mrow

    def _print_Trace(self, e):
        """tr(A), as the text and LaTeX printers write a trace."""
        mrow = self.dom.createElement("mrow")
        mrow.appendChild(self._identifier("tr"))
        mrow.appendChild(self._paren_comma_separated(e.arg))
        return self._applied(mrow)

    def _print_BlockMatrix(self, e):
        """[H₁ H₂]: the blocks as a matrix of matrices, as a concatenation reads."""
        return self._print(e.blocks)

    def _print_Function(self, e: sp.Function):
        """The op record's glyph (σ, ReLU) where it is a name, else SymPy's; applied with U+2061."""
        mrow = super()._print_Function(e)
        name = function_name(e)
        if name != type(e).__name__:
            mrow.replaceChild(self._identifier(name), mrow.firstChild)
        return self._applied(mrow)

    def _print_Heaviside(self, e):
        """H(x) or H(x, c), as :func:`symdl.printing.notation.heaviside_arguments` says."""
        mrow = self.dom.createElement("mrow")
        mrow.appendChild(self._identifier("H"))
        mrow.appendChild(self._paren_comma_separated(*heaviside_arguments(e)))
        return self._applied(mrow)

    def _print_Piecewise(self, e: sp.Piecewise):
        """Cases, as a textbook writes a step's derivative: a brace, each value with its condition."""
        table = self.dom.createElement("mtable")
        table.setAttribute("columnalign", "left left")
        for value, condition in e.args:
            row = self.dom.createElement("mtr")
            for content in (self._print(value), self._condition(condition)):
                cell = self.dom.createElement("mtd")
                cell.appendChild(content)
                row.appendChild(cell)
            table.appendChild(row)
        mrow = self.dom.createElement("mrow")
        mrow.appendChild(self._operator("{"))
        mrow.appendChild(table)
        return mrow

    def _condition(self, condition):
        if condition == sp.true:
            return self._text("otherwise")
        mrow = self.dom.createElement("mrow")
        mrow.appendChild(self._text("if\u00a0"))
        mrow.appendChild(self._print(condition))
        return mrow

    def _text(self, words: str):
        node = self.dom.createElement("mtext")
        node.appendChild(self.dom.createTextNode(words))
        return node

    def _applied(self, mrow):
        """``<mi>name</mi><mo>&#x2061;</mo><mrow>(…)</mrow>``: the name applied to its bracket."""
        mrow.insertBefore(self._operator(APPLY), mrow.firstChild.nextSibling)
        return mrow

    def _paren_comma_separated(self, *args):
        return _fenced(super()._paren_comma_separated(*args))

    def parenthesize(self, item, level, strict=False):
        return _fenced(super().parenthesize(item, level, strict))

    def _print_Pow(self, e: sp.Pow):
        """tanh²(x), as textbooks write a function's power: the exponent on the name; an indexed op's
        component softmax(x)₁² with the exponent over its index, the square of the component."""
        base, exponent = e.args
        if exponent.is_Integer and exponent > 0 and isinstance(base, IndexedFunction):
            component = self._print(base)  # an msub: the function applied, and its index
            power = self.dom.createElement("msubsup")
            for part in (*component.childNodes, self._print(exponent)):
                power.appendChild(part)
            return power
        if exponent.is_Integer and exponent > 0 and isinstance(base, sp.Function) \
                and not isinstance(base, (AppliedUndef, sp.Abs, sp.Heaviside)):
            mrow = self._print(base)
            power = self.dom.createElement("msup")
            name = mrow.firstChild
            mrow.replaceChild(power, name)
            power.appendChild(name)
            power.appendChild(self._print(exponent))
            return mrow
        return super()._print_Pow(e)

    def _print_Mul(self, e: sp.Mul):
        """A decaying exponential stays a factor, −e^{−x} and x·e^{−x²/2}: SymPy would move it under
        the fraction bar as 1/eˣ, a form no textbook writes."""
        if len(e.args) == 2 and e.args[0] == -1 and e.args[1].is_Add:  # −(a + b) kept so: SymPy drops its brackets
            mrow = self.dom.createElement("mrow")
            mrow.appendChild(self._operator("-"))
            mrow.appendChild(self.parenthesize(e.args[1], PRECEDENCE["Mul"], False))
            return mrow
        factors = sp.Mul.make_args(e)
        decaying = [f for f in factors if isinstance(f, sp.exp) and f.args[0].could_extract_minus_sign()]
        if not decaying:
            return super()._print_Mul(e)
        rest = sp.Mul(*(f for f in factors if f not in decaying))
        mrow = self.dom.createElement("mrow")
        if rest.could_extract_minus_sign():
            mrow.appendChild(self._operator("-"))
            rest = -rest
        pieces = [self._print(factor) for factor in decaying]
        if rest != 1:
            printed = self.parenthesize(rest, PRECEDENCE["Mul"], False) if rest.is_Add else self._print(rest)
            # a derivative still to work out goes last: e^{−x}·d/dx(−x), which reads as the chain rule,
            # not d/dx(−x) e^{−x}, which reads as the derivative of a product
            pieces = pieces + [printed] if rest.has(sp.Derivative) else [printed] + pieces
        for i, piece in enumerate(pieces):
            if i:  # a visible dot before the derivative, as the text printer writes e^{−x}·d/dx(−x)
                last = i == len(pieces) - 1 and rest.has(sp.Derivative)
                mrow.appendChild(self._operator("\u00b7" if last else TIMES))
            mrow.appendChild(piece)
        return mrow

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

    def _print_MatMul(self, e):
        """A matrix product with each ⊙ or sum factor in parentheses: (p ⊙ v) 𝟙, never p ⊙ v 𝟙; a fraction's
        denominator under the product, S/2, as SymPy writes a number's x/2."""
        coefficient, factors = e.as_coeff_matrices()
        numerator, denominator = coefficient.as_numer_denom()
        mrow = self.dom.createElement("mrow")
        if denominator != 1:
            if numerator < 0:
                mrow.appendChild(self._operator("-"))
            fraction = self.dom.createElement("mfrac")
            fraction.appendChild(self._print(sp.MatMul(abs(numerator), *factors)))
            fraction.appendChild(self._print(denominator))
            mrow.appendChild(fraction)
            return mrow
        if coefficient == -1:
            mrow.appendChild(self._operator("-"))
        elif coefficient != 1:
            mrow.appendChild(self._print(coefficient))
            mrow.appendChild(self._operator(TIMES))
        for i, factor in enumerate(factors):
            if i:
                mrow.appendChild(self._operator(TIMES))
            grouped = isinstance(factor, (sp.HadamardProduct, sp.MatAdd))
            # SymPy's MathML parenthesize brackets an equal precedence when strict is False
            mrow.appendChild(self.parenthesize(factor, PRECEDENCE["Mul"], False) if grouped else self._print(factor))
        return mrow

    def _print_MatAdd(self, e):
        """Positive terms first, as the text printer writes it: v − (p ⊙ v) 𝟙, not −(p ⊙ v) 𝟙 + v."""
        terms = positive_first(e.args)
        mrow = self.dom.createElement("mrow")
        mrow.appendChild(self._print(summand(terms[0])))
        for term in terms[1:]:
            negative = term.could_extract_minus_sign()
            mrow.appendChild(self._operator("-" if negative else "+"))
            shown = summand(-term if negative else term)
            mrow.appendChild(self.parenthesize(shown, PRECEDENCE["Add"], False) if negative else self._print(shown))
        return mrow

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

    def _identifier(self, name: str, **attributes: str):
        element = self.dom.createElement("mi")
        for key, value in attributes.items():
            element.setAttribute(key, value)
        element.appendChild(self.dom.createTextNode(name))
        return element

    def _print_Derivative(self, e: sp.Derivative):
        """d/dx in one variable, as the text printer writes it (SymPy writes ∂ as soon as the
        expression has another letter, c·f(x)); a sum or a negation after it bracketed, since
        SymPy's d/dx 1 + e^(-u) reads as (d/dx 1) + e^(-u)."""
        mrow = super()._print_Derivative(e)
        glyph = "d" if len(e.variables) == 1 else "&#x2202;"
        for mo in mrow.firstChild.getElementsByTagName("mo"):  # an upright letter, set tight: dx, not d x
            mo.parentNode.replaceChild(self._identifier(glyph, mathvariant="normal"), mo)
        negative = e.expr.could_extract_minus_sign()  # non-strict also brackets a product such as -u
        mrow.replaceChild(self.parenthesize(e.expr, PRECEDENCE["Mul"], strict=not negative), mrow.lastChild)
        return mrow


def _fenced(mrow):
    """Brackets at the text's size around a flat argument: Chromium stretches a bracket to a larger
    glyph variant whose side bearings print tanh ( x ); around a fraction they still stretch."""
    first, last = mrow.firstChild, mrow.lastChild
    if mrow.tagName == "mrow" and first is not last and first.tagName == "mo" and first.firstChild.data == "(" \
            and last.tagName == "mo" and last.firstChild.data == ")" and not mrow.getElementsByTagName("mfrac"):
        for bracket in (first, last):
            bracket.setAttribute("stretchy", "false")
    return mrow


def _plain(text: str) -> str:
    """A text node as a textbook writes it: d and e, and U+2212 for a minus sign or a negative number."""
    if text in _PLAIN:
        return _PLAIN[text]
    return "−" + text[1:] if text[:1] == "-" and text[1:2].isdigit() else text


def _escape_markup(text: str) -> str:
    return _ENTITY.sub("&amp;", strip_controls(text)).replace("<", "&lt;").replace(">", "&gt;")


def escaped(text: str) -> str:
    """User text as HTML text: escaped, and without control characters (invalid in HTML)."""
    return html.escape(strip_controls(text))




def mathml(expr: sp.Basic, settings: Optional[dict] = None) -> str:
    """The presentation MathML of ``expr`` (an ``mrow``, without the ``math`` wrapper)."""
    return SafeMathML(settings).doprint(expr)


def inline(content: str) -> str:
    return f"<math>{content}</math>"


def block(lhs: sp.Basic, rhs: sp.Basic) -> str:
    """``lhs = rhs`` as display MathML, with its Unicode text as ``alttext`` for screen readers."""
    alt = html.escape(strip_controls(f"{text_of(lhs)} = {text_of(rhs)}"))
    return f'<math display="block" alttext="{alt}"><mrow>{mathml(lhs)}<mo>=</mo>{mathml(rhs)}</mrow></math>'

"""Safe TeX from user text: the one place where names and expressions become TeX.

A symbol may be called anything (``\\input{/etc/passwd}``, ``\\write18{rm}``), and
``sympy.latex`` copies names into its output verbatim, so every printer that
writes TeX goes through :func:`tex_escape` (for text) or :func:`latex_of` (for
SymPy objects). Plain identifiers keep SymPy's typesetting (``w0`` → ``w_{0}``,
``alpha`` → ``\\alpha``); any other name becomes ``\\text{…}`` of its escaped text.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import sympy as sp
from sympy.printing.conventions import split_super_sub
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from symdl.numbers import SMALL_ARRAY, format_value, squeezed
from symdl.printing.names import gradient_parts
from symdl.printing.notation import heaviside_arguments
from symdl.printing.order import positive_first, summand

PLAIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")

# Control words that read or write files or redefine TeX; SymPy never emits them,
# so finding one in printed output means user text got through unescaped.
_FORBIDDEN = re.compile(
    r"\\(?:input|include|InputIfFileExists|write|immediate|openout|openin|read|newwrite|special"
    r"|def|edef|gdef|xdef|let|catcode|csname|usepackage|documentclass)(?![A-Za-z])"
)

_TEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\textasciicircum{}",
    "_": r"\_",
    "%": r"\%",
    "~": r"\textasciitilde{}",
    "<": r"\textless{}",  # OT1 fonts would print ¡ ¿ and — for these three
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}


# Characters that symdl's own prose uses (rules, notes), written as commands so that a document
# is plain ASCII for every TeX engine; any other character outside ASCII prints as a boxed "?".
_UNICODE = {
    "−": r"\ensuremath{-}", "·": r"\ensuremath{\cdot}", "×": r"\ensuremath{\times}", "÷": r"\ensuremath{\div}",
    "±": r"\ensuremath{\pm}", "²": r"\ensuremath{^{2}}", "³": r"\ensuremath{^{3}}", "¹": r"\ensuremath{^{1}}",
    "⁰": r"\ensuremath{^{0}}", "ⁿ": r"\ensuremath{^{n}}", "⁻": r"\ensuremath{^{-}}", "′": r"\ensuremath{'}",
    "∂": r"\ensuremath{\partial}", "√": r"\ensuremath{\surd}", "∑": r"\ensuremath{\sum}", "∞": r"\ensuremath{\infty}",
    "≤": r"\ensuremath{\leq}", "≥": r"\ensuremath{\geq}", "≠": r"\ensuremath{\neq}", "≈": r"\ensuremath{\approx}",
    "→": r"\ensuremath{\to}", "←": r"\ensuremath{\leftarrow}", "∈": r"\ensuremath{\in}", "…": r"\ldots{}",
    "–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''",
    "α": r"\ensuremath{\alpha}", "β": r"\ensuremath{\beta}", "γ": r"\ensuremath{\gamma}",
    "δ": r"\ensuremath{\delta}", "ε": r"\ensuremath{\varepsilon}", "η": r"\ensuremath{\eta}",
    "θ": r"\ensuremath{\theta}", "λ": r"\ensuremath{\lambda}", "μ": r"\ensuremath{\mu}",
    "π": r"\ensuremath{\pi}", "σ": r"\ensuremath{\sigma}", "τ": r"\ensuremath{\tau}",
    "φ": r"\ensuremath{\varphi}", "ω": r"\ensuremath{\omega}", "Σ": r"\ensuremath{\Sigma}",
    "Δ": r"\ensuremath{\Delta}", "∇": r"\ensuremath{\nabla}", "⊙": r"\ensuremath{\odot}",
    "⋆": r"\ensuremath{\star}", "½": r"\ensuremath{\frac{1}{2}}", "⇒": r"\ensuremath{\Rightarrow}",
    "°": r"\ensuremath{^{\circ}}", "‖": r"\ensuremath{\|}", "⌊": r"\ensuremath{\lfloor}", "⌋": r"\ensuremath{\rfloor}",
    "ẑ": r"\ensuremath{\hat{z}}", "∗": r"\ensuremath{\ast}",
    # a verdict's marks, both amssymb's (MSAM10, a Type 1 font on every engine): its check, not √, and a
    # cross of its two diagonals, the check's size (\times, a multiplication sign, reads as one)
    "✓": r"\ensuremath{\checkmark}", "✗": r"\mbox{\ooalign{$\diagup$\cr$\diagdown$\cr}}",
    "ᵀ": r"\ensuremath{^{\top}}", "⁺": r"\ensuremath{^{+}}", "⁽": r"\ensuremath{^{(}}", "⁾": r"\ensuremath{^{)}}",
    **{chr(0x2080 + d): rf"\ensuremath{{_{{{d}}}}}" for d in range(10)},  # ₀ … ₉
    **{s: rf"\ensuremath{{^{{{d}}}}}" for d, s in zip(range(4, 10), "⁴⁵⁶⁷⁸⁹")},
    "⁰": r"\ensuremath{^{0}}", "ˣ": r"\ensuremath{^{x}}",
    "₋": r"\ensuremath{_{-}}", "₊": r"\ensuremath{_{+}}",
    **{s: rf"\ensuremath{{_{{{letter}}}}}" for letter, s in zip("aehijklmnoprstuvx", "ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")},  # hₜ₋₁, dₖ, sᵢ
}
_UNKNOWN_CHARACTER = r"\fbox{?}"
_LATIN1_LETTER = re.compile(r"[À-ÖØ-öø-ÿ]")
_ACCENTS = {"\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0303": "~", "\u0308": '"', "\u0327": "c"}


def _printable(char: str) -> bool:
    """False for control characters, lone surrogates and the XML non-characters."""
    return unicodedata.category(char) not in ("Cc", "Cs") and char not in "\ufffe\uffff"


def strip_controls(text: str) -> str:
    """``text`` without control characters (they would end lines, or make XML invalid)."""
    return "".join(c for c in text if _printable(c))


def tex_escape(text: str) -> str:
    """``text`` as literal ASCII TeX text: every special character escaped, controls dropped, other
    characters as commands (é as \\'{e}, − as a math minus)."""
    return "".join(_tex_character(c) for c in strip_controls(str(text)))


def math_symbol(c: str) -> str:
    """One character as math: a letter, digit or ASCII operator as it is, a symbol as its command
    (− as -, ⊙ as \\odot), anything else as escaped text."""
    if c.isascii() and (c.isalnum() or c in "=+-/*<>|()[],.;:!'"):
        return c
    tex = _UNICODE.get(c, "")
    if tex.startswith("\\ensuremath{"):
        return tex[len("\\ensuremath{"):-1]
    return r"\text{%s}" % _tex_character(c)


def _tex_character(c: str) -> str:
    if c in _TEX_SPECIALS:
        return _TEX_SPECIALS[c]
    if c.isascii():
        return c
    if c in _UNICODE:
        return _UNICODE[c]
    decomposed = unicodedata.normalize("NFD", c)
    if _LATIN1_LETTER.match(c) and len(decomposed) == 2 and decomposed[1] in _ACCENTS:
        return f"\\{_ACCENTS[decomposed[1]]}{{{decomposed[0]}}}"
    return _UNKNOWN_CHARACTER


TWO_LETTER_GREEK = frozenset({"mu", "nu", "pi", "xi"})  # as subscripts, two indices: W_xi, not W_ξ


class _SafeLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with every name (symbols, functions, class names) passed
    through one hook: plain identifiers as SymPy prints them, anything else as text."""

    def _as_ordered_terms(self, expr, order=None):
        """A sum's positive terms first, as the text printer and a textbook write it: z − w, not −w + z."""
        terms = super()._as_ordered_terms(expr, order=order)
        return terms if (order or self.order) == "none" else positive_first(terms)

    def _print_MatAdd(self, e: sp.MatAdd) -> str:
        """Positive terms first, as for a sum of numbers: Z + M, v − (p ⊙ v) 1, not −(p ⊙ v) 1 + v."""
        terms = positive_first(e.args)
        tex = self._print(summand(terms[0]))
        for term in terms[1:]:
            negative = term.could_extract_minus_sign()
            shown = self.parenthesize(summand(-term), PRECEDENCE["Add"]) if negative else self._print(summand(term))
            tex += f" - {shown}" if negative else f" + {shown}"
        return tex

    def _deal_with_super_sub(self, string: str, style: str = "plain") -> str:
        """A plain name as SymPy prints it, but a two-letter subscript is two indices (W_xi is W with x
        and i, the input weight of gate i), never the Greek letter ξ; other names as text."""
        parts = gradient_parts(string)
        if parts is not None and all(PLAIN_NAME.match(part) for part in parts):  # ∂L/∂W, a network's gradient
            top, bottom = (self._deal_with_super_sub(part, style=style) for part in parts)
            return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"
        if not PLAIN_NAME.match(string):
            return r"\text{%s}" % tex_escape(string)
        name, supers, subs = split_super_sub(string)
        if supers or not any(sub in TWO_LETTER_GREEK for sub in subs):
            return super()._deal_with_super_sub(string, style=style)
        indices = " ".join(sub if sub in TWO_LETTER_GREEK else super()._deal_with_super_sub(sub) for sub in subs)
        return f"{super()._deal_with_super_sub(name, style=style)}_{{{indices}}}"

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        """A name of several letters upright as one word (``pm`` as \\mathrm{pm}, not p times m);
        one letter, or a Greek letter's name, as SymPy prints it."""
        tex = super()._print_Symbol(expr, style=style)
        base = split_super_sub(expr.name)[0]
        if PLAIN_NAME.match(expr.name) and len(base) > 1 and base.isalpha() and tex.startswith(base):
            return rf"\mathrm{{{base}}}" + tex[len(base):]
        return tex

    def _print_Heaviside(self, e: sp.Heaviside, exp=None) -> str:
        """H(x) or H(x, c), as the text and HTML printers write the step (SymPy writes θ(x)); see
        :func:`symdl.printing.notation.heaviside_arguments`."""
        tex = rf"H\left({', '.join(self._print(a) for a in heaviside_arguments(e))}\right)"
        return tex if exp is None else rf"{tex}^{{{exp}}}"

    def _print_MatMul(self, e: sp.MatMul) -> str:
        """A fraction's denominator under the product, \\frac{S}{2}, as a number's \\frac{x}{2} is written."""
        coefficient, factors = e.as_coeff_matrices()
        numerator, denominator = coefficient.as_numer_denom()
        if denominator == 1:
            return super()._print_MatMul(e)
        unit = abs(numerator) == 1  # SymPy would print the 1 of 1·S
        top = self._print(factors[0] if unit and len(factors) == 1 else
                          sp.MatMul(*(() if unit else (abs(numerator),)), *factors))
        return ("- " if numerator < 0 else "") + rf"\frac{{{top}}}{{{self._print(denominator)}}}"

    def _print_OneMatrix(self, e) -> str:
        """Ones by their shape, as the text printer writes them: a bold 1 for a column, its transpose for a
        row, 1 1ᵀ for a block, so a product with them reads true (SymPy writes a bare 1 for each)."""
        rows, cols = e.shape
        return " ".join(([r"\mathbf{1}"] if rows > 1 else []) + ([r"\mathbf{1}^{T}"] if cols > 1 else [])) or "1"

    def _print_HadamardProduct(self, e: sp.HadamardProduct) -> str:
        """A ⊙ B, as the text and diagram glyphs write the element-wise product (SymPy writes A ∘ B)."""
        return r" \odot ".join(self.parenthesize(arg, PRECEDENCE["Pow"], strict=True) for arg in e.args)

    def _print_Identity(self, e) -> str:
        """I, but 1 for the 1×1 identity that a product of two numbers' shapes makes (the text printer's too)."""
        return "I" if e.rows > 1 else "1"

    def _print_Str(self, s: sp.Basic) -> str:
        return self._deal_with_super_sub(str(s.name))


def latex_of(expr: sp.Basic, **settings) -> str:
    """``sympy.latex(expr)`` (with SymPy's printer ``settings``, e.g. ``order="none"``), safe for any
    symbol name; if the result still holds a file or definition command, the whole expression is
    printed as escaped text."""
    if not isinstance(expr, sp.Basic):  # never sympify: a string would be evaluated as Python
        return r"\text{%s}" % tex_escape(str(expr))
    try:
        tex = _SafeLatexPrinter(settings).doprint(expr)
    except (TypeError, ValueError, AttributeError):
        tex = None
    if tex is None or _FORBIDDEN.search(tex):
        return r"\text{%s}" % tex_escape(str(expr))
    return tex


def is_safe(tex: str) -> bool:
    """True when ``tex`` holds none of the file or definition commands."""
    return _FORBIDDEN.search(tex) is None


def tex_number(value, whole: bool = False) -> str:
    """``format_value``'s number as math (``1.55 \\times 10^{4}``); a small array as a bmatrix (a
    1×5×5 tensor as its 5×5 matrix, its shape after it, as :func:`~symdl.numbers.squeezed` has it), a
    large one by its shape, unless ``whole`` asks for every entry (the numbers a question gives)."""
    if isinstance(value, np.ndarray) and value.size != 1:
        matrix, shape = squeezed(value)
        if matrix.ndim > 2 or (value.size > SMALL_ARRAY and not whole):
            return r"\text{%s}" % tex_escape(format_value(value))
        rows = np.atleast_2d(matrix)
        body = r" \\ ".join(" & ".join(tex_number(v) for v in row) for row in rows)
        return r"\begin{bmatrix} %s \end{bmatrix}" % body + shape.replace("×", r" \times ").replace(" (", r"\ (")
    text = format_value(value)
    if "inf" in text:
        return text.replace("inf", r"\infty")  # a masked score, −∞
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"

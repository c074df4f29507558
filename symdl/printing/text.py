"""The text printer: Unicode mathematics for a terminal, as a textbook writes it.

``d/dx tanh(x) = 1 − tanh²(x)``, not ``Derivative(tanh(x), x) = 1 - tanh(x)**2``:
derivatives as d/dx, powers as superscripts (a function's power on its name,
tanh²(x)), the minus sign U+2212, σ and the other glyphs of the op records,
products with a middle dot or, after a number, side by side (3x, 2(1 − σ)).
Like SymPy's printers it dispatches on the class name of what it prints
(``_print_Derivation``), so the model classes import nothing from here.
"""

from __future__ import annotations

import re
import string
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from symdl import graph as graphs
from symdl import ops
from symdl.letters import RAISED, SUPERSCRIPT_MINUS
from symdl.numbers import format_value, shown
from symdl.printing.names import SUBSCRIPT, lowerable, written
from symdl.printing.notation import heaviside_arguments
from symdl.printing.order import positive_first, summand
from symdl.printing.text_reports import ReportText, aligned
from symdl.sympy_function import IndexedFunction

_SUPERSCRIPT = str.maketrans({**{d: RAISED[d] for d in string.digits}, "-": SUPERSCRIPT_MINUS})
_RAISED_LETTERS = {c: RAISED[c] for c in string.ascii_lowercase if c in RAISED}  # no q: Unicode has none
# 3*x, 2*(…): a number written beside a parenthesis or a lone name (not beside a call: 2·exp(x), nor
# beside e1, since 2e1 is the number 20)
_COEFFICIENT = re.compile(r"^(\d+(?:\.\d+)?)\*(?!d/d|[eE]\d)(?=\(|[^\W\d][\w′]*(?:[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]*)(?:\*|$|/))")
_INDENT = "   "
_CALLS = (sp.Function, sp.Abs, sp.Max, sp.Min)  # printed name(args): no parentheses needed around them


_HYPHEN_AS_MINUS = re.compile(r"(?<![A-Za-z])-|-(?![A-Za-z])")
_LETTER_TIMES_GROUP = re.compile(r"(?<![\w′])([^\W\d_][₀-₉ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ]*)·\(")  # a lone letter, then ·(


class _Numbers:
    """A str printer's ``numbers`` setting, {symbol: value}: each such symbol printed as its number, in
    parentheses where negative, so that a worked step's formula reads again with its operands' values."""

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        if expr in self._settings["numbers"]:
            number = self._number(self._settings["numbers"][expr])
            return f"({number})" if number.startswith(("-", "−")) else number
        return self._name(expr)


class TextPrinter(_Numbers, ReportText, StrPrinter):
    """SymPy's str printer with the notation of a mathematics textbook."""

    printmethod = "_sympystr"  # the hook of SymPy's str printer, which tensor forms define (diag, v ↦ v xᵀ)
    # letters: a rule's general formula, written in letters, puts a letter beside a parenthesis: sᵢ(δᵢⱼ − sⱼ)
    # numbers: {symbol: value}, each such symbol printed as its number, (−1) in parentheses where negative
    # but bare as a call's argument: a worked step's formula again with its operands' values, w0·x0 = 2·(−1)
    _default_settings = {**StrPrinter._default_settings, "letters": False, "numbers": {}}

    def doprint(self, expr: Any) -> str:
        """Every minus as U+2212, but a hyphen between letters stays one (a rule's name, tanh-of-exp);
        prose (a solution, a report) keeps its own hyphens and converts only its numbers' minus signs."""
        printed = super().doprint(expr)
        return printed if type(expr).__name__ in self.PROSE else _HYPHEN_AS_MINUS.sub("−", printed)

    def _as_ordered_terms(self, expr, order=None):
        """A sum's positive terms first, as a textbook writes it: z − w and 1 − tanh², not −w + z; a
        number just before the first term with a function in it (1 + eˣ, 3x² + 1 − tanh²(x)), so a
        polynomial keeps it last (x + 1)."""
        terms = super()._as_ordered_terms(expr, order=order)
        if (order or self.order) == "none":
            return terms
        terms = positive_first(terms)
        number = next((t for t in terms if t.is_Number and t > 0), None)
        first = next((i for i, t in enumerate(terms) if t.atoms(sp.Function)), None)
        if number is None or first is None or terms.index(number) < first:
            return terms
        rest = [t for t in terms if t is not number]
        return rest[:first] + [number] + rest[first:]

    def _print(self, expr, **kwargs) -> str:
        """An indexed op's component as a textbook writes it, softmax(x1, x2)₁, before the expression text
        softmax(x1, x2)[1] that its class gives SymPy's str printer (and symdl's parser reads back)."""
        return self._component(expr) if isinstance(expr, IndexedFunction) else super()._print(expr, **kwargs)

    def _component(self, expr: IndexedFunction, power: str = "") -> str:
        """``softmax(x1, x2, x3)ᵢ``, raised after the index (sᵢ² is the square of the component); an
        index Unicode cannot lower in parentheses after an underscore: softmax(x)_(k + 1)."""
        *arguments, index = expr.args
        name, shown = function_name(expr), self._print(index)
        lowered = shown.translate(SUBSCRIPT) if lowerable(shown) else f"_({shown})"
        return f"{name}({', '.join(self._argument(a) for a in arguments)}){lowered}{power}"

    def _name(self, expr: sp.Symbol) -> str:
        """x_1 as x₁, s_i as sᵢ, delta_ij as δᵢⱼ: a subscript that Unicode can lower, a Greek letter by its
        name. x1 stays x1: a diagram's node is named so, and its gradients must name it alike."""
        return written(expr.name)

    _number = staticmethod(shown)

    def _argument(self, expr: sp.Expr) -> str:
        """A call's argument: a number standing for a symbol without the parentheses its minus takes
        elsewhere (exp(−1), not exp((−1)))."""
        printed = self._print(expr)
        return printed[1:-1] if expr in self._settings["numbers"] and printed.startswith("(") else printed

    _print_Dummy = _Numbers._print_Symbol

    def _print_MatrixSymbol(self, expr: sp.MatrixSymbol) -> str:
        """alpha as α; W_hi stays W_hi (its index as written: see :func:`symdl.printing.names.written`)."""
        return written(expr.name, lower=False)

    def _print_Exp1(self, expr) -> str:
        return "e"

    def _print_Pi(self, expr) -> str:
        return "π"

    def _print_ImaginaryUnit(self, expr) -> str:
        return "i"

    def _print_Infinity(self, expr) -> str:
        return "∞"

    def _print_NegativeInfinity(self, expr) -> str:
        return "-∞"

    def _print_Mul(self, expr: sp.Mul) -> str:
        text = super()._print_Mul(expr)  # every factor is printed by this printer: no "*" is left in them
        sign = "-" if text.startswith("-") else ""
        body = text[len(sign):] if self._settings["numbers"] else _COEFFICIENT.sub(r"\1", text[len(sign):])
        body = body.replace("*", "·")  # with numbers, 2·(−1): 2(−1) would read as a call
        if self._settings["letters"]:  # a rule in letters: sᵢ(δᵢⱼ − sⱼ), as a textbook writes it
            body = _LETTER_TIMES_GROUP.sub(r"\1(", body)
        return sign + body

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        base, exponent = expr.args
        if exponent is sp.S.Half:
            return "√" + self._atom(base)
        if exponent.is_Integer and exponent.is_negative:
            return "1/" + self._atom(base ** -exponent)
        if base is sp.E:
            return "e" + self._superscript(exponent)
        if exponent.is_Integer and isinstance(base, IndexedFunction):
            return self._component(base, self._superscript(exponent))
        if exponent.is_Integer and isinstance(base, sp.Function) and not isinstance(base, (AppliedUndef, sp.Abs, sp.Heaviside)):
            name, arguments = self._function_parts(base)
            return f"{name}{str(exponent).translate(_SUPERSCRIPT)}({arguments})"
        if base in self._settings["numbers"]:  # 2², (−3)², (0.731059)²: 0.731059² would read as digits raised
            bare = float(self._settings["numbers"][base]).is_integer() and self._settings["numbers"][base] >= 0
            return (self._argument(base) if bare else f"({self._argument(base)})") + self._superscript(exponent)
        return self._atom(base) + self._superscript(exponent)

    def _superscript(self, exponent: sp.Expr) -> str:
        if exponent.is_Integer:
            return str(exponent).translate(_SUPERSCRIPT)
        return "^" + self._atom(exponent)

    def _atom(self, expr: sp.Expr) -> str:
        """``expr``, in parentheses unless it is a name, a function call or a non-negative integer."""
        text = self._print(expr)
        bare = expr.is_Symbol or (expr.is_Integer and expr >= 0) or isinstance(expr, _CALLS) \
            or expr in (sp.E, sp.pi) or (isinstance(expr, sp.Derivative) and text.endswith(")")) \
            or (expr.is_Pow and expr.exp.is_Integer and expr.exp > 0 and not text.startswith("("))
        return text if bare else f"({text})"

    def _print_exp(self, expr: sp.exp) -> str:
        """e⁻¹, eˣ and e⁻ˣ raised as a textbook does; exp(…) around anything longer."""
        (argument,) = expr.args
        numbers = self._settings["numbers"]
        if argument in numbers and float(numbers[argument]).is_integer():
            return "e" + self._superscript(sp.Integer(int(numbers[argument])))  # e⁻¹, as eˣ was written
        if argument.free_symbols & numbers.keys():  # exp(−1.9), not e with a number raised
            return f"exp({self._argument(argument)})"
        if argument.is_Integer:
            return "e" + self._superscript(argument)
        name = (-argument if argument.could_extract_minus_sign() else argument).name if \
            (-argument).is_Symbol or argument.is_Symbol else ""
        if name in _RAISED_LETTERS:
            return "e" + ("⁻" if argument.could_extract_minus_sign() else "") + _RAISED_LETTERS[name]
        return f"exp({self._print(argument)})"

    def _print_Function(self, expr: sp.Function) -> str:
        name, arguments = self._function_parts(expr)
        return f"{name}({arguments})"

    def _function_parts(self, expr: sp.Function) -> tuple[str, str]:
        return function_name(expr), ", ".join(self._argument(a) for a in expr.args)

    def _print_Heaviside(self, expr) -> str:
        """H(u) or H(u, c), as :func:`symdl.printing.notation.heaviside_arguments` says."""
        return f"H({', '.join(self._argument(a) for a in heaviside_arguments(expr))})"

    def _print_Abs(self, expr) -> str:
        """|x|; abs(…) around an argument that holds bars of its own, which ||x| − 1| would make ambiguous."""
        inner = self._argument(expr.args[0])
        return f"abs({inner})" if "|" in inner else f"|{inner}|"

    def _print_sign(self, expr) -> str:
        return f"sgn({self._print(expr.args[0])})"

    def _print_Max(self, expr) -> str:
        return f"max({', '.join(self._argument(a) for a in expr.args)})"

    def _print_Min(self, expr) -> str:
        return f"min({', '.join(self._argument(a) for a in expr.args)})"

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        """Cases, as a textbook's brace: {1 if x > 0; exp(x) otherwise}."""
        cases = [f"{self._print(value)} " + ("otherwise" if condition is sp.true else f"if {self._print(condition)}")
                 for value, condition in expr.args]
        return "{" + "; ".join(cases) + "}"

    def parenthesize(self, item, level, strict=False) -> str:
        """SymPy's rule, and a derivative written ``d/dx (…)`` in parentheses wherever it is an operand:
        −d/dx (1 + e⁻ˣ)/(1 + e⁻ˣ)² read as d/dx of the whole fraction."""
        printed = super().parenthesize(item, level, strict)
        if isinstance(item, sp.Derivative) and printed.startswith(("d/", "∂/")):
            return f"({printed})"
        return printed

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        inner, *variables = expr.args
        if len(variables) == 1 and variables[0][1] == 1:
            (var, _), = variables
            if isinstance(inner, AppliedUndef) and inner.args == (var,):
                return f"{inner.func.__name__}′({self._print(var)})"
            d = "∂" if _is_component(var) else "d"  # ∂/∂xⱼ: one component of a vector among the others
            body = self._print(inner)
            if inner.is_Symbol:
                return f"{d}{self._print(inner)}/{d}{self._print(var)}"
            bare = inner.is_Atom or isinstance(inner, _CALLS)
            return f"{d}/{d}{self._print(var)} " + (body if bare else f"({body})")
        parts = " ".join(f"d{self._print(v)}" + (str(n).translate(_SUPERSCRIPT) if n != 1 else "")
                         for v, n in variables)
        order = sum(n for _, n in variables)
        return f"d{str(order).translate(_SUPERSCRIPT)}/{parts} ({self._print(inner)})"

    # --- matrix forms of tensor networks (symdl.tensor.symbolic): W x, ∂L/∂z zᵀ, a ⊙ (1 − a) ----------
    def _print_HadamardProduct(self, e) -> str:
        """Symbols first, as textbooks write σ′: a ⊙ (1 − a)."""
        factors = sorted(e.args, key=lambda a: not isinstance(a, (sp.MatrixSymbol, sp.Symbol)))
        return " ⊙ ".join(self.parenthesize(a, PRECEDENCE["Mul"], strict=False) for a in factors)

    def _print_MatMul(self, e) -> str:
        """W x, 2·W, and a fraction's denominator last, S/2 and √2·S/2, as a number's x/2 is written."""
        coefficient, factors = e.as_coeff_matrices()
        text = " ".join(self.parenthesize(f, PRECEDENCE["Mul"], strict=False) for f in factors)  # ones: 𝟙, 𝟙ᵀ
        numerator, denominator = coefficient.as_numer_denom()
        if denominator != 1:
            text = f"{text if len(factors) == 1 else f'({text})'}/{self._atom(denominator)}"
        if numerator == 1:
            return text
        if numerator == -1:
            return f"-{text}"
        return f"{self._print(numerator)}·{text}"

    def _print_HadamardPower(self, e) -> str:
        base = self.parenthesize(e.base, PRECEDENCE["Mul"], strict=False)
        if e.exp.is_Integer and 1 < e.exp <= 3:
            return " ⊙ ".join([base] * int(e.exp))
        return f"{base}^⊙({self._print(e.exp)})"

    def _print_Transpose(self, e) -> str:
        """Aᵀ; (∂L/∂Kᵀ)ᵀ in parentheses, a gradient's name or one already raised (Kᵀᵀ would read as one ᵀ too many)."""
        arg = self.parenthesize(e.arg, PRECEDENCE["Pow"], strict=False)
        return f"({arg})ᵀ" if arg.endswith("ᵀ") or "/" in arg and not arg.startswith("(") else f"{arg}ᵀ"

    def _print_OneMatrix(self, e) -> str:
        """Ones by their shape, so that a product with them reads true: 𝟙 a column, 𝟙ᵀ a row (𝟙ᵀ z sums z),
        𝟙𝟙ᵀ a block (𝟙𝟙ᵀ m puts each column's sum in every entry); the 1×1 one is 1."""
        rows, cols = e.shape
        return ("𝟙" if rows > 1 else "") + ("𝟙ᵀ" if cols > 1 else "") or "1"

    def _print_Identity(self, e) -> str:
        return "I" if e.rows > 1 else "1"  # SymPy writes the 1×1 matrix of ones as I

    def _print_MatAdd(self, e) -> str:
        """Positive terms first: 1 − a, not −a + 1."""
        terms = positive_first(e.args)
        text = self._print(summand(terms[0]))
        for t in terms[1:]:
            text += f" - {self.parenthesize(summand(-t), PRECEDENCE['Add'])}" if t.could_extract_minus_sign() \
                else f" + {self.parenthesize(summand(t), PRECEDENCE['Add'])}"
        return text

    def _print_Trace(self, e) -> str:
        return f"tr({self._print(e.arg)})"

    def _print_Backprop(self, r) -> str:
        """The node table: node, op, value, local gradients, global gradient, in forward order, then
        the output and its gradients; every minus sign U+2212 (as in all of this printer's text)."""
        rows = [("node", "op", "value", "local gradients", "global gradient")]
        for node in graphs.topological_order(r.graph):
            data = r.graph.nodes[node]
            if data["kind"] == "op":
                op = ops.glyph(data)
                local = ", ".join(f"∂{node}/∂{u} = {format_value(r.graph.edges[u, node]['local_value'])}"
                                  for u in dict.fromkeys(data["inputs"]))
            else:
                op, local = data["kind"], ""
            rows.append((node, op, format_value(data["value"]), local, format_value(data.get("grad", 0))))
        lines = aligned(rows)
        gradients = ", ".join(f"∂{r.output}/∂{n} = {format_value(v)}" for n, v in r.gradients.items())
        return "\n".join(lines + ["", f"{r.output} = {format_value(r.value)};  {gradients}"])

    def _print_Step(self, step) -> str:
        return "\n".join(self._step_lines(step, "1"))

    def _print_Derivation(self, d) -> str:
        """The headline, a "where s = softmax(x1, x2, x3)" line per abbreviation, then the rule tree."""
        d = d.as_written()
        headline = f"{self._print(sp.Derivative(d.expression, d.wrt))} = {self._print(d.result)}"
        lines = [headline]
        if d.abbreviations:
            lines.append("where " + ", ".join(f"{self._print(a.letter)} = {self._print(a.vector)}"
                                              for a in d.abbreviations))
        lines.append("")
        for number, root in enumerate(d.tree, 1):
            lines += self._step_lines(root, str(number))
        return "\n".join(lines)

    def _step_lines(self, step, number: str) -> list[str]:
        """``1.2 rule: formula, with f = …`` then the note, the equation, the sub-steps (``1.2.1`` …)
        indented beneath, and the result they give."""
        indent = _INDENT * number.count(".")
        title = f"{indent}{number}. {step.rule}"
        if step.formula is not None:
            general = TextPrinter({"order": "none", "letters": True})
            title += f": {general.doprint(step.formula[0])} = {general.doprint(step.formula[1])}"
        if step.parts:
            title += ", with " + ", ".join(f"{self._print(k)} = {self._print(v)}" for k, v in step.parts)
        body = indent + " " * (len(number) + 2)
        lines = [title] + ([body + step.note] if step.note else [])
        lines.append(f"{body}{self._print(step.lhs)} = {self._print(step.rhs)}")
        for i, sub in enumerate(step.substeps, 1):
            lines += self._step_lines(sub, f"{number}.{i}")
        if step.result is not None:  # the left side restated: a line read alone is a true equation
            lines.append(f"{body}{self._print(step.lhs)} = {self._print(step.result)}")
        return lines


class ExpressionText(_Numbers, StrPrinter):
    """SymPy's expression text, in ASCII (which symdl's parser reads back), with the text printer's
    ``numbers`` setting: the worked formulas a worksheet's JSON carries, x*y = 3*(-4)."""

    _default_settings = {**StrPrinter._default_settings, "numbers": {}}
    _name = StrPrinter._print_Symbol
    _number = staticmethod(format_value)


def _is_component(var: sp.Expr) -> bool:
    """Whether ``var`` is a vector's component written with a letter index (xⱼ, not x₁ or x)."""
    index = var.name.partition("_")[2] if isinstance(var, sp.Symbol) else ""
    return bool(index) and not index.isdigit()


def function_name(expr: sp.Function) -> str:
    """The name a function is written with: its op record's glyph where that is a word or a letter
    (σ, ReLU, LeakyReLU), else SymPy's name; not a glyph such as |x| or x^{c}."""
    op = ops.by_head(type(expr))
    glyph = op.glyph.split("(")[0] if op is not None else ""
    return glyph if glyph.isalnum() else expr.func.__name__


def text(obj: Any) -> str:
    """``obj`` (a SymPy expression, matrix forms included, a Backprop, a Derivation or a Step, a Solution,
    a Report or a Verdict, a GradcheckResult) as Unicode text."""
    return TextPrinter().doprint(obj)


"""Plain text of SymPy expressions, matrix expressions included, as a textbook writes them.

For scalar expressions it prints what ``str`` prints; matrix forms of tensor networks
(:mod:`symdl.tensor.symbolic`) read ``W x``, ``∂L/∂z zᵀ``, ``∂L/∂a ⊙ a ⊙ (1 - a)``, ``σ(z)``,
``v ↦ v xᵀ`` instead of SymPy's ``HadamardProduct(…)`` and ``x.T``.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

class MatrixText(StrPrinter):
    """Plain text of matrix forms as a textbook writes them: W x, ∂L/∂z zᵀ, a ⊙ (1 − a), σ(z)."""

    def _print_HadamardProduct(self, e) -> str:
        """Symbols first, as textbooks write σ′: a ⊙ (1 − a)."""
        factors = sorted(e.args, key=lambda a: not isinstance(a, (sp.MatrixSymbol, sp.Symbol)))
        return " ⊙ ".join(self.parenthesize(a, PRECEDENCE["Mul"], strict=False) for a in factors)

    def _print_MatMul(self, e) -> str:
        coefficient, factors = e.as_coeff_matrices()
        text = " ".join(self.parenthesize(f, PRECEDENCE["Mul"], strict=False) for f in factors)
        if coefficient == 1:
            return text
        if coefficient == -1:
            return f"-{text}"
        return f"{self._print(coefficient)}·{text}"

    def _print_HadamardPower(self, e) -> str:
        base = self.parenthesize(e.base, PRECEDENCE["Mul"], strict=False)
        if e.exp.is_Integer and 1 < e.exp <= 3:
            return " ⊙ ".join([base] * int(e.exp))
        return f"{base}^⊙({self._print(e.exp)})"

    def _print_Transpose(self, e) -> str:
        return f"{self.parenthesize(e.arg, PRECEDENCE['Pow'], strict=False)}ᵀ"

    def _print_OneMatrix(self, e) -> str:
        return "1"

    def _print_Identity(self, e) -> str:
        return "I" if e.rows > 1 else "1"  # SymPy writes the 1×1 matrix of ones as I

    def _print_MatAdd(self, e) -> str:
        """Positive terms first: 1 − a, not −a + 1."""
        terms = sorted(e.args, key=lambda t: t.could_extract_minus_sign())
        text = self._print(terms[0])
        for t in terms[1:]:
            text += f" - {self.parenthesize(-t, PRECEDENCE['Add'])}" if t.could_extract_minus_sign() \
                else f" + {self.parenthesize(t, PRECEDENCE['Add'])}"
        return text

    def _print_Trace(self, e) -> str:
        return f"tr({self._print(e.arg)})"


def text(form: sp.Basic) -> str:
    """The form as one line of plain text."""
    return MatrixText().doprint(form)

"""Deep-learning activations as first-class SymPy functions.

Each class gives SymPy what it needs to treat the activation like ``tanh``:
automatic evaluation at numbers (``eval``), its derivative (``fdiff``) in the
textbook form, arbitrary-precision evaluation (``_eval_evalf``), a rewrite to
elementary functions and a LaTeX form.
"""

from __future__ import annotations

import sympy as sp
from sympy import Function, Heaviside, Max, Min, S, exp, log

DEFAULT_LEAKY_SLOPE = sp.Rational(1, 100)  # PyTorch's LeakyReLU default


class _Activation(Function):
    """Shared plumbing: real for real input, evaluated through its elementary form."""

    latex_name = ""

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_evalf(self, prec):
        if all(arg.is_number for arg in self.args):
            return self._elementary(*self.args).evalf(prec)
        return None

    def _eval_rewrite_as_exp(self, *args, **kwargs):
        return self._elementary(*args)

    def _latex(self, printer, exp=None):
        body = rf"{self.latex_name}\left({', '.join(printer._print(a) for a in self.args)}\right)"
        return body if exp is None else rf"{body}^{{{exp}}}"


class sigmoid(_Activation):
    """Logistic sigmoid σ(x) = 1/(1 + e^{−x}); σ' = σ(1 − σ)."""

    latex_name = r"\sigma"

    @classmethod
    def eval(cls, x):
        if x is S.Zero:
            return S.Half
        if x is S.Infinity:
            return S.One
        if x is S.NegativeInfinity:
            return S.Zero

    @staticmethod
    def _elementary(x):
        return 1 / (1 + exp(-x))

    def fdiff(self, argindex=1):
        return self * (1 - self)

    def _eval_is_positive(self):
        return self.args[0].is_real


class softplus(_Activation):
    """softplus(x) = log(1 + e^x), a smooth ReLU; softplus' = σ."""

    latex_name = r"\operatorname{softplus}"

    @classmethod
    def eval(cls, x):
        if x is S.Zero:
            return log(2)
        if x is S.Infinity:
            return S.Infinity
        if x is S.NegativeInfinity:
            return S.Zero

    @staticmethod
    def _elementary(x):
        return log(1 + exp(x))

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])

    def _eval_is_positive(self):
        return self.args[0].is_real


class relu(_Activation):
    """ReLU(x) = max(0, x); its derivative is the step H(x), taken as 0 at x = 0 (as PyTorch does)."""

    latex_name = r"\operatorname{ReLU}"

    @classmethod
    def eval(cls, x):
        if x.is_extended_nonnegative:
            return x
        if x.is_extended_nonpositive:
            return S.Zero

    @staticmethod
    def _elementary(x):
        return Max(0, x)

    def _eval_rewrite_as_Max(self, x, **kwargs):
        return Max(0, x)

    def fdiff(self, argindex=1):
        return Heaviside(self.args[0], 0)

    def _eval_is_nonnegative(self):
        return self.args[0].is_real


class leaky_relu(_Activation):
    """Leaky ReLU: x for x > 0, slope·x otherwise; derivative 1 or slope (slope at 0)."""

    latex_name = r"\operatorname{LeakyReLU}"

    @classmethod
    def eval(cls, x, slope=None):
        if slope is None:
            return cls(x, DEFAULT_LEAKY_SLOPE)
        if x.is_extended_positive:
            return x
        if x.is_extended_nonpositive:
            return slope * x

    @staticmethod
    def _elementary(x, slope):
        return Max(0, x) + slope * Min(0, x)

    def fdiff(self, argindex=1):
        x, slope = self.args
        if argindex == 1:
            return slope + (1 - slope) * Heaviside(x, 0)
        return Min(0, x)

    def _eval_is_real(self):
        return self.args[0].is_real and self.args[1].is_real


class normal_cdf(_Activation):
    """Φ(x), the standard normal CDF, kept whole. Written as erfc(−x/√2)/2, SymPy would turn
    erfc(−z) into 2 − erfc(z), and a kernel would lose every digit far left: Φ(−30) ≈ 4.9e−198
    would come out as 0. Φ' = φ, the normal density."""

    latex_name = r"\Phi"

    @classmethod
    def eval(cls, x):
        if x is S.Zero:
            return S.Half
        if x is S.Infinity:
            return S.One
        if x is S.NegativeInfinity:
            return S.Zero

    @staticmethod
    def _elementary(x):
        return sp.erfc(-x / sp.sqrt(2)) / 2

    def fdiff(self, argindex=1):
        x = self.args[0]
        return exp(-x**2 / 2) / sp.sqrt(2 * sp.pi)


class gelu(_Activation):
    """GELU(x) = x·Φ(x) with Φ the standard normal CDF (PyTorch's exact form, not the tanh
    approximation); GELU' = Φ(x) + x·φ(x)."""

    latex_name = r"\operatorname{GELU}"

    @classmethod
    def eval(cls, x):
        if x is S.Zero:
            return S.Zero

    @staticmethod
    def _elementary(x):
        return x * sp.erfc(-x / sp.sqrt(2)) / 2

    def _eval_rewrite_as_erf(self, x, **kwargs):
        return x * (1 + sp.erf(x / sp.sqrt(2))) / 2

    def fdiff(self, argindex=1):
        x = self.args[0]
        return normal_cdf(x) + x * exp(-x**2 / 2) / sp.sqrt(2 * sp.pi)


ACTIVATIONS = (sigmoid, softplus, relu, leaky_relu, gelu)


def step(x: sp.Expr) -> sp.Expr:
    """The perceptron's step: 1 for x > 0, else 0 (SymPy's Heaviside with H(0) = 0)."""
    return Heaviside(x, 0)

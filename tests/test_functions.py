"""The activations are real SymPy functions: evaluation, derivative, evalf, LaTeX, rewrite."""

from __future__ import annotations

import math

import mpmath
import pytest
import sympy as sp
from hypothesis import given, strategies as st

from symdl.functions import gelu, leaky_relu, relu, sigmoid, softplus, step

x = sp.Symbol("x", real=True)


def test_derivatives_are_textbook_forms():
    assert sp.diff(sigmoid(x), x) == sigmoid(x) * (1 - sigmoid(x))
    assert sp.diff(softplus(x), x) == sigmoid(x)
    assert sp.diff(relu(x), x) == sp.Heaviside(x, 0)
    assert sp.diff(leaky_relu(x, sp.Rational(1, 5)), x).subs(x, -1) == sp.Rational(1, 5)


def test_exact_evaluation():
    assert sigmoid(0) == sp.Rational(1, 2)
    assert softplus(0) == sp.log(2)
    assert relu(sp.Integer(-3)) == 0 and relu(sp.Integer(3)) == 3
    assert leaky_relu(sp.Integer(-10), sp.Rational(1, 10)) == -1
    assert leaky_relu(x).args[1] == sp.Rational(1, 100)
    assert step(sp.Integer(0)) == 0 and step(sp.Integer(2)) == 1


def test_extreme_values_in_arbitrary_precision():
    assert float(sigmoid(sp.Integer(-1000)).evalf()) == 0.0
    assert sp.N(sp.log(sigmoid(sp.Integer(-800)))) == sp.Float(-800)
    assert sp.N(softplus(sp.Integer(1000)), 30) == sp.Float(1000, 30)


@given(st.floats(-50, 50))
def test_evalf_agrees_with_mpmath(v):
    mpmath.mp.dps = 30
    exact = sp.Float(v, 30)  # the float's exact binary value, carried at 30 digits
    assert float(sigmoid(exact).evalf(30)) == pytest.approx(float(1 / (1 + mpmath.exp(-v))), rel=1e-15)
    assert float(softplus(exact).evalf(30)) == pytest.approx(float(mpmath.log(1 + mpmath.exp(v))), rel=1e-15)
    assert float(relu(sp.Float(v))) == max(v, 0.0)


def test_latex_and_rewrite():
    assert sp.latex(sigmoid(x)) == r"\sigma\left(x\right)"
    assert sp.latex(relu(x)) == r"\operatorname{ReLU}\left(x\right)"
    assert sigmoid(x).rewrite(sp.exp) == 1 / (1 + sp.exp(-x))
    assert softplus(x).rewrite(sp.exp) == sp.log(1 + sp.exp(x))
    assert relu(x).rewrite(sp.Max) == sp.Max(0, x)


def test_assumptions():
    assert sigmoid(x).is_real and sigmoid(x).is_positive
    assert relu(x).is_nonnegative
    assert math.isclose(float(sigmoid(sp.Float(2))), 1 / (1 + math.exp(-2)))


@given(st.floats(-8, 8))
def test_gelu_is_x_times_the_normal_cdf(v):
    mpmath.mp.dps = 30
    exact = sp.Float(v, 30)
    assert float(gelu(exact).evalf(30)) == pytest.approx(float(v * mpmath.ncdf(v)), rel=1e-13, abs=1e-300)
    derivative = sp.diff(gelu(x), x).subs(x, exact)
    assert float(derivative.evalf(30)) == pytest.approx(float(mpmath.ncdf(v) + v * mpmath.npdf(v)), rel=1e-12, abs=1e-300)


def test_gelu_far_left_keeps_its_digits():
    from symdl import numeric

    assert numeric.gelu(-30.0) == pytest.approx(float(-30 * mpmath.ncdf(-30)), rel=1e-12)

"""SymPy interop: a SymPy user's own ``Symbol('x')`` (no assumptions) is symdl's ``x`` in derive,
backprop, kernels and gradcheck, results come back in the user's symbols, ``at=`` takes Symbol
keys and NumPy scalars, and ``sympy.lambdify`` / ``sympy.latex`` work on symdl's functions.

The reference is SymPy's own ``diff`` of the flat expression with symdl's functions written out by
their elementary definitions, evaluated with ``evalf`` — no symdl differentiation in it."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

import symdl
from symdl.functions import elu, sigmoid, softplus, swish
from symdl.gradcheck import gradcheck
from symdl.sympy_function import RecordFunction

x, y = sp.symbols("x y")  # plain SymPy symbols, as a SymPy user makes them

UNARY = [sp.sin, sp.cos, sp.exp, sp.tanh, sigmoid, softplus, swish, elu,  # elu with α = 1 is C¹ at its kink
         lambda e: e**2, lambda e: sp.sqrt(1 + e**2)]
expressions = st.recursive(
    st.sampled_from([x, y, sp.Integer(2), sp.Rational(-1, 3)]),
    lambda inner: st.one_of(
        st.builds(lambda f, e: f(e), st.sampled_from(UNARY), inner),
        st.builds(sp.Add, inner, inner), st.builds(sp.Mul, inner, inner)),
    max_leaves=6).filter(lambda e: x in e.free_symbols)


def written_out(expr: sp.Expr) -> sp.Expr:
    """symdl's functions replaced by their elementary definitions (SymPy then differentiates alone)."""
    return expr.replace(lambda n: isinstance(n, RecordFunction), lambda n: n.record.elementary(*n.args))


def reference(expr: sp.Expr, wrt: sp.Symbol, point: dict) -> float:
    return float(sp.diff(written_out(expr), wrt).evalf(30, subs=point))


points = st.tuples(st.floats(-2, 2), st.floats(-2, 2)).filter(lambda p: min(abs(p[0]), abs(p[1])) > 1e-3)


@settings(max_examples=25, deadline=None)
@given(expressions, points)
def test_plain_symbols_are_symdls_everywhere(expr, p):
    point = {x: sp.Float(p[0]), y: sp.Float(p[1])}
    expected = {s.name: reference(expr, s, point) for s in (x, y)}
    derived = symdl.derive(expr, x)
    assert derived.result.free_symbols <= {x, y} and derived.wrt is x  # given back in the user's symbols
    assert float(derived.result.evalf(30, subs=point)) == pytest.approx(expected["x"], rel=1e-9, abs=1e-12)
    at = {x: np.float64(p[0]), y: np.float32(p[1])}  # Symbol keys, NumPy scalars
    at = {x: at[x], y: float(at[y])} if y in expr.free_symbols else {x: at[x]}
    exact_at = {s: sp.Float(float(v)) for s, v in at.items()}
    expected = {s.name: reference(expr, s, exact_at) for s in at}
    gradients = symdl.backprop(expr, at=at).gradients
    for name, value in expected.items():
        assert gradients[name] == pytest.approx(value, rel=1e-9, abs=1e-12)
    compiled = symdl.kernel(expr)
    _, kernel_gradients = compiled(**{s.name: np.array([float(v)]) for s, v in at.items()})
    for name, value in expected.items():
        assert float(np.ravel(kernel_gradients.get(name, [0.0]))[0]) == pytest.approx(value, rel=1e-9, abs=1e-12)


def test_the_issue_example_is_no_longer_zero():
    assert symdl.derive(sp.Symbol("x") ** 2, "x").result == 2 * sp.Symbol("x")
    assert symdl.derive(sp.Symbol("x") ** 2, sp.Symbol("x")).result == 2 * sp.Symbol("x")


def test_gradcheck_on_plain_symbols_agrees():
    result = gradcheck(sigmoid(x) * y + swish(x * y), at={x: np.float64(0.3), y: np.int64(2)})
    assert result.ok and [c.input for c in result.checks] == ["x", "y"]


def test_a_name_with_two_assumption_sets_is_one_variable():
    real_x = sp.Symbol("x", real=True)
    assert symdl.derive(x * real_x, x).result == 2 * x


def test_lambdify_and_latex_of_symdls_functions():
    for f, by_hand in ((sigmoid, lambda v: 1 / (1 + math.exp(-v))), (softplus, lambda v: math.log1p(math.exp(v))),
                       (swish, lambda v: v / (1 + math.exp(-v))), (elu, lambda v: v if v > 0 else math.expm1(v))):
        for module in ("numpy", "math", "mpmath"):
            function = sp.lambdify(x, f(x), modules=module)
            assert float(function(-0.7)) == pytest.approx(by_hand(-0.7), rel=1e-12)
    np.testing.assert_allclose(sp.lambdify(x, sigmoid(x))(np.array([-1.0, 0.0])), [1 / (1 + math.e), 0.5])
    assert sp.latex(sigmoid(x) ** 2) == r"\sigma\left(x\right)^{2}"
    assert sp.latex(elu(x, sp.Rational(1, 2))) == r"\operatorname{ELU}\left(x, \frac{1}{2}\right)"

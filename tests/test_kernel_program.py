"""Kernels compiled from the straight-line program, against independent references: SymPy evalf of
the flat expression for values, central differences of it at 30 digits for gradients, on random
expressions over every op record; and inputs named like adjoints or intermediates."""

from __future__ import annotations

import json
import subprocess
import sys

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given
from test_derive import near_kink
from hypothesis import strategies as st

import symdl
from symdl import ops
from symdl.backprop import adjoint_symbol
from strategies import EVERY_OP_BINARY, EVERY_OP_UNARY, SYMBOLS, X, Y, Z, expressions, every_op_expressions, points

DIGITS = 30
H = sp.Float("1e-9", DIGITS)


def _at(expr: sp.Expr, point: dict) -> sp.Expr:
    return sp.N(expr.xreplace(point), DIGITS)


def _differences(expr: sp.Expr, point: dict, s: sp.Symbol):
    """(central, left, right) differences of the flat expression at 30 digits. Where the one-sided
    ones disagree the function has a kink or a jump there and conventions differ: None."""
    here, up, down = (_at(expr, {**point, s: point[s] + step}) for step in (0, H, -H))
    if not all(v.is_real and v.is_finite for v in (here, up, down)):
        return None
    left, right = (here - down) / H, (up - here) / H
    if abs(left - right) > 1e-6 * (1 + abs(left)):
        return None
    return (up - down) / (2 * H)


def check(expr: sp.Expr, values: dict[sp.Symbol, float]) -> None:
    """The kernel's value and every gradient against evalf and central differences of ``expr``."""
    assume(expr.free_symbols)
    k = symdl.kernel(expr)
    by_name = {s.name: s for s in expr.free_symbols}
    with np.errstate(all="ignore"):
        value, grads = k(**{name: values[s] for name, s in by_name.items()})
    point = {s: sp.Float(values[s], DIGITS) for s in expr.free_symbols}
    expected = _at(expr, point)
    assume(expected.is_real and expected.is_finite and abs(expected) < 1e12)
    assert float(value) == pytest.approx(float(expected), rel=1e-9, abs=1e-12)
    assert set(grads) == set(by_name)
    if near_kink(expr, values):  # a tie of max/min or ReLU at 0: the gradient is a convention there
        return                   # (min(x, relu(x)) = x, yet the tie splits its gradient 1/2 and 1/2·0)
    for name, s in by_name.items():
        difference = _differences(expr, point, s)
        if difference is not None:
            assert float(grads[name]) == pytest.approx(float(difference), rel=1e-6, abs=1e-8), name


def test_the_strategy_reaches_every_op_record():
    """Between them the builders put every scalar op record into the kernels' graphs."""
    seen = set()
    for build in EVERY_OP_UNARY:
        seen |= _ops(build(X * Y + Z))
    for build in EVERY_OP_BINARY:
        seen |= _ops(build(X * Y, Z - X))
    seen |= _ops(X - Y) | _ops(X * Y * Z) | _ops(X / Y) | _ops(X ** Y) | _ops(sp.sqrt(X))
    assert set(ops.REGISTRY) <= seen, set(ops.REGISTRY) - seen


def _ops(expr: sp.Expr) -> set[str]:
    return {d["op"] for _, d in symdl.kernel(expr).graph.nodes(data=True) if d["kind"] == "op"}


@given(every_op_expressions, points)
def test_program_kernel_matches_evalf_and_central_differences(expr, point):
    check(expr, dict(zip(SYMBOLS, point)))


NAMES = ["grad_f", "grad_q1", "grad_q", "q1", "q", "f", "f_out"]


@given(expressions, points, st.permutations(NAMES))
def test_inputs_named_like_adjoints_and_nodes_get_their_own_gradients(expr, point, names):
    """An input called grad_f, grad_q1, q1 or f is a variable of its own, not the adjoint or the
    intermediate of that name."""
    renamed = {s: sp.Symbol(n, real=True) for s, n in zip(SYMBOLS, names)}
    check(expr.xreplace(renamed), {renamed[s]: v for s, v in zip(SYMBOLS, point)})


def test_an_adjoint_is_not_the_input_of_its_name():
    assert adjoint_symbol("f") != sp.Symbol("grad_f", real=True) and str(adjoint_symbol("f")) == "grad_f"
    k = symdl.kernel("sin(z)*grad_q1 + grad_f*z")
    value, grads = k(z=0.5, grad_q1=2.0, grad_f=3.0)
    assert value == pytest.approx(np.sin(0.5) * 2 + 3 * 0.5)
    assert grads["z"] == pytest.approx(2 * np.cos(0.5) + 3)
    assert grads["grad_q1"] == pytest.approx(np.sin(0.5)) and grads["grad_f"] == pytest.approx(0.5)


def test_gradcheck_agrees_on_inputs_named_like_adjoints():
    done = subprocess.run([sys.executable, "-m", "symdl", "gradcheck", "sin(z)*grad_q1 + grad_f*z", "--json"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ok"] is True


@pytest.mark.parametrize("text, x, value, grad", [
    ("sigmoid(x)", 40.0, 1.0, mpmath.exp(-40) / (1 + mpmath.exp(-40)) ** 2),  # σ' = out·σ(−u), not out(1 − out) = 0
    ("tanh(x)", 30.0, 1.0, mpmath.sech(30) ** 2),  # tanh' = sech², not 1 − out² = 0
    ("1 - sigmoid(x)", 40.0, mpmath.exp(-40) / (1 + mpmath.exp(-40)), -mpmath.exp(-40) / (1 + mpmath.exp(-40)) ** 2),
])
def test_backward_lines_keep_their_digits_far_out(text, x, value, grad):
    v, g = symdl.kernel(text)(x=x)
    assert float(v) == pytest.approx(float(value), rel=1e-13)
    assert float(g["x"]) == pytest.approx(float(grad), rel=1e-12)

"""Kernels: value and gradients against an independent NumPy implementation and
SymPy evalf, finite at extreme inputs with no floating-point warnings."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given

import symdl
from symdl.errors import SymdlError
from strategies import SYMBOLS, expressions, points


@pytest.fixture(autouse=True)
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):
            yield


def test_sigmoid_neuron_on_arrays_matches_hand_written_numpy():
    k = symdl.kernel("1/(1 + exp(-(w*x + b)))", wrt="w,b")
    rng = np.random.default_rng(0)
    w, x, b = rng.normal(size=(3, 100))
    value, grads = k(b=b, w=w, x=x)
    s = 1 / (1 + np.exp(-(w * x + b)))
    np.testing.assert_allclose(value, s, rtol=1e-14)
    np.testing.assert_allclose(grads["w"], s * (1 - s) * x, rtol=1e-12)
    np.testing.assert_allclose(grads["b"], s * (1 - s), rtol=1e-12)
    assert set(grads) == {"w", "b"}


@pytest.mark.parametrize("text, x, value, grad", [
    ("sigmoid(x)", -1000.0, 0.0, 0.0),
    ("sigmoid(x)", 1000.0, 1.0, 0.0),
    ("1/(1 + exp(-x))", -1000.0, 0.0, 0.0),
    ("log(sigmoid(x))", -800.0, -800.0, 1.0),
    ("softplus(x)", 1000.0, 1000.0, 1.0),
    ("log(1 + exp(x))", 1000.0, 1000.0, 1.0),
    ("tanh(x)", 800.0, 1.0, 0.0),
    ("relu(x)", -1e6, 0.0, 0.0),
    ("gelu(x)", 1e6, 1e6, 1.0),
    ("gelu(x)", -1e6, 0.0, 0.0),
])
def test_extreme_inputs(text, x, value, grad):
    v, g = symdl.kernel(text)(x=x)
    assert v == value and g["x"] == grad


def test_constant_gradients_broadcast_to_the_input_shape():
    value, grads = symdl.kernel("x + 2*y")(x=np.zeros(5), y=np.ones(5))
    assert grads["x"].shape == (5,) and np.all(grads["y"] == 2)


def test_source_is_printable_python():
    source = symdl.kernel("tanh(w*x)", wrt="w").source
    assert source.startswith("def ") and "tanh" in source and "return" in source


def test_names_that_would_shadow_numpy_are_renamed():
    k = symdl.kernel("select*tanh(where)")
    value, grads = k(select=2.0, where=0.5)
    assert value == pytest.approx(2 * np.tanh(0.5)) and grads["where"] == pytest.approx(2 * (1 - np.tanh(0.5) ** 2))


def test_bad_arguments():
    k = symdl.kernel("x*y")
    with pytest.raises(SymdlError, match="missing"):
        k(x=1.0)
    with pytest.raises(SymdlError, match="cannot differentiate"):
        symdl.kernel("x*y", wrt="z")


@given(expressions, points)
def test_kernel_matches_sympy_evalf(expr, point):
    assume(expr.free_symbols)
    subs = dict(zip(SYMBOLS, point))
    k = symdl.kernel(expr)
    with np.errstate(all="ignore"):
        value, grads = k(**{s.name: subs[s] for s in expr.free_symbols})
    expected = sp.N(expr.xreplace({s: sp.Float(v, 30) for s, v in subs.items()}), 30)
    assume(expected.is_real and expected.is_finite)
    assert float(value) == pytest.approx(float(expected), rel=1e-9, abs=1e-12)
    exact = {t: sp.Float(v, 30) for t, v in subs.items()}
    for s in expr.free_symbols:
        derivative = sp.diff(expr, s)
        d = sp.N(derivative.xreplace(exact), 30)
        if not (d.is_real and d.is_finite) or on_a_kink(derivative, exact, s):
            continue  # conventions differ at a kink (relu'(0) is 0 in symdl, SymPy's Max gives 1/2)
        assert float(grads[s.name]) == pytest.approx(float(d), rel=1e-8, abs=1e-10)


def on_a_kink(derivative, exact, s, h=sp.Float("1e-12", 30)) -> bool:
    """True where the derivative jumps: its values just left and just right of the point differ."""
    left, right = (sp.N(derivative.xreplace({**exact, s: exact[s] + step}), 30) for step in (-h, h))
    return not (left.is_real and right.is_real) or abs(left - right) > 1e-6

"""ELU and SiLU/swish, added as one op record each, work everywhere: parse, derive, backprop,
kernel, gradcheck against PyTorch, LaTeX round trip and element-wise in tensor networks.
Expected numbers come from the definitions by hand, NumPy, mpmath or central differences."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

import symdl
import symdl.tensor.network  # noqa: F401  (registers every tensor op)
from symdl.gradcheck import gradcheck
from symdl.errors import SymdlError
from symdl.functions import elu, sigmoid, swish
from symdl.tensor.network import Network
from tests.network_checks import finite_difference_check

x, a = sp.symbols("x a", real=True)


def elu_by_hand(v: float, alpha: float = 1.0) -> float:
    return v if v > 0 else alpha * math.expm1(v)


def silu_by_hand(v: float) -> float:
    return v / (1 + math.exp(-v))


def test_defaults_spellings_and_exact_values():
    assert elu(x) == elu(x, 1) and elu(x).args[1] == 1
    assert elu(sp.Integer(3)) == 3 and elu(sp.Integer(0), sp.Rational(1, 2)) == 0
    assert swish(sp.Integer(0)) == 0
    assert symdl.parse("silu(x)") == symdl.parse("swish(x)") == swish(x)
    assert symdl.parse("elu(x, 1/2)") == elu(x, sp.Rational(1, 2))


def test_derivatives_are_textbook_forms():
    """elu' = 1 for x > 0 else out + α = α·eˣ (the form without cancellation);  silu' = σ(x)(1 + x(1 − σ(x)))."""
    assert sp.diff(elu(x, a), x) == sp.Piecewise((1, x > 0), (a * sp.exp(sp.Min(0, x)), True))
    left = sp.Symbol("left", negative=True)
    assert sp.simplify(sp.diff(elu(x, a), x).subs(x, left) - (elu(left, a) + a).rewrite(sp.exp)) == 0
    assert sp.diff(swish(x), x) == sigmoid(x) * (1 + x * (1 - sigmoid(x)))
    assert symdl.derive("elu(x)", "x").result == sp.Piecewise((1, x > 0), (sp.exp(sp.Min(0, x)), True))
    assert sp.simplify(symdl.derive("silu(x)", "x").result - sigmoid(x) * (1 + x * (1 - sigmoid(x)))) == 0


@given(st.floats(-20, 20), st.floats(0, 3))
def test_evalf_and_derivative_agree_with_mpmath(v, alpha):
    mpmath.mp.dps = 30
    at, al = sp.Float(v, 30), sp.Float(alpha, 30)
    exact_elu = v if v > 0 else alpha * mpmath.expm1(v)
    assert float(elu(at, al).evalf(30)) == pytest.approx(float(exact_elu), rel=1e-14, abs=1e-300)
    assert float(swish(at).evalf(30)) == pytest.approx(float(v / (1 + mpmath.exp(-v))), rel=1e-14, abs=1e-300)
    if abs(v) > 1e-6:
        numeric = mpmath.diff(lambda t: t if t > 0 else alpha * mpmath.expm1(t), v)
        assert float(sp.diff(elu(x, al), x).subs(x, at).evalf(30)) == pytest.approx(float(numeric), rel=1e-12)
    numeric = mpmath.diff(lambda t: t / (1 + mpmath.exp(-t)), v)
    assert float(sp.diff(swish(x), x).subs(x, at).evalf(30)) == pytest.approx(float(numeric), rel=1e-12, abs=1e-300)


def test_backprop_by_hand():
    """f = elu(w·x, α) + silu(x) at w = −1, x = 2, α = 1/2: u = −2 is left of 0, so
    ∂f/∂u = out + α = α·e^{−2}, ∂f/∂α = e^{−2} − 1 and silu'(2) = σ(2)(1 + 2(1 − σ(2)))."""
    result = symdl.backprop("elu(w*x, a) + silu(x)", at={"w": -1.0, "x": 2.0, "a": 0.5})
    du = 0.5 * math.exp(-2)
    s = 1 / (1 + math.exp(-2))
    assert result.gradients["w"] == pytest.approx(du * 2, rel=1e-12)
    assert result.gradients["a"] == pytest.approx(math.exp(-2) - 1, rel=1e-12)
    assert result.gradients["x"] == pytest.approx(du * -1 + s * (1 + 2 * (1 - s)), rel=1e-12)


def test_kernel_matches_numpy_definitions_and_central_differences():
    v = np.linspace(-4, 4, 41)
    v = v[np.abs(v) > 1e-9]
    value, grads = symdl.kernel("elu(x, 1/2) + silu(x)")(x=v)
    expected = np.where(v > 0, v, 0.5 * np.expm1(v)) + v / (1 + np.exp(-v))
    np.testing.assert_allclose(value, expected, rtol=1e-13)
    h = 1e-6
    central = ((np.where(v + h > 0, v + h, 0.5 * np.expm1(v + h)) + (v + h) / (1 + np.exp(-v - h)))
               - (np.where(v - h > 0, v - h, 0.5 * np.expm1(v - h)) + (v - h) / (1 + np.exp(-v + h)))) / (2 * h)
    np.testing.assert_allclose(grads["x"], central, rtol=1e-6, atol=1e-8)


def test_kernel_is_finite_far_out():
    value, grads = symdl.kernel("elu(x) + silu(x)")(x=np.array([-1000.0, 1000.0]))
    np.testing.assert_allclose(value, [-1.0, 2000.0])
    np.testing.assert_allclose(grads["x"], [0.0, 2.0])


def test_gradcheck_agrees_with_pytorch():
    pytest.importorskip("torch")
    result = gradcheck("elu(w*x, a) + silu(x*y) + elu(x - y)", points=6, torch=True)
    assert result.ok and result.torch is not None and np.isfinite(result.torch).all()


def test_latex_round_trip():
    for expr in (elu(x, sp.Rational(1, 2)), swish(x), elu(x)):
        assert symdl.parse_latex(sp.latex(expr)) == expr
    assert sp.latex(swish(x)) == r"\operatorname{SiLU}\left(x\right)"


def test_the_domain_of_alpha_is_enforced():
    with pytest.raises(SymdlError, match="alpha must be a nonnegative number"):
        symdl.parse("elu(x, -1)")
    net = Network()
    with pytest.raises(SymdlError, match="alpha must be a nonnegative number"):
        net.apply("elu", net.input("x", [1.0]), alpha=-2.0)
    with pytest.raises(SymdlError, match="takes no parameter slope"):
        net.apply("elu", "x", slope=0.1)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.floats(-3, 3).filter(lambda v: abs(v) > 1e-3), min_size=1, max_size=4), st.floats(0.1, 2))
def test_elementwise_in_networks_matches_central_differences(values, alpha):
    def build(leaves):
        net = Network()
        e = net.apply("elu", net.input("x", leaves["x"]), alpha=alpha)
        s = net.apply("swish", net.apply("swish", e))
        return net, net.apply("sum", s, name="L")

    net, loss = build({"x": np.array(values)})
    expected = [silu_by_hand(silu_by_hand(elu_by_hand(v, alpha))) for v in values]
    assert float(net.value(loss)) == pytest.approx(sum(expected), rel=1e-12)
    finite_difference_check(build, {"x": np.array(values)})


def test_silu_is_swish_in_networks_by_its_records_spelling():
    values = np.array([-2.0, -0.5, 0.0, 1.5])
    net = Network()
    s = net.apply("silu", net.input("x", values))
    loss = net.apply("sum", s, name="L")
    assert net.graph.nodes[s]["op"] == "swish"  # the record's own name, so printers and VJPs find it
    np.testing.assert_allclose(net.value(s), [silu_by_hand(v) for v in values], rtol=1e-14)
    grad = net.backward(loss)["x"]
    sig = 1 / (1 + np.exp(-values))
    np.testing.assert_allclose(grad, sig * (1 + values * (1 - sig)), rtol=1e-13)
    with pytest.raises(SymdlError, match="neither a tensor op"):
        net.apply("silly", "x")

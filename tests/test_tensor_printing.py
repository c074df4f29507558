"""Printed tensor equations read true: the ones matrix by its shape, −(a + b) keeps its brackets, a
reshape is no equality, vector-by-scalar Jacobians are columns, batch norm's γ and β gradients in closed
form, and L = ½‖Y − T‖². Expected numbers are NumPy's on the printed reading, or worked by hand."""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy as sp

from symdl import examples as bundled
from symdl.printing.mathml import mathml
from symdl.printing.texsafe import latex_of
from symdl.printing.text import text
from symdl.printing.tikz import tikz
from symdl.tensor import symbolic
from symdl.tensor.network import Network
from symdl.worksheet import load, solve

Z = np.array([4.0, 8.0, 6.0, 10.0])  # the seed's batch: mean 7, biased variance 5 (by hand)


def _read_ones(printed: str, rows: int, cols: int) -> np.ndarray:
    """The text printer's ones read back with NumPy: 𝟙 the column of ``rows`` ones, 𝟙ᵀ the row of ``cols``,
    side by side their product, 1 the number."""
    factors = [np.ones((1, cols)) if f == "𝟙ᵀ" else np.ones((rows, 1)) for f in re.findall("𝟙ᵀ|𝟙", printed)]
    assert printed.replace("𝟙", "").replace("ᵀ", "") in ("", "1")
    return np.linalg.multi_dot(factors) if len(factors) > 1 else factors[0] if factors else np.ones((1, 1))


@pytest.mark.parametrize("shape", [(3, 1), (1, 3), (3, 3), (1, 1)])
def test_the_ones_read_as_their_shape_in_every_printer(shape):
    ones = sp.OneMatrix(*shape)
    np.testing.assert_array_equal(_read_ones(text(ones), *shape), np.ones(shape))
    transposes = text(ones).count("ᵀ")
    assert latex_of(ones).count("^{T}") == transposes and mathml(ones).count("<mo>T</mo>") == transposes
    assert latex_of(ones).count(r"\mathbf{1}") == text(ones).count("𝟙")
    assert mathml(ones).count("&#120793;") == text(ones).count("𝟙")


def test_a_mean_is_one_quarter_of_the_ones_row_times_z():
    """μ = (𝟙ᵀ z)/4: with 𝟙ᵀ the 1×4 row of ones, NumPy gives the batch mean 7."""
    net = Network()
    net.input("z", Z)
    net.apply("mean", "z", name="mu")
    printed = text(net.graph.nodes["mu"]["expr"])
    assert printed == "(𝟙ᵀ z)/4"
    assert (np.ones((1, 4)) @ Z.reshape(4, 1)).item() / 4 == 7.0


def test_softmax_vjp_sums_with_the_square_ones():
    """s ⊙ (v − 𝟙𝟙ᵀ (s ⊙ v)): 𝟙𝟙ᵀ as the 3×3 ones, NumPy's reading is the softmax VJP s ⊙ (v − sᵀv)."""
    x, v = np.array([0.2, -1.0, 0.5]), np.array([1.0, 2.0, -0.5])
    net = Network()
    net.input("x", x)
    net.apply("softmax", "x", name="s")
    net.apply("sum", net.apply("hadamard", "s", net.constant("c", v), name="p"), name="L")
    net.backward("L")
    s = np.exp(x) / np.exp(x).sum()
    assert text(net.graph.edges["x", "s"]["vjp"]) == "s ⊙ (∂L/∂s − 𝟙𝟙ᵀ (s ⊙ ∂L/∂s))"
    read = s * (v - np.ones((3, 1)) @ np.ones((1, 3)) @ (s * v))
    np.testing.assert_allclose(read, s * (v - s @ v))
    np.testing.assert_allclose(net.graph.nodes["x"]["grad"], read)


def test_exp_of_a_negated_sum_keeps_its_brackets_in_mathml():
    a, b = sp.symbols("a b")
    printed = re.sub(r"<[^>]+>", " ", mathml(sp.exp(sp.Mul(-1, a + b, evaluate=False)))).split()
    assert printed == ["e", "&#8722;", "(", "a", "+", "b", ")"]


def _solved(name: str):
    return solve(load(bundled.path(name)))


def test_a_reshape_to_a_column_is_written_not_equated():
    """W₁ = w₁ as a 2×1 column: the same numbers in another shape, never W₁ = w₁."""
    solution = _solved("self_attention")
    w1, W1 = solution.get("w1"), solution.get("W1")
    assert W1.formula == "w1 as a 2×1 column"
    assert np.shape(W1.value) == (2, 1) and np.shape(w1.value) == (2,)
    np.testing.assert_array_equal(np.ravel(W1.value), w1.value)


def test_a_transpose_node_is_no_tautology():
    solution = _solved("masked_multihead_attention")
    K1T = solution.get("K1__T")
    assert K1T.formula == "" and K1T.expr is None
    np.testing.assert_array_equal(K1T.value, np.transpose(solution.get("K1").value))
    assert "K1ᵀ = K1ᵀ" not in text(solution)


def test_batch_norm_vector_by_scalar_jacobians_are_columns():
    """∂d/∂μ = −𝟙, ∂ẑ/∂r = d, ∂u/∂γ = ẑ, ∂y/∂β = 𝟙: 4×1 columns, as ∂bn/∂β of the 4×1 bn is."""
    solution = _solved("batch_norm")
    d = Z - 7.0
    zhat = d / np.sqrt(5.0 + 1e-5)
    expected = {"dd/dmu": -np.ones(4), "dzhat/dr": d, "du/dgamma": zhat, "dy/dbeta": np.ones(4), "dbn/dbeta": np.ones(4)}
    for key, column in expected.items():
        value = solution.get(key).value
        assert np.shape(value) == (4, 1), key
        np.testing.assert_allclose(value, column.reshape(4, 1), rtol=1e-12, err_msg=key)
    g = solution.work.graph
    env = {n: data["value"] for n, data in g.nodes(data=True)}
    for (u, v), printed in {("mu", "d"): "−𝟙", ("r", "zhat"): "d", ("gamma", "u"): "ẑ", ("beta", "y"): "𝟙"}.items():
        local = g.edges[u, v]["local"]
        assert text(local) == printed
        np.testing.assert_allclose(symbolic.evaluate(local, env), expected[f"d{v}/d{u}"].reshape(4, 1), rtol=1e-12)


@pytest.mark.parametrize("features", [1, 3])
def test_batch_norm_gamma_and_beta_vjps_in_closed_form(features):
    """v ↦ Σ v ⊙ x̂ and v ↦ Σ v over the batch, against NumPy's batch statistics at a random v."""
    rng = np.random.default_rng(features)
    x = rng.standard_normal((5, features))
    shape = () if features == 1 else (features,)
    net = Network()
    net.input("X", x)
    net.parameter("g", rng.standard_normal(shape))
    net.parameter("b", rng.standard_normal(shape))
    net.apply("batch_norm1d", "X", "g", "b", name="y")
    v = rng.standard_normal(x.shape)
    x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-5)
    for parameter, expected in (("g", (v * x_hat).sum(axis=0)), ("b", v.sum(axis=0))):
        local = net.graph.edges[parameter, "y"]["local"]
        assert "batch_norm1d" not in text(local) and "batch_norm1d" not in latex_of(local)
        got = symbolic.evaluate(local.body, {"X": x, "v": v})
        np.testing.assert_allclose(np.ravel(got), expected, rtol=1e-12)


def test_batch_norm_step_keeps_its_prose_in_a_where_line():
    solution = _solved("batch_norm")
    bn = solution.get("bn")
    assert bn.formula == "γ ⊙ (Z − μ)/√(ε + σ²) + β"
    assert text(bn.where) == "μ and σ² are the mean and variance of each column of Z over the batch, ε = 10⁻⁵"
    lines = text(solution).splitlines()
    assert lines[[i for i, line in enumerate(lines) if line.startswith("bn = ")][0] + 4].strip().startswith("where μ")


def test_half_sse_is_half_the_squared_norm():
    """L = ½‖Y − T‖², ½ Σ (Y − T)² by NumPy, in every printer."""
    rng = np.random.default_rng(0)
    y, t = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    net = Network()
    net.input("Y", y)
    net.constant("T", t)
    net.apply("half_sse", "Y", "T", name="L")
    form = net.graph.nodes["L"]["expr"]
    assert text(form) == "½‖Y − T‖²"
    assert latex_of(form) == r"\frac{1}{2} \left\| Y - T \right\|^{2}"
    assert mathml(form).count("&#8214;") == 2
    assert symbolic.evaluate(form, {"Y": y, "T": t}) == pytest.approx(0.5 * np.sum((y - t) ** 2), rel=1e-12)


def test_a_scalar_by_a_column_is_a_row():
    """∂μ/∂z for μ = mean(z): the 1×4 Jacobian ¼𝟙ᵀ (the row the table prints), not the column 𝟙/4."""
    net = Network()
    net.input("z", Z)
    net.apply("mean", "z", name="mu")
    net.backward("mu")
    local = net.graph.edges["z", "mu"]["local"]
    assert local.shape == (1, 4) and text(local) == "𝟙ᵀ/4"
    np.testing.assert_allclose(np.ravel(net.jacobian("mu", "z")), np.full(4, 0.25))  # d mean/d zᵢ = 1/n


def test_a_transpose_box_is_not_a_tautology_on_the_page():
    """The masked-attention circuit's K₁ᵀ box reads K₁ᵀ with its glyph, never K₁ᵀ = K₁ᵀ."""
    picture = tikz(solve(load(bundled.path("masked_multihead_attention"))).work)
    assert r"{$K^{T}_{1}$\ $" in picture and r"K^{T}_{1} = K_{1}^{T}" not in picture

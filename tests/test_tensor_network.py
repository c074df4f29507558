"""The tensor Network: eager forward values, backward by VJPs summed over fan-out,
Jacobians on small edges, element-wise scalar ops, and drawing without special cases."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
from hypothesis import given, strategies as st

import symdl.tensor.network  # noqa: F401  (registers every tensor op)
from symdl.errors import SymdlError
from symdl.printing import rendering
from symdl.printing.text import text
from symdl.tensor.network import Network
from symdl.tensor.symbolic import evaluate


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def test_linear_sigmoid_mse_by_hand():
    W = np.array([[0.5, -1.0], [2.0, 0.25]])
    x = np.array([1.0, -2.0])
    y = np.array([1.0, 0.0])
    net = Network()
    h = net.apply("matmul", net.parameter("W", W), net.input("x", x), name="z")
    a = net.apply("sigmoid", h, name="a")
    loss = net.apply("half_sse", a, net.constant("y", y), name="L")
    grads = net.backward(loss)
    z = W @ x
    s = sigmoid(z)
    assert net.value(loss) == pytest.approx(0.5 * np.sum((s - y) ** 2))
    dz = (s - y) * s * (1 - s)
    np.testing.assert_allclose(grads["W"], np.outer(dz, x), rtol=1e-12)  # ∂L/∂W = δ xᵀ
    np.testing.assert_allclose(grads["x"], W.T @ dz, rtol=1e-12)  # ∂L/∂x = Wᵀ δ


def test_fan_out_sums_and_the_edge_carries_its_jacobian():
    x = np.array([0.3, -1.2])
    net = Network()
    xi = net.input("x", x)
    t = net.apply("tanh", xi, name="t")
    p = net.apply("hadamard", t, t, name="p")  # t ⊙ t: t feeds both operands
    loss = net.apply("sum", p, name="L")
    grads = net.backward(loss)
    np.testing.assert_allclose(grads["x"], 2 * np.tanh(x) * (1 - np.tanh(x) ** 2), rtol=1e-12)
    np.testing.assert_allclose(net.graph.edges["x", "t"]["local_value"], np.diag(1 - np.tanh(x) ** 2), rtol=1e-12)
    local = net.graph.edges["x", "t"]["local"]  # the Jacobian's form: diag(1 − t ⊙ t), at t = tanh(x)
    assert text(local) == "diag(1 − t ⊙ t)"
    np.testing.assert_allclose(evaluate(local, {"t": np.tanh(x)}), np.diag(1 - np.tanh(x) ** 2), rtol=1e-12)


@pytest.mark.parametrize("shape", [(), (3,), (2, 2)])
def test_a_node_shared_by_many_consumers_gets_the_sum_and_no_array_is_shared(shape):
    """Fan-out of four, the gradient summed in place from the second consumer on: every other
    gradient and every edge's share keep their own numbers (no array aliases another)."""
    rng = np.random.default_rng(1)
    p_value, scales = rng.standard_normal(shape), [rng.standard_normal(shape) for _ in range(4)]
    net = Network()
    p = net.parameter("p", p_value)
    terms = [net.apply("hadamard", p, net.constant(f"a{i}", a), name=f"t{i}") for i, a in enumerate(scales)]
    total = terms[0]
    for i, term in enumerate(terms[1:], start=1):
        total = net.apply("add", total, term, name=f"s{i}")
    grads = net.backward(net.apply("sum", total, name="L"))
    np.testing.assert_allclose(grads["p"], sum(scales), rtol=1e-14)
    for i, a in enumerate(scales):
        np.testing.assert_allclose(grads[f"t{i}"], np.ones(shape))
        np.testing.assert_allclose(net.graph.edges["p", f"t{i}"]["contribution"], a, rtol=1e-14)
    again = net.backward("L")  # a second pass sums afresh
    np.testing.assert_allclose(again["p"], sum(scales), rtol=1e-14)


@given(st.lists(st.floats(-3, 3), min_size=1, max_size=5), st.floats(0.01, 0.5))
def test_elementwise_backward_matches_central_differences(values, slope):
    x = np.array(values)

    def loss_of(v):
        net = Network()
        s = net.apply("softplus", net.apply("leaky_relu", net.input("x", v), slope=slope))
        return net, net.apply("sum", s, name="L")

    net, loss = loss_of(x)
    grad = net.backward(loss)["x"]
    h = 1e-6
    for i in range(x.size):
        step = np.zeros_like(x)
        step[i] = h
        up, down = (float(n.value(lo)) for n, lo in (loss_of(x + step), loss_of(x - step)))
        if abs(x[i]) > 1e-4:  # away from leaky ReLU's kink
            assert grad[i] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-7)


def test_a_network_draws_with_shapes_values_and_gradients():
    net = Network()
    z = net.apply("matmul", net.parameter("W", [[1.0, 2.0]]), net.input("x", [[3.0], [4.0]]), name="z")
    loss = net.apply("sum", net.apply("relu", z), name="L")
    net.backward(loss)
    svg = rendering.svg(net)
    ElementTree.fromstring(svg)
    assert "= 11" in svg  # z = 1·3 + 2·4
    assert "∂L/∂W = [3, 4]" in svg  # ∂L/∂W = ∂L/∂z xᵀ with ∂L/∂z = 1: a short row, shown whole


@pytest.mark.parametrize("build, message", [
    (lambda n: n.apply("no_such_op", n.input("x", [1.0])), "neither a tensor op"),
    (lambda n: n.apply("sigmoid", "ghost"), "no node named"),
    (lambda n: n.backward(n.input("x", [1.0, 2.0])), "scalar output"),
    (lambda n: (n.input("x", 1.0), n.input("x", 2.0)), "already has a node"),
])
def test_errors_are_clear(build, message):
    with pytest.raises(SymdlError, match=message):
        build(Network())


def test_a_network_exports_as_tikz_and_latex_tables():
    from symdl.printing.latex_tables import backprop_tables
    from symdl.printing.tikz import tikz

    net = Network()
    z = net.apply("matmul", net.parameter("W", [[1.0, 2.0]]), net.input("x", [[3.0], [4.0]]), name="z")
    loss = net.apply("sum", net.apply("relu", z), name="L")
    net.backward(loss)
    tables = backprop_tables(net)
    assert r"\begin{bmatrix} 3 & 4 \end{bmatrix}" in tables  # ∂L/∂W = xᵀ, the edge's share
    picture = tikz(net)
    assert picture.count(r"\begin{tikzpicture}") == picture.count(r"\end{tikzpicture}") == 2  # legend, circuit

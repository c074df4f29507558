"""The element-wise expansion: SymPy's gradient of the expanded scalar output, entry by
entry, equals the network's matrix-form VJP backward (an independent derivation)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from symdl.errors import LimitError
from symdl.tensor.expand import elementwise_gradient, expand, values_of
from symdl.tensor.network import Network


def evaluated(net, expressions):
    point = values_of(net)
    return np.vectorize(lambda e: float(sp.N(e.xreplace(point), 30)))(expressions)


def dense_net():
    net = Network()
    z = net.apply("matmul", net.parameter("W", [[0.5, -1.0], [2.0, 0.25]]), net.input("x", [1.0, -2.0]), name="z")
    a = net.apply("tanh", net.apply("add", z, net.parameter("b", [0.1, -0.3])), name="a")
    return net, net.apply("half_sse", a, net.constant("y", [1.0, 0.0]), name="L")


def attention_net():
    net = Network()
    scores = net.apply("matmul", net.input("q", [[1.0, 0.5]]), net.apply("transpose", net.input("k", [[0.3, -1.0], [2.0, 0.1]])))
    weights = net.apply("softmax", scores, name="alpha")
    context = net.apply("matmul", weights, net.parameter("v", [[1.0, 2.0], [-1.0, 0.5]]))
    return net, net.apply("sum", context, name="L")


def conv_net():
    net = Network()
    image = net.input("image", np.arange(16.0).reshape(1, 4, 4) / 10)
    out = net.apply("conv2d", image, net.parameter("K", [[[[1.0, -1.0], [0.5, 0.0]]]]), stride=2)
    return net, net.apply("sum", net.apply("relu", out), name="L")


@pytest.mark.parametrize("build, leaves", [
    (dense_net, ["W", "x", "b"]), (attention_net, ["q", "k", "v"]), (conv_net, ["image", "K"]),
])
def test_matrix_form_equals_element_wise_form(build, leaves):
    net, loss = build()
    grads = net.backward(loss)
    for leaf in leaves:
        np.testing.assert_allclose(evaluated(net, elementwise_gradient(net, loss, leaf)), grads[leaf],
                                   rtol=1e-10, atol=1e-12)


def test_entries_are_readable_scalar_expressions():
    net, loss = dense_net()
    z = expand(net)["z"]
    W00, W01, x0, x1 = sp.symbols("W_0_0 W_0_1 x_0 x_1", real=True)
    assert z[0] == W00 * x0 + W01 * x1


def test_large_networks_are_refused_with_the_limit_named():
    net = Network()
    net.apply("sum", net.input("x", np.zeros((30, 30))))
    with pytest.raises(LimitError, match="MAX_ENTRIES"):
        expand(net)


def column_weight_net():
    """A 3×1 weight on an input of size 1 (Linear(1, 3)): W must stay a column, not become a vector."""
    net = Network()
    z = net.apply("matmul", net.parameter("W", [[0.5], [-1.0], [2.0]]), net.input("x", [1.5]), name="z")
    a = net.apply("tanh", net.apply("add", z, net.parameter("b", [0.1, -0.3, 0.2])), name="a")
    return net, net.apply("half_sse", a, net.constant("y", [1.0, 0.0, -1.0]), name="L")


def test_column_weight_with_input_size_one_expands_as_numpy_computes_it():
    net, loss = column_weight_net()
    W, x = np.array([[0.5], [-1.0], [2.0]]), np.array([1.5])
    b, y = np.array([0.1, -0.3, 0.2]), np.array([1.0, 0.0, -1.0])
    a = np.tanh(W[:, 0] * x[0] + b)  # by hand, independently of the network and its registry
    delta = (a - y) * (1 - a**2)  # ∂L/∂z for L = ½‖a − y‖²
    expanded = expand(net)
    assert expanded["W"].shape == (3, 1) and expanded["z"].shape == (3,)
    np.testing.assert_allclose(evaluated(net, expanded["z"]), W[:, 0] * x[0], rtol=1e-14)
    np.testing.assert_allclose(evaluated(net, expanded[loss]), 0.5 * np.sum((a - y) ** 2), rtol=1e-12)
    np.testing.assert_allclose(evaluated(net, elementwise_gradient(net, loss, "W")), delta[:, None] * x[0], rtol=1e-12)
    np.testing.assert_allclose(evaluated(net, elementwise_gradient(net, loss, "x")), [delta @ W[:, 0]], rtol=1e-12)

"""The symbolic forms of tensor networks are true: each VJP form, node gradient form and edge
Jacobian form, evaluated with NumPy at the network's values, equals the numeric VJP the
backward pass computed (itself held to central differences and hand formulas elsewhere);
and the eager path builds none of them until the graph is read."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import sympy as sp
from sympy.core.function import AppliedUndef

from symdl.nn.attention import scaled_dot_product_attention
from symdl.nn.dense import MLP, Linear
from symdl.nn.recurrent import LSTMCell, RNNCell, lstm_unroll, rnn_unroll
from symdl.printing.text import text
from symdl.tensor import network as networks
from symdl.tensor.network import Network
from symdl.tensor.symbolic import LinearMap, evaluate


def _env(net: Network) -> dict:
    g = net.graph
    env = {net.shown(n): d["value"] for n, d in g.nodes(data=True)}  # a form names a node as a person reads it
    env.update({f"∂{net.shown(net.output)}/∂{net.shown(n)}": d["grad"] for n, d in g.nodes(data=True) if "grad" in d})
    return env


def _opaque(form) -> bool:
    return bool(form.atoms(AppliedUndef))


def check_forms(net: Network, seed: int = 0) -> int:
    """Every form of ``net`` against the numbers; returns how many forms were checked."""
    g, env, rng, checked = net.graph, _env(net), np.random.default_rng(seed), 0
    for u, v, edge in g.edges(data=True):
        assert not _opaque(edge["vjp"]) and not _opaque(edge["local"]), (u, v, text(edge["vjp"]))
        shape = g.nodes[u]["shape"]
        if "contribution" in edge:
            np.testing.assert_allclose(evaluate(edge["vjp"], env).reshape(shape), edge["contribution"],
                                       rtol=1e-10, atol=1e-14)
            checked += 1
        local, data = edge["local"], g.nodes[v]
        if isinstance(local, LinearMap):  # the Jacobian as the map it applies: v ↦ vᵀJ at a random v
            probe = rng.standard_normal(data["shape"])
            numeric = networks.vjp(data, probe, data["value"], [g.nodes[i]["value"] for i in data["inputs"]])
            expected = sum(c for i, c in zip(data["inputs"], numeric) if i == u)
            got = evaluate(local.body, {**env, local.variable.name: probe})
            np.testing.assert_allclose(got.reshape(shape), np.reshape(expected, shape), rtol=1e-10, atol=1e-14)
            checked += 1
        elif "local_value" in edge:
            expected = edge["local_value"]
            np.testing.assert_allclose(evaluate(local, env).reshape(expected.shape), expected, rtol=1e-10,
                                       atol=1e-14)
            checked += 1
    for node, data in g.nodes(data=True):
        if "grad_form" in data:
            np.testing.assert_allclose(evaluate(data["grad_form"], env).reshape(data["shape"]), data["grad"],
                                       rtol=1e-10, atol=1e-14)
            checked += 1
    return checked


def _random(rng, *shape):
    return rng.uniform(-1, 1, shape)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_linear_sigmoid_mse_forms(seed):
    rng = np.random.default_rng(seed)
    net = Network()
    z = net.apply("add", net.apply("matmul", net.parameter("W", _random(rng, 2, 3)),
                                   net.input("x", _random(rng, 3)), name="Wx"),
                  net.parameter("b", _random(rng, 2)), name="z")
    a = net.apply("sigmoid", z, name="a")
    net.backward(net.apply("half_sse", a, net.constant("y", _random(rng, 2)), name="L"))
    assert check_forms(net, seed) >= 12
    g = net.graph
    assert text(g.nodes["z"]["grad_form"]) == "∂L/∂a ⊙ a ⊙ (1 − a)"  # the ∂L/∂a ⊙ factor is there
    assert text(g.nodes["W"]["grad_form"]) == "∂L/∂Wx xᵀ"
    assert text(g.edges["x", "Wx"]["local"]) == "W"  # an edge shows the Jacobian, not the backward product
    assert text(g.edges["z", "a"]["local"]) == "diag(a ⊙ (1 − a))"


def test_batched_mlp_forms():
    """Rows of a batch: X Wᵀ + b broadcasts the bias over rows; the loss reads a matrix."""
    rng = np.random.default_rng(3)
    net = Network()
    out = MLP([3, 4, 2], activation="tanh", seed=3)(net, net.input("X", _random(rng, 5, 3)))
    net.backward(net.apply("half_sse", out, net.constant("Y", _random(rng, 5, 2)), name="L"))
    assert check_forms(net) >= 15


def test_rnn_forms():
    rng = np.random.default_rng(4)
    net = Network()
    cell = RNNCell(2, 3, seed=4, layout="columns")
    unrolled = rnn_unroll(net, cell, [_random(rng, 2) for _ in range(3)])
    net.backward(net.apply("half_sse", unrolled.hs[-1], net.constant("y", _random(rng, 3, 1)), name="L"))
    assert check_forms(net) >= 30


def test_lstm_forms():
    rng = np.random.default_rng(5)
    net = Network()
    unrolled = lstm_unroll(net, LSTMCell(2, 2, seed=5, layout="columns"), [_random(rng, 2, 1) for _ in range(2)])
    net.backward(net.apply("half_sse", unrolled.hs[-1], net.constant("y", _random(rng, 2, 1)), name="L"))
    assert check_forms(net) >= 60


def test_attention_forms():
    """softmax(Q Kᵀ/√d) V over the rows of a matrix, with Linear projections of the tokens."""
    rng = np.random.default_rng(6)
    net = Network()
    x = net.input("X", _random(rng, 3, 4))
    q, k, v = (Linear(4, 2, seed=i)(net, x, name=role) for i, role in enumerate("QKV"))
    attended = scaled_dot_product_attention(net, q, k, v, name="att")
    net.backward(net.apply("sum", net.apply("hadamard", attended, attended, name="sq"), name="L"))
    assert check_forms(net) >= 20


def test_example_style_attention_with_broadcasts():
    """The seed's self-attention worked row by row: q ⊙ K broadcast, sums along an axis, a reshape."""
    rng = np.random.default_rng(7)
    net = Network()
    q, K, V = net.input("q", _random(rng, 2)), net.input("K", _random(rng, 3, 2)), net.input("V", _random(rng, 3, 2))
    scores = net.apply("scale", net.apply("sum", net.apply("hadamard", q, K, name="qK"), axis=1, name="s"),
                       c=0.5, name="scaled")
    w = net.apply("reshape", net.apply("softmax", scores, name="w"), shape=(3, 1), name="w_col")
    z = net.apply("sum", net.apply("hadamard", w, V, name="wV"), axis=0, name="z")
    net.backward(net.apply("half_sse", z, net.constant("y", _random(rng, 2)), name="L"))
    assert check_forms(net) >= 12
    assert text(net.graph.nodes["scaled"]["grad_form"]) == "w ⊙ (∂L/∂w − 𝟙𝟙ᵀ (w ⊙ ∂L/∂w))"  # 𝟙𝟙ᵀ: the 3×3 ones


def _lstm_network(suffix: str) -> Network:
    rng = np.random.default_rng(8)
    net = Network()
    unrolled = lstm_unroll(net, LSTMCell(2, 3, seed=8, layout="columns"), [_random(rng, 2, 1) for _ in range(2)], prefix=suffix)
    net.backward(net.apply("half_sse", unrolled.hs[-1], net.constant("y" + suffix, _random(rng, 3, 1)), name="L" + suffix))
    return net


def test_apply_and_backward_build_no_sympy_objects(monkeypatch):
    """The eager path is NumPy only: no SymPy object is constructed by apply or backward, and none
    sits on the graph, until the graph is read (as a printer or the worksheet does)."""
    _lstm_network("warm")  # compiles and caches each element-wise op's NumPy derivative once
    made = []
    original = sp.Basic.__new__

    def counting(cls, *args, **kwargs):
        made.append(cls)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(sp.Basic, "__new__", staticmethod(counting))
    net = _lstm_network("cold")
    assert made == []
    assert net._graph is None  # no networkx graph either, until a reader asks
    for data in net._nodes.values():  # the data apply and backward leave
        assert not any(isinstance(v, sp.Basic) for v in data.values())
    assert not any(isinstance(v, sp.Basic) for v in net._grads.values())
    assert "expr" in net.graph.nodes["cold.h2"] and made  # the forms, once asked for (and the counter works)


def check_values(net: Network) -> int:
    """Every op node's value form, evaluated with NumPy at the operands' values, equals its value."""
    g, env, checked = net.graph, _env(net), 0
    for node, data in g.nodes(data=True):
        if data["kind"] == "op" and not _opaque(data["expr"]):
            np.testing.assert_allclose(evaluate(data["expr"], env).reshape(data["shape"]), data["value"],
                                       rtol=1e-10, atol=1e-14)
            checked += 1
    return checked


def _classifier(rng, target, batch: int = 5, loss: str = "cross_entropy") -> Network:
    net = Network()
    x = net.input("X", _random(rng, batch, 4)) if batch else net.input("x", _random(rng, 4))
    w = net.parameter("W", _random(rng, 3, 4))
    z = net.apply("matmul", x, net.apply("transpose", w, name="Wᵀ"), name="z")
    net.backward(net.apply(loss, z, net.constant("y", target), name="L"))
    return net


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_forms_on_class_indices(reduction):
    rng = np.random.default_rng(9)
    net = Network()
    z = net.apply("matmul", net.input("X", _random(rng, 5, 4)), net.parameter("W", _random(rng, 4, 3)), name="z")
    net.backward(net.apply("cross_entropy", z, net.constant("y", np.array([0.0, 2, 1, 1, 0])),
                           reduction=reduction, name="L"))
    assert check_forms(net) >= 5 and check_values(net) >= 2
    n = "/5" if reduction == "mean" else ""  # a scale by 1/5 as a number's is written: x/5
    assert text(net.graph.nodes["z"]["grad_form"]) == f"softmax(z){n} − onehot(y){n}"


def test_cross_entropy_forms_on_class_probabilities_and_one_sample():
    rng = np.random.default_rng(10)
    probabilities = rng.dirichlet(np.ones(3), size=5) * 1.5  # rows that need not sum to 1
    for net in (_classifier(rng, probabilities), _classifier(rng, np.array(2.0), batch=0),
                _classifier(rng, rng.dirichlet(np.ones(3)), batch=0)):
        assert check_forms(net) >= 5 and check_values(net) >= 2
        assert "softmax(z)" in text(net.graph.nodes["z"]["grad_form"])


@pytest.mark.parametrize("axis", [0, -1])
def test_log_softmax_forms(axis):
    rng = np.random.default_rng(11)
    net = Network()
    ls = net.apply("log_softmax", net.input("Z", _random(rng, 3, 4) * 3), axis=axis, name="ls")
    net.backward(net.apply("sum", net.apply("hadamard", ls, net.constant("w", _random(rng, 3, 4))), name="L"))
    assert check_forms(net) >= 4 and check_values(net) >= 2
    assert "exp(ls)" in text(net.graph.edges["Z", "ls"]["vjp"])  # the softmax read from the output


def test_bce_forms():
    rng = np.random.default_rng(12)
    for shape in [(4,), (3, 2)]:
        net = Network()
        p = net.apply("sigmoid", net.input("u", _random(rng, *shape) * 2), name="p")
        net.backward(net.apply("bce", p, net.parameter("y", rng.uniform(0, 1, shape)), name="L"))
        assert check_forms(net) >= 4 and check_values(net) >= 2
        assert "log(1 − p)" in text(net.graph.nodes["y"]["grad_form"])


def test_concat_and_slice_forms():
    rng = np.random.default_rng(13)
    net = Network()
    a, b = net.input("a", _random(rng, 2)), net.input("b", _random(rng, 3))
    stacked = net.apply("concat", a, b, name="ab")  # two columns into one of 5
    M, N = net.input("M", _random(rng, 2, 3)), net.input("N", _random(rng, 2, 2))
    wide = net.apply("concat", M, N, axis=1, name="MN")  # side by side: 2×5
    tall = net.apply("concat", M, net.input("K", _random(rng, 1, 3)), axis=0, name="MK")  # 3×3
    parts = [net.apply("slice", stacked, index=slice(1, 4), name="s1"),
             net.apply("slice", wide, index=(1, slice(0, 4, 2)), name="s2"),  # one row: a vector (2,)
             net.apply("slice", wide, index=(slice(None), 3), name="s3"),  # one column: a vector (2,)
             net.apply("slice", tall, index=(slice(0, 2), slice(1, None)), name="s4")]
    picked = [net.apply("sum", net.apply("hadamard", p, p)) for p in parts]
    corner = net.apply("slice", tall, index=(2, 0), name="s5")  # one entry: a scalar
    total = functools.reduce(lambda s, t: net.apply("add", s, t), [*picked, corner])
    net.backward(net.apply("scale", total, c=1.0, name="L"))
    assert check_forms(net) >= 20 and check_values(net) >= 10
    assert text(net.graph.nodes["ab"]["expr"]) == "[a; b]" and text(net.graph.nodes["MN"]["expr"]) == "[M, N]"
    assert text(net.graph.edges["b", "ab"]["vjp"]) == "∂L/∂ab[3–5, :]"  # b is rows 3–5 of ab, counted from 1


def test_chunk_forms_are_the_blocks_slices():
    """Heads of attention: block j of k along the columns (and of a vector), checked by NumPy."""
    rng = np.random.default_rng(17)
    net = Network()
    Q, v = net.input("Q", _random(rng, 3, 4)), net.input("v", _random(rng, 6))
    heads = [net.apply("chunk", Q, chunks=2, index=j, axis=1, name=f"Q{j}") for j in range(2)]
    heads += [net.apply("chunk", v, chunks=3, index=1, axis=0, name="v1")]
    squares = [net.apply("sum", net.apply("hadamard", h, h)) for h in heads]
    total = functools.reduce(lambda s, t: net.apply("add", s, t), squares)
    net.backward(net.apply("scale", total, c=1.0, name="L"))
    assert check_forms(net) >= 8 and check_values(net) >= 3
    assert "chunk" not in text(net.graph.edges["Q", "Q1"]["vjp"])


def test_an_op_without_a_matrix_form_prints_its_transposed_jacobian():
    """The VJP of reshape or a mask is (∂op/∂operand)ᵀ v in every printer, not reshape_vjp0(v, image)
    (expected text by hand); it stays an undefined function, so nothing evaluates it."""
    from symdl.printing.mathml import mathml
    from symdl.printing.texsafe import latex_of
    from symdl.tensor.symbolic import opaque_vjps
    v, image, mask = (sp.MatrixSymbol(name, 2, 2) for name in ("v", "image", "M"))
    reshape_vjp, = opaque_vjps("reshape", v, [image])
    assert text(reshape_vjp) == "(∂reshape/∂image)ᵀ v"
    assert latex_of(reshape_vjp) == r"\left(\frac{\partial \operatorname{reshape}}{\partial \mathrm{image}}\right)^{\top} v"
    assert "<mi>reshape</mi>" in mathml(reshape_vjp) and "vjp" not in mathml(reshape_vjp)
    assert text(opaque_vjps("mask", v, [image, mask])[1]) == "(∂mask/∂M)ᵀ v"
    assert _opaque(reshape_vjp)

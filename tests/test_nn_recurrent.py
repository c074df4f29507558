"""RNNCell and LSTMCell: the seed's worked numbers against NumPy written here, BPTT against
central finite differences, the Jacobian product against the graph, and PyTorch when installed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from symdl.nn.recurrent import (GATES, LSTMCell, RNNCell, jacobian_product_norms, lstm_unroll, rnn_unroll,
                                vanishing_exploding)
from symdl.examples.seed_sequence import seed_lstm, seed_rnn
from symdl.tensor.network import Network

from network_checks import finite_difference_check


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def weighted_sum(net: Network, nodes: list[str], weights: list[np.ndarray]) -> str:
    """L = Σ_t Σ R_t ⊙ node_t: a scalar that depends on every entry of every node."""
    total = None
    for k, (node, r) in enumerate(zip(nodes, weights)):
        term = net.apply("sum", net.apply("hadamard", node, net.constant(f"R{k}", r)))
        total = term if total is None else net.apply("add", total, term)
    return total


# --- the seed's RNN --------------------------------------------------------------------------------

W_XH = np.array([[0.5, -0.3], [0.8, 0.2], [0.1, 0.9]])
W_HH = np.array([[0.1, 0.4, 0.0], [-0.2, 0.3, 0.2], [0.05, -0.1, 0.2]])
W_YH = np.array([[1.0, -1.0, 0.5], [0.5, 0.5, -0.5]])


def test_seed_rnn_matches_numpy():
    h, values = np.zeros(3), seed_rnn().values
    for t, x in enumerate(([1.0, 2.0], [-1.0, 1.0]), start=1):
        h = np.tanh(W_HH @ h + W_XH @ np.array(x))
        np.testing.assert_allclose(values[f"h{t}"], h, atol=1e-12)
        np.testing.assert_allclose(values[f"y{t}"], W_YH @ h, atol=1e-12)
    np.testing.assert_allclose(values["W_yh W_hh"], W_YH @ W_HH, atol=1e-12)


def test_seed_rnn_slips_named():
    values, notes = seed_rnn().values, seed_rnn().notes
    # Notes: W_xh x1 = [−0.1, 1.2, 0.9]; right: 0.1·1 + 0.9·2 = 1.9, so h1[2] = tanh 1.9 = 0.956 (not 0.716).
    assert values["h1.z"][2] == pytest.approx(1.9) and notes["h1.z"][2] == 0.9
    assert values["h1"][2] == pytest.approx(0.956237, abs=1e-6)
    # Notes: h1[0] = 0.099; right: tanh(−0.1) = −0.0997.
    assert values["h1"][0] == pytest.approx(-0.099668, abs=1e-6)
    # Notes: y1 = [−0.579, 0.009]; right: [−0.455, −0.111].
    np.testing.assert_allclose(values["y1"], [-0.455204, -0.111125], atol=1e-6)
    # Notes: W_xh x2 = [−0.8, −0.6, 0.3]; right: [−0.8, −0.6, 0.8].
    np.testing.assert_allclose(values["h2.xh"], [-0.8, -0.6, 0.8], atol=1e-12)
    # Notes stop at a pre-activation [−0.4779, −0.1871, 0.355]; right h2 = tanh([−0.4765, −0.1387, 0.9029]).
    np.testing.assert_allclose(values["h2"], [-0.443440, -0.137839, 0.717706], atol=1e-6)
    # Notes: W_yh W_hh = [[0.28, −0.28, 0.1], [0.15, 0.15, −0.1]]; right: [[0.325, 0.05, −0.1], [−0.075, 0.4, 0]].
    np.testing.assert_allclose(values["W_yh W_hh"], [[0.325, 0.05, -0.1], [-0.075, 0.4, 0.0]], atol=1e-12)


def test_seed_rnn_graph_shares_weights():
    net = seed_rnn().network
    assert net.graph.nodes["W_hh"]["kind"] == "parameter"
    assert sum(1 for _ in net.graph.successors("W_hh")) == 2  # one matmul per time step, one weight node


# --- BPTT ------------------------------------------------------------------------------------------

sizes = st.integers(1, 3)


@settings(max_examples=25)
@given(st.data(), sizes, sizes, st.integers(1, 3), st.integers(1, 2), st.sampled_from(["tanh", "relu"]))
def test_rnn_bptt_matches_finite_differences(data, n_in, n_h, steps, batch, nonlinearity):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    leaves = {"W_xh": rng.normal(size=(n_h, n_in)), "W_hh": rng.normal(size=(n_h, n_h)),
              "b_xh": rng.normal(size=(n_h, 1)), "b_hh": rng.normal(size=(n_h, 1)),
              "W_yh": rng.normal(size=(2, n_h)), "h0": rng.normal(size=(n_h, batch))}
    leaves |= {f"x{t}": rng.normal(size=(n_in, batch)) for t in range(1, steps + 1)}
    targets = [rng.normal(size=(2, batch)) for _ in range(steps)]
    if nonlinearity == "relu":  # keep every pre-activation away from the kink, where differences are not derivatives
        leaves["b_xh"] += 3 * np.sign(leaves["b_xh"])

    def build(v):
        net = Network()
        cell = RNNCell(n_in, n_h, nonlinearity, weight_ih=v["W_xh"], weight_hh=v["W_hh"],
                       bias_ih=v["b_xh"], bias_hh=v["b_hh"], layout="columns")
        run = rnn_unroll(net, cell, [v[f"x{t}"] for t in range(1, steps + 1)], v["h0"], weight_yh=v["W_yh"])
        return net, weighted_sum(net, run.ys, targets)

    if nonlinearity == "relu":
        net, _ = build(leaves)
        assume(all(np.min(np.abs(net.value(f"h{t}.z"))) > 1e-3 for t in range(1, steps + 1)))
    finite_difference_check(build, leaves)


def test_rnn_bptt_sums_over_steps():
    """∂L/∂W_hh from the graph is the sum over t of δ_t h_{t−1}ᵀ, written out by hand here."""
    rng = np.random.default_rng(1)
    cell = RNNCell(2, 3, bias=False, weight_ih=rng.normal(size=(3, 2)), weight_hh=rng.normal(size=(3, 3)), layout="columns")
    xs = [rng.normal(size=2) for _ in range(4)]
    net = Network()
    run = rnn_unroll(net, cell, xs)
    grads = net.backward(net.apply("sum", run.hs[-1]))
    hs, delta, expected = [net.value(h) for h in run.hs], np.ones((3, 1)), np.zeros((3, 3))
    for t in range(4, 0, -1):
        delta = delta * (1 - hs[t] ** 2)  # through tanh
        expected += delta @ hs[t - 1].T
        delta = cell.weight_hh.T @ delta  # on to h_{t−1}
    np.testing.assert_allclose(grads["W_hh"], expected, atol=1e-12)


# --- vanishing and exploding -------------------------------------------------------------------------

def test_jacobian_products_vanish_and_explode_as_scale_to_the_t():
    norms = vanishing_exploding(steps=30, scales=(0.5, 1.5))
    t = np.arange(1, 31)
    np.testing.assert_allclose(norms[0.5], 0.5**t, rtol=1e-9)
    np.testing.assert_allclose(norms[1.5], 1.5**t, rtol=1e-9)
    assert norms[0.5][-1] < 1e-8 and norms[1.5][-1] > 1e5


def test_saturation_only_shrinks_the_product():
    inputs = np.random.default_rng(2).normal(scale=2.0, size=(20, 3))
    norms = vanishing_exploding(steps=20, scales=(1.5,), inputs=inputs)[1.5]
    assert np.all(norms <= 1.5 ** np.arange(1, 21) * (1 + 1e-12))
    assert norms[-1] < 1.5**20 / 100


@settings(max_examples=20)
@given(st.integers(0, 2**32 - 1), st.integers(1, 5))
def test_jacobian_product_is_what_bptt_multiplies_by(seed, steps):
    """uᵀ ∂h_T/∂h_0 from net.backward equals uᵀ times the product of the per-step Jacobians."""
    rng = np.random.default_rng(seed)
    cell = RNNCell(2, 3, weight_ih=rng.normal(size=(3, 2)), weight_hh=rng.normal(size=(3, 3)), seed=seed, layout="columns")
    xs, h0, u = [rng.normal(size=2) for _ in range(steps)], rng.normal(size=3), rng.normal(size=(3, 1))
    net = Network()
    run = rnn_unroll(net, cell, xs, h0)
    grads = net.backward(weighted_sum(net, [run.hs[-1]], [u]))
    product = np.eye(3)
    for h in run.hs[1:]:
        product = cell.local_jacobian(net, h) @ product
    np.testing.assert_allclose(grads["h0"], product.T @ u, atol=1e-10)
    np.testing.assert_allclose(jacobian_product_norms(cell, xs, h0)[-1], np.linalg.norm(product, 2), rtol=1e-12)


# --- the seed's LSTM ---------------------------------------------------------------------------------

def test_seed_lstm_matches_numpy():
    x, h, c = np.array([0.5, -0.1]), np.array([0.0, 0.1]), np.zeros(2)
    w_x = {"i": [[0.5, -0.3], [0.4, 0.1]], "f": np.zeros((2, 2)), "g": [[-0.5, 0.4], [0.2, -0.3]],
           "o": [[0.3, 0.25], [-0.2, 0.2]]}
    w_h = {"i": [[0.1, 0.2], [0.2, 0.05]], "f": [[-0.4, 0.2], [0.3, 0.3]], "g": [[0.2, 0.1], [0.1, 0.05]],
           "o": [[0.15, 0.05], [0.1, -0.2]]}
    z = {k: np.array(w_h[k]) @ h + np.array(w_x[k]) @ x for k in "ifgo"}
    i, f, g, o = sigmoid(z["i"]), sigmoid(z["f"]), np.tanh(z["g"]), sigmoid(z["o"])
    c_new = f * c + i * g
    values = seed_lstm().values
    for name, expected in {"i1": i, "f1": f, "g1": g, "o1": o, "c1": c_new, "h1": o * np.tanh(c_new)}.items():
        np.testing.assert_allclose(values[name], expected, atol=1e-12, err_msg=name)


def test_seed_lstm_slips_named():
    values = seed_lstm().values
    # Notes: i_t pre-activation [0.225, 0.17] (W_ho used for W_hi, and (−0.3)(−0.1) taken as −0.03);
    # right: [0.30, 0.195].
    np.testing.assert_allclose(values["i1.z"], [0.30, 0.195], atol=1e-12)
    np.testing.assert_allclose(values["i1"], [0.574443, 0.548596], atol=1e-6)
    # Notes: o_t pre-activation [0.13, −0.122], o_t = [0.53, 0.43]; right: [0.13, −0.14], o_t = [0.532, 0.465].
    np.testing.assert_allclose(values["o1.z"], [0.13, -0.14], atol=1e-12)
    np.testing.assert_allclose(values["o1"], [0.532454, 0.465057], atol=1e-6)
    # Notes: g_t pre-activation [−0.35, 0.125], g_t = [−0.311, 0.13]; right: [−0.28, 0.135], g_t = [−0.273, 0.134].
    np.testing.assert_allclose(values["g1.z"], [-0.28, 0.135], atol=1e-12)
    np.testing.assert_allclose(values["g1"], [-0.272905, 0.134186], atol=1e-6)
    # The notes never reach c_t and h_t.
    np.testing.assert_allclose(values["c1"], [-0.156768, 0.073614], atol=1e-6)
    np.testing.assert_allclose(values["h1"], [-0.082795, 0.034173], atol=1e-6)


def test_lstm_gate_order_is_pytorchs():
    cell = LSTMCell(2, 3, seed=4)
    assert GATES == ("i", "f", "g", "o")
    np.testing.assert_array_equal(cell.gate_block(cell.weight_ih, "g"), cell.weight_ih[6:9])
    w_x = {gate: cell.gate_block(cell.weight_ih, gate) for gate in GATES}
    w_h = {gate: cell.gate_block(cell.weight_hh, gate) for gate in GATES}
    rebuilt = LSTMCell.from_gates(w_x, w_h, bias=False)
    np.testing.assert_array_equal(rebuilt.weight_ih, cell.weight_ih)
    np.testing.assert_array_equal(rebuilt.weight_hh, cell.weight_hh)


@settings(max_examples=15)
@given(st.integers(0, 2**32 - 1), sizes, st.integers(1, 2), st.integers(1, 3), st.integers(1, 2))
def test_lstm_backward_through_steps_matches_finite_differences(seed, n_in, n_h, steps, batch):
    rng = np.random.default_rng(seed)
    leaves = {f"{kind}_{src}{gate}": rng.normal(size=(n_h, (n_in if src == "x" else n_h) if kind == "W" else 1))
              for gate in GATES for src in "xh" for kind in "Wb"}
    leaves |= {"h0": rng.normal(size=(n_h, batch)), "c0": rng.normal(size=(n_h, batch))}
    leaves |= {f"x{t}": rng.normal(size=(n_in, batch)) for t in range(1, steps + 1)}
    targets = [rng.normal(size=(n_h, batch)) for _ in range(2 * steps)]

    def build(v):
        net = Network()
        stack = lambda kind, src: np.vstack([v[f"{kind}_{src}{gate}"] for gate in GATES])  # noqa: E731
        cell = LSTMCell(n_in, n_h, weight_ih=stack("W", "x"), weight_hh=stack("W", "h"),
                        bias_ih=stack("b", "x"), bias_hh=stack("b", "h"), layout="columns")
        run = lstm_unroll(net, cell, [v[f"x{t}"] for t in range(1, steps + 1)], v["h0"], v["c0"])
        return net, weighted_sum(net, run.hs[1:] + run.cs[1:], targets)

    finite_difference_check(build, leaves)


# --- PyTorch, when installed -------------------------------------------------------------------------

def test_rnn_and_lstm_cells_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    xs = [rng.normal(size=(3, 2)) for _ in range(3)]  # three steps, input 3, batch 2 (columns)
    for make, torch_cell in ((lambda: RNNCell(3, 4, seed=6, layout="columns"), torch.nn.RNNCell(3, 4, dtype=torch.float64)),
                             (lambda: LSTMCell(3, 4, seed=6, layout="columns"), torch.nn.LSTMCell(3, 4, dtype=torch.float64))):
        cell = make()
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(torch_cell, name).copy_(torch.tensor(getattr(cell, name).reshape(getattr(torch_cell, name).shape)))
        net = Network()
        unroll = rnn_unroll if isinstance(cell, RNNCell) else lstm_unroll
        run = unroll(net, cell, xs)
        loss = net.apply("sum", run.hs[-1])
        grads = net.backward(loss)
        state = None
        for x in xs:
            state = torch_cell(torch.tensor(x.T), state)
        h = state if isinstance(cell, RNNCell) else state[0]
        h.sum().backward()
        np.testing.assert_allclose(net.value(run.hs[-1]), h.detach().numpy().T, atol=1e-12)
        expected = torch_cell.weight_hh.grad.numpy()
        got = grads["W_hh"] if isinstance(cell, RNNCell) else cell.stacked_gradients(grads, run.params)["weight_hh"]
        np.testing.assert_allclose(got, expected, atol=1e-12)


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_row_layout_is_pytorchs_by_default(kind):
    """Rows (B, I) in, (4H,) biases: outputs and every gradient equal torch's in float64."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    xs = [rng.normal(size=(2, 3)) for _ in range(3)]  # three steps, batch 2, input 3 (PyTorch's rows)
    cell = RNNCell(3, 4, seed=2) if kind == "rnn" else LSTMCell(3, 4, seed=2)
    module = (torch.nn.RNNCell if kind == "rnn" else torch.nn.LSTMCell)(3, 4, dtype=torch.float64)
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    assert cell.bias_ih.shape == module.bias_ih.shape  # (H,) or (4H,), no column
    with torch.no_grad():
        for name in names:
            getattr(module, name).copy_(torch.tensor(getattr(cell, name)))
    net = Network()
    run = (rnn_unroll if kind == "rnn" else lstm_unroll)(net, cell, xs)
    grads = net.backward(net.apply("sum", net.apply("hadamard", run.hs[-1], run.hs[-1])))
    inputs = [torch.tensor(x, requires_grad=True) for x in xs]
    state = None
    for x in inputs:
        state = module(x, state)
    h = state if kind == "rnn" else state[0]
    (h * h).sum().backward()
    np.testing.assert_allclose(net.value(run.hs[-1]), h.detach().numpy(), rtol=1e-12, atol=1e-12)
    ours = ({"weight_ih": grads["W_xh"], "weight_hh": grads["W_hh"], "bias_ih": grads["b_xh"],
             "bias_hh": grads["b_hh"]} if kind == "rnn" else cell.stacked_gradients(grads, run.params))
    for name in names:
        np.testing.assert_allclose(ours[name], getattr(module, name).grad.numpy(), rtol=1e-12, atol=1e-12,
                                   err_msg=name)
    for t, x in enumerate(inputs, start=1):
        np.testing.assert_allclose(grads[f"x{t}"], x.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_layout_names_are_checked():
    with pytest.raises(ValueError, match="layout"):
        RNNCell(2, 2, layout="cols")

"""Linear, MLP, initialisation and the perceptron: each against NumPy written here (and PyTorch
when it is installed), the seed's 4-input example and its logic gates with the right numbers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from symdl.examples.seed_dense import SEED_AND, SEED_OR, SEED_XOR_NETWORK, seed_four_input_mlp
from symdl.examples.symmetry import zero_init_symmetry
from symdl.nn import MLP, Linear, init, perceptron, xor_is_not_linearly_separable
from symdl.nn.perceptron import AND, OR, TRUTH_TABLES, XOR_NETWORK
from symdl.tensor.network import Network

ACTIVATIONS = {
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda a, z: a * (1 - a)),
    "tanh": (np.tanh, lambda a, z: 1 - a**2),
    "relu": (lambda z: np.maximum(z, 0), lambda a, z: (z > 0).astype(float)),
}


def numpy_mlp(weights, biases, x, y, activation):
    """Forward and backward of ½‖a_L − y‖² by hand: δ_L = (a_L − y) σ'(z_L), δ_l = (W_{l+1}ᵀ δ_{l+1}) σ'(z_l)."""
    f, df = ACTIVATIONS[activation]
    activations, zs = [x], []
    for w, b in zip(weights, biases):
        zs.append(w @ activations[-1] + b)
        activations.append(f(zs[-1]))
    delta = (activations[-1] - y) * df(activations[-1], zs[-1])
    grads = []
    for layer in reversed(range(len(weights))):
        grads.append((np.outer(delta, activations[layer]), delta))
        if layer:
            delta = (weights[layer].T @ delta) * df(activations[layer], zs[layer - 1])
    return activations[-1], grads[::-1]


# --- Linear ---------------------------------------------------------------------------------------
def test_linear_is_w_x_plus_b_with_pytorch_weight_layout():
    rng = np.random.default_rng(1)
    w, b, x = rng.normal(size=(2, 3)), rng.normal(size=2), rng.normal(size=3)
    net = Network()
    out = Linear(3, 2, weight=w, bias=b)(net, net.input("x", x), name="fc1")
    np.testing.assert_allclose(net.value(out), [w[0] @ x + b[0], w[1] @ x + b[1]])
    assert net.graph.nodes["fc1.weight"]["kind"] == "parameter" and net.value("fc1.weight").shape == (2, 3)
    assert net.graph.nodes["fc1.bias"]["kind"] == "parameter"


def test_linear_on_a_batch_of_rows_and_its_gradients():
    """Y = X Wᵀ + b for X of shape (N, in); the bias gradient sums the rows' errors."""
    rng = np.random.default_rng(2)
    w, b, x, y = rng.normal(size=(2, 3)), rng.normal(size=2), rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    net = Network()
    out = Linear(3, 2, weight=w, bias=b)(net, net.input("X", x), name="fc")
    np.testing.assert_allclose(net.value(out), np.einsum("nk,ok->no", x, w) + b)
    grads = net.backward(net.apply("half_sse", out, net.constant("Y", y), name="L"))
    error = x @ w.T + b - y
    np.testing.assert_allclose(grads["fc.weight"], error.T @ x)
    np.testing.assert_allclose(grads["fc.bias"], error.sum(axis=0))
    np.testing.assert_allclose(grads["X"], error @ w)


def test_linear_refuses_a_transposed_weight_and_unknown_init():
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        Linear(3, 2, weight=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="unknown init"):
        Linear(3, 2, init="orthogonal")


# --- MLP --------------------------------------------------------------------------------------------
@given(st.lists(st.integers(1, 4), min_size=2, max_size=4), st.sampled_from(sorted(ACTIVATIONS)),
       st.integers(0, 2**16))
def test_mlp_forward_and_backward_match_numpy(sizes, activation, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=sizes[0]), rng.uniform(size=sizes[-1])
    mlp = MLP(sizes, activation=activation, output_activation=activation, init="he_normal", seed=seed,
              biases=[rng.normal(size=n) for n in sizes[1:]])
    net = Network()
    out = mlp(net, net.input("x", x), name="mlp")
    grads = net.backward(net.apply("half_sse", out, net.constant("y", y), name="L"))
    expected, layer_grads = numpy_mlp([lay.weight for lay in mlp.layers], [lay.bias for lay in mlp.layers],
                                      x, y, activation)
    np.testing.assert_allclose(net.value(out), expected, rtol=1e-12)
    for i, (dw, db) in enumerate(layer_grads, start=1):
        np.testing.assert_allclose(grads[f"mlp.fc{i}.weight"], dw, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(grads[f"mlp.fc{i}.bias"], db, rtol=1e-10, atol=1e-12)


@given(st.integers(0, 2**16))
def test_mlp_gradients_match_central_differences(seed):
    rng = np.random.default_rng(seed)
    x, label = rng.normal(size=(3, 4)), rng.integers(0, 2, size=3).astype(float)
    mlp = MLP((4, 3, 2), activation="tanh", seed=seed)

    def loss():
        net = Network()
        value = net.apply("cross_entropy", mlp(net, net.input("x", x)), net.constant("y", label), name="L")
        return net, value

    net, node = loss()
    grads = net.backward(node)
    for layer, prefix in zip(mlp.layers, ("mlp.fc1", "mlp.fc2")):
        for k in np.ndindex(layer.weight.shape):
            sides = []
            for h in (1e-6, -1e-6):
                layer.weight[k] += h
                net_h, node_h = loss()
                sides.append(float(net_h.value(node_h)))
                layer.weight[k] -= h
            assert grads[f"{prefix}.weight"][k] == pytest.approx((sides[0] - sides[1]) / 2e-6, abs=1e-7)


def test_mlp_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x, label = rng.normal(size=(5, 4)), rng.integers(0, 3, size=5)
    mlp = MLP((4, 6, 3), activation="relu", seed=3)
    net = Network()
    logits = mlp(net, net.input("x", x))
    grads = net.backward(net.apply("cross_entropy", logits, net.constant("y", label), name="L"))
    model = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3)).double()
    with torch.no_grad():
        for linear, layer in zip((model[0], model[2]), mlp.layers):
            linear.weight.copy_(torch.tensor(layer.weight))
            linear.bias.copy_(torch.tensor(layer.bias))
    loss = torch.nn.functional.cross_entropy(model(torch.tensor(x)), torch.tensor(label))
    loss.backward()
    assert float(net.value("L")) == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(grads["mlp.fc1.weight"], model[0].weight.grad.numpy(), rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(grads["mlp.fc2.bias"], model[2].bias.grad.numpy(), rtol=1e-9, atol=1e-14)


# --- the seed's 4-input example ---------------------------------------------------------------------------
def test_seed_four_input_mlp_forward():
    """Every hidden unit: 0.1·(−2.4 + 1.2 − 0.8 + 1.1) = −0.09. The notes write the products as
    −0.24 + 0.12 + 0.08 + 0.11 (the third is −0.08) and get 0.06, then 0.07, then −0.09; they
    underline "Layer 1 = 0.07", write a₁ = ReLU(0.09) (it is ReLU(−0.09)) and z₃ = −0.9 (−0.09)."""
    net, _ = seed_four_input_mlp()
    x = np.array([-2.4, 1.2, -0.8, 1.1])
    products = 0.1 * x
    np.testing.assert_allclose(products, [-0.24, 0.12, -0.08, 0.11])
    np.testing.assert_allclose(net.value("fc1"), [-0.09] * 3, atol=1e-15)
    assert products.sum() != pytest.approx(0.06) and products.sum() != pytest.approx(0.07)
    np.testing.assert_array_equal(net.value("a1"), [0, 0, 0])  # ReLU(−0.09) = 0: every unit is dead
    np.testing.assert_array_equal(net.value("fc2"), [0, 0])
    np.testing.assert_array_equal(net.value("p"), [0.5, 0.5])  # the notes' e⁰/(e⁰ + e⁰) = ½: right


def test_seed_four_input_mlp_backward():
    """With cross-entropy against class 0: L = ln 2, and only the output bias learns —
    softmax − one-hot = (−½, ½). The hidden layer gets W₂ᵀδ = 0.1·(−½ + ½) = 0 (equal weights),
    and ReLU'(−0.09) = 0 would stop any gradient there anyway."""
    net, loss = seed_four_input_mlp(target=0)
    grads = net.backward(loss)
    assert float(net.value(loss)) == pytest.approx(np.log(2), rel=1e-15)
    np.testing.assert_allclose(grads["fc2.bias"], [-0.5, 0.5])
    np.testing.assert_array_equal(grads["fc2.weight"], np.zeros((2, 3)))  # δ aᵀ with a = 0
    np.testing.assert_allclose(grads["a1"], np.full((2, 3), 0.1).T @ [-0.5, 0.5], atol=1e-16)
    for name in ("fc1.weight", "fc1.bias", "x"):
        assert not np.any(grads[name])


# --- initialisation -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("scheme, variance, bound", [
    (lambda s, seed: init.uniform(s, a=0.1, seed=seed), 0.1**2 / 3, 0.1),
    (lambda s, seed: init.xavier_normal(s, seed=seed), 2 / (300 + 200), None),
    (lambda s, seed: init.xavier_uniform(s, seed=seed), 2 / (300 + 200), np.sqrt(6 / 500)),
    (lambda s, seed: init.he_normal(s, seed=seed), 2 / 300, None),
], ids=["uniform", "xavier_normal", "xavier_uniform", "he_normal"])
def test_initialisation_statistics(scheme, variance, bound):
    """60 000 draws: the variance within 2% and the mean within 4 standard errors of 0."""
    w = scheme((200, 300), 5)
    assert w.shape == (200, 300)
    assert w.var() == pytest.approx(variance, rel=0.02)
    assert abs(w.mean()) < 4 * np.sqrt(variance / w.size)
    if bound is not None:
        assert np.abs(w).max() <= bound
    np.testing.assert_array_equal(scheme((200, 300), 5), w)  # seeded: the same draw again
    assert not np.array_equal(scheme((200, 300), 6), w)


def test_fans_follow_pytorch_for_kernels_and_refuse_vectors():
    w = init.he_normal((64, 16, 3, 3), seed=0)  # fan_in = 16·9 = 144
    assert w.var() == pytest.approx(2 / 144, rel=0.03)
    assert not np.any(init.zeros((3, 2)))
    with pytest.raises(ValueError, match="2 dimensions"):
        init.xavier_normal((5,))


def test_linear_uses_its_init_and_seed():
    assert np.array_equal(Linear(3, 2, init="uniform", seed=4).weight, init.uniform((2, 3), seed=4))
    assert not np.any(Linear(3, 2).bias)


@pytest.mark.parametrize("value", [0.0, 0.3])
def test_equal_initialisation_keeps_hidden_units_identical(value):
    report = zero_init_symmetry(value=value, steps=3)
    assert report.units_identical
    assert len(report.hidden) == 3
    if value == 0.0:
        np.testing.assert_array_equal(report.hidden[0], [0.5, 0.5, 0.5])  # σ(0) in every unit
        assert not np.any(report.weight_grad[0])  # Wᵀδ = 0: the first layer learns nothing at first
    else:
        assert np.any(report.weight_grad[-1])  # it learns — but every unit the same thing


def test_random_initialisation_breaks_the_symmetry():
    net = Network()
    MLP((4, 3, 2), init="xavier_normal")(net, net.input("x", np.linspace(-1, 1, 4)))
    assert len(set(np.round(net.value("mlp.a1"), 12))) == 3


# --- perceptron and logic gates ----------------------------------------------------------------------------
def test_gate_truth_tables():
    """The notes' table labelled AND is OR's (0, 1, 1, 1), and the one labelled "AND OR" is XOR's."""
    assert AND.truth_table() == TRUTH_TABLES["AND"] == (0, 0, 0, 1)
    assert OR.truth_table() == TRUTH_TABLES["OR"] == (0, 1, 1, 1)
    assert XOR_NETWORK.truth_table() == TRUTH_TABLES["XOR"] == (0, 1, 1, 0)


def test_seed_weights_realise_the_gates_with_step_0_at_0():
    """The notes' w = (1, 1), b = −1 is AND, not OR: (0, 1) gives z = 0 and g(0) = 0; b = 0 gives OR."""
    assert SEED_AND.truth_table() == TRUTH_TABLES["AND"]
    assert SEED_OR.truth_table() == TRUTH_TABLES["OR"]
    assert SEED_XOR_NETWORK.truth_table() == TRUTH_TABLES["XOR"]


def test_search_finds_the_widest_margin_weights():
    assert perceptron.search(TRUTH_TABLES["AND"])[0] == AND
    assert perceptron.search(TRUTH_TABLES["OR"])[0] == OR
    assert perceptron.search(TRUTH_TABLES["XOR"]) == []
    assert str(AND.expression()) == "Heaviside(x1 + x2 - 3/2, 0)"


def test_xor_impossibility_certificate():
    proof = xor_is_not_linearly_separable()
    assert (proof.grid_tried, proof.grid_found) == (729, 0)
    assert proof.rows == ((0, 0, -1), (0, 1, 1), (1, 0, 1), (-1, -1, -1))  # b ≤ 0, w2+b > 0, w1+b > 0, …
    assert proof.multipliers == (1, 1, 1, 1) and proof.check()
    assert "0 > 0" in proof.explain()
    forged = perceptron.SeparabilityProof(729, 0, proof.rows, proof.strict, (1, 1, 1, 0))
    assert not forged.check()


def test_separable_gates_have_no_certificate():
    assert perceptron.certificate(TRUTH_TABLES["AND"]) is None
    assert perceptron.certificate(TRUTH_TABLES["OR"]) is None
    assert perceptron.certificate((1, 0, 0, 1)) is not None  # XNOR is just as impossible

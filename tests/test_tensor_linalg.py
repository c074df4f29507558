"""Tensor ops of symdl.tensor.linalg: each record's forward pass against NumPy written here,
its VJP against central differences (hypothesis) and against the Jacobian of its symbolic
form, the seed's softmax example, and stability at logits of ±1e3 and ±1e6."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from symdl.tensor.linalg import softmax_jacobian
from symdl.printing.text import text
from symdl.tensor.network import Network
from symdl.tensor.symbolic import evaluate
from symdl.tensor.registry import TENSOR_REGISTRY, get

OPS = ("matmul", "add", "sub", "hadamard", "scale", "transpose", "sum", "mean", "reshape", "concat", "slice",
       "softmax", "log_softmax", "logsumexp", "mask", "half_sse", "mse", "bce", "bce_with_logits", "cross_entropy")
RNG = np.random.default_rng(7)


def rand(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, size=shape)


def probabilities(*shape):
    return rand(*shape, low=0.05, high=0.95)


def independent_softmax(x, axis=-1):
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def one_hot(index, classes):
    return np.eye(classes)[np.asarray(index, dtype=int)]


# --- forward against NumPy written here -----------------------------------------------------------
W, X, V, M = rand(2, 3), rand(3, 4), rand(3), rand(2, 3)
P, Y01, Z = probabilities(2, 3), RNG.integers(0, 2, size=(2, 3)).astype(float), rand(2, 3)
LABELS = np.array([2.0, 0.0])
HIDE = np.array([[False, True, False], [True, False, False]])
FORWARD_CASES = [
    ("matmul", (W, X), {}, lambda: np.einsum("ik,kj->ij", W, X)),
    ("matmul", (W, V), {}, lambda: np.array([sum(W[i, k] * V[k] for k in range(3)) for i in range(2)])),
    ("add", (M, V), {}, lambda: M + V[None, :]),
    ("sub", (M, V[None, :]), {}, lambda: M - np.tile(V, (2, 1))),
    ("hadamard", (M, Z), {}, lambda: np.multiply(M, Z)),
    ("scale", (M,), {"c": -2.5}, lambda: -2.5 * M),
    ("transpose", (M,), {}, lambda: np.array([[M[i, j] for i in range(2)] for j in range(3)])),
    ("sum", (M,), {}, lambda: M.ravel().sum()),
    ("sum", (M,), {"axis": 0}, lambda: M[0] + M[1]),
    ("mean", (M,), {"axis": 1}, lambda: (M[:, 0] + M[:, 1] + M[:, 2]) / 3),
    ("mean", (M,), {}, lambda: M.sum() / 6),
    ("reshape", (M,), {"shape": (3, 2)}, lambda: M.ravel().reshape(3, 2)),
    ("concat", (M, Z), {"axis": 1}, lambda: np.hstack([M, Z])),
    ("concat", (M, Z), {"axis": 0}, lambda: np.vstack([M, Z])),
    ("slice", (X,), {"index": (slice(0, 2), 1)}, lambda: np.array([X[0, 1], X[1, 1]])),
    ("softmax", (M,), {}, lambda: independent_softmax(M, axis=1)),
    ("softmax", (M,), {"axis": 0}, lambda: independent_softmax(M, axis=0)),
    ("log_softmax", (M,), {}, lambda: np.log(independent_softmax(M, axis=1))),
    ("logsumexp", (M,), {}, lambda: np.log(np.exp(M).sum(axis=1))),
    ("logsumexp", (M,), {"axis": None}, lambda: np.log(np.exp(M).sum())),
    ("mask", (M,), {"mask": HIDE}, lambda: np.where(HIDE, -np.inf, M)),
    ("half_sse", (M, Z), {}, lambda: 0.5 * np.sum((M - Z) ** 2)),
    ("mse", (M, Z), {}, lambda: np.mean((M - Z) ** 2)),
    ("mse", (M, Z), {"reduction": "sum"}, lambda: np.sum((M - Z) ** 2)),
    ("bce", (P, Y01), {}, lambda: -np.mean(Y01 * np.log(P) + (1 - Y01) * np.log(1 - P))),
    ("bce", (P, Y01), {"reduction": "sum"}, lambda: -np.sum(Y01 * np.log(P) + (1 - Y01) * np.log(1 - P))),
    ("bce_with_logits", (Z, Y01), {}, lambda: -np.mean(Y01 * np.log(1 / (1 + np.exp(-Z)))
                                                        + (1 - Y01) * np.log(1 - 1 / (1 + np.exp(-Z))))),
    ("cross_entropy", (M, LABELS), {}, lambda: -np.mean(np.log(independent_softmax(M)[[0, 1], [2, 0]]))),
    ("cross_entropy", (M, one_hot(LABELS, 3)), {"reduction": "sum"},
     lambda: -np.log(independent_softmax(M)[[0, 1], [2, 0]]).sum()),
    ("cross_entropy", (V, np.array(1.0)), {}, lambda: -np.log(independent_softmax(V)[1])),
]


def test_every_op_is_registered_with_its_notation():
    for name in OPS:
        op = TENSOR_REGISTRY[name]
        assert op.glyph and op.rule.endswith(".")
    g, y, w, x = sp.MatrixSymbol("g", 2, 1), sp.MatrixSymbol("y", 2, 1), sp.MatrixSymbol("W", 2, 3), sp.MatrixSymbol("x", 3, 1)
    assert get("matmul").value_form(w, x) == w * x
    assert tuple(get("matmul").vjp_form(g, y, w, x)) == (g * x.T, w.T * g)  # ∂L/∂W = g xᵀ, ∂L/∂x = Wᵀ g


@pytest.mark.parametrize("name, inputs, params, expected", FORWARD_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(FORWARD_CASES)])
def test_forward_matches_numpy(name, inputs, params, expected):
    np.testing.assert_allclose(get(name).forward(*inputs, **params), expected(), rtol=1e-12, atol=1e-12)


# --- VJP against central differences ---------------------------------------------------------------
H = 1e-6


def finite_part(out):
    return np.where(np.isfinite(out), out, 0.0)  # masked −inf entries carry no gradient


def check_vjp(name, inputs, params, differentiable=None):
    """Σ(upstream · out) differenced centrally in every input entry equals the VJP."""
    op = get(name)
    inputs = [np.array(a, dtype=float) for a in inputs]
    out = np.asarray(op.forward(*inputs, **params), dtype=float)
    upstream = RNG.normal(size=out.shape)
    grads = op.vjp(upstream, out, *inputs, **params)
    assert len(grads) == len(inputs)
    for i, (x, grad) in enumerate(zip(inputs, grads)):
        assert np.shape(grad) == x.shape
        if differentiable is not None and not differentiable[i]:
            continue
        numeric = np.zeros_like(x)
        for k in np.ndindex(x.shape):
            shifted = []
            for step in (H, -H):
                moved = [a.copy() for a in inputs]
                moved[i][k] += step
                shifted.append(np.sum(finite_part(op.forward(*moved, **params)) * upstream))
            numeric[k] = (shifted[0] - shifted[1]) / (2 * H)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-6, err_msg=f"{name} input {i}")


dims = st.integers(1, 4)
values = st.floats(-2, 2, allow_nan=False, allow_infinity=False)


def arrays(shape, elements=values):
    return hnp.arrays(np.float64, shape, elements=elements)


@st.composite
def broadcast_pair(draw):
    m, n = draw(dims), draw(dims)
    other = draw(st.sampled_from([(m, n), (n,), (1, n), (m, 1), ()]))
    pair = [draw(arrays((m, n))), draw(arrays(other))]
    return pair[::-1] if draw(st.booleans()) else pair


@given(st.sampled_from(["add", "sub", "hadamard", "half_sse", "mse"]), broadcast_pair())
def test_broadcasting_vjps_sum_over_broadcast_axes(name, pair):
    check_vjp(name, pair, {})


@given(st.data())
def test_matmul_vjp(data):
    m, k, n = data.draw(dims), data.draw(dims), data.draw(dims)
    left = data.draw(st.sampled_from([(m, k), (k,)]))
    right = data.draw(st.sampled_from([(k, n), (k,)]))
    check_vjp("matmul", [data.draw(arrays(left)), data.draw(arrays(right))], {})


@given(st.data())
def test_shape_and_reduction_vjps(data):
    m, n = data.draw(dims), data.draw(dims)
    x = data.draw(arrays((m, n)))
    name, params = data.draw(st.sampled_from([
        ("scale", {"c": 1.7}), ("transpose", {}), ("reshape", {"shape": (n, m)}), ("reshape", {"shape": (m * n,)}),
        ("sum", {}), ("sum", {"axis": 0}), ("sum", {"axis": -1}), ("mean", {}), ("mean", {"axis": 0}),
        ("mean", {"axis": (0, 1)}), ("slice", {"index": (slice(0, m, 2), slice(n - 1, None))}),
        ("slice", {"index": (m - 1,)}),
    ]))
    check_vjp(name, [x], params)


@given(st.data())
def test_concat_vjp(data):
    axis, m, n = data.draw(st.sampled_from([0, 1])), data.draw(dims), data.draw(dims)
    sizes = data.draw(st.lists(dims, min_size=2, max_size=3))
    parts = [data.draw(arrays((s, n) if axis == 0 else (m, s))) for s in sizes]
    check_vjp("concat", parts, {"axis": axis})


@given(st.data())
def test_softmax_family_vjps(data):
    shape = data.draw(st.sampled_from([(data.draw(dims),), (data.draw(dims), data.draw(dims))]))
    name = data.draw(st.sampled_from(["softmax", "log_softmax", "logsumexp"]))
    axis = data.draw(st.sampled_from([-1, 0] + ([None] if name == "logsumexp" else [])))
    check_vjp(name, [data.draw(arrays(shape, st.floats(-5, 5)))], {"axis": axis})


@given(st.data())
def test_mask_then_softmax_vjp(data):
    m, n = data.draw(dims), data.draw(dims)
    hide = data.draw(hnp.arrays(bool, (m, n)))
    hide[:, 0] = False  # every row keeps one position, or its softmax is 0/0
    x = data.draw(arrays((m, n)))
    check_vjp("mask", [x], {"mask": hide})
    masked = get("mask").forward(x, mask=hide)
    weights = get("softmax").forward(masked)
    assert np.all(weights[hide] == 0) and np.allclose(weights.sum(axis=-1), 1)
    (grad,) = get("softmax").vjp(RNG.normal(size=(m, n)), weights, masked)
    assert np.all(grad[hide] == 0)


@given(st.data())
def test_loss_vjps(data):
    n, c = data.draw(dims), data.draw(st.integers(2, 4))
    reduction = data.draw(st.sampled_from(["mean", "sum"]))
    y01 = data.draw(arrays((n,), st.floats(0, 1)))
    check_vjp("bce", [data.draw(arrays((n,), st.floats(0.05, 0.95))), y01], {"reduction": reduction})
    check_vjp("bce_with_logits", [data.draw(arrays((n,), st.floats(-6, 6))), y01], {"reduction": reduction})
    logits = data.draw(arrays((n, c), st.floats(-4, 4)))
    labels = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)), dtype=float)
    check_vjp("cross_entropy", [logits, labels], {"reduction": reduction}, differentiable=(True, False))
    assert not np.any(get("cross_entropy").vjp(np.array(1.0), None, logits, labels)[1])
    soft = data.draw(arrays((n, c), st.floats(0.01, 1)))
    check_vjp("cross_entropy", [logits, soft / soft.sum(axis=1, keepdims=True)], {"reduction": reduction})


# --- VJP against the Jacobian of the symbolic form ---------------------------------------------------
def symbols_like(array, tag):
    names = sp.symbols(f"{tag}_0:{array.size}", real=True)
    return np.array(names, dtype=object).reshape(array.shape)


def as_operand(array):
    """A SymPy matrix where the shape is unambiguous (a vector is a column), else the object array."""
    if array.ndim == 1 or (array.ndim == 2 and array.shape[1] > 1):
        return sp.Matrix(array.tolist())
    return array


SYMBOLIC_CASES = [
    ("matmul", (rand(2, 3), rand(3, 2)), {}), ("matmul", (rand(2, 3), rand(3)), {}),
    ("add", (rand(2, 3), rand(3)), {}), ("sub", (rand(2, 2), rand(2, 2)), {}),
    ("hadamard", (rand(3), rand(3)), {}), ("scale", (rand(2, 2),), {"c": 3.0}),
    ("transpose", (rand(2, 3),), {}), ("sum", (rand(2, 3),), {"axis": 0}), ("mean", (rand(2, 3),), {}),
    ("reshape", (rand(2, 3),), {"shape": (3, 2)}), ("concat", (rand(2, 2), rand(2, 3)), {"axis": 1}),
    ("slice", (rand(3, 3),), {"index": (slice(1, 3), slice(0, 2))}),
    ("softmax", (rand(3),), {}), ("softmax", (rand(2, 3),), {"axis": 0}), ("log_softmax", (rand(2, 3),), {}),
    ("logsumexp", (rand(2, 3),), {}), ("mask", (rand(2, 3),), {"mask": HIDE}),
    ("half_sse", (rand(3), rand(3)), {}), ("mse", (rand(2, 3), rand(3)), {}),
    ("mse", (rand(3), rand(3)), {"reduction": "sum"}), ("bce", (probabilities(3), probabilities(3)), {}),
    ("bce_with_logits", (rand(3), probabilities(3)), {"reduction": "sum"}),
    ("cross_entropy", (rand(3),), {"target": np.array(2.0)}),
    ("cross_entropy", (rand(2, 3), probabilities(2, 3)), {}),
]


@pytest.mark.parametrize("name, inputs, params", SYMBOLIC_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(SYMBOLIC_CASES)])
def test_vjp_is_the_transposed_jacobian_of_the_symbolic_form(name, inputs, params):
    """The matrix-form gradient (the VJP) equals the element-wise one (SymPy's Jacobian)."""
    op, params = get(name), dict(params)
    fixed = [params.pop("target")] if "target" in params else []  # class indices: data, not a variable
    symbols = [symbols_like(a, f"v{i}") for i, a in enumerate(inputs)]
    point = {s: v for sym, a in zip(symbols, inputs) for s, v in zip(sym.ravel(), a.ravel())}
    expression = op.symbolic(*(as_operand(s) for s in symbols), *fixed, **params)
    out = np.asarray(op.forward(*inputs, *fixed, **params), dtype=float)
    np.testing.assert_allclose([float(e.subs(point)) for e in expression], out.ravel(), rtol=1e-12)
    upstream = RNG.normal(size=out.shape)
    grads = op.vjp(upstream, out, *inputs, *fixed, **params)
    for sym, grad in zip(symbols, grads):
        jacobian = np.array(sp.Matrix(list(expression)).jacobian(list(sym.ravel())).subs(point), dtype=float)
        np.testing.assert_allclose(jacobian.T @ upstream.ravel(), np.ravel(grad), rtol=1e-9, atol=1e-12)


def test_softmax_jacobian_is_diag_s_minus_s_s_transpose():
    x = rand(4)
    s = get("softmax").forward(x)
    rows = [get("softmax").vjp(unit, s, x)[0] for unit in np.eye(4)]  # row i: ∇ s_i
    np.testing.assert_allclose(softmax_jacobian(s), rows, atol=1e-15)
    np.testing.assert_allclose(softmax_jacobian(s).sum(axis=1), 0, atol=1e-15)


# --- the seed's softmax example --------------------------------------------------------------------
SEED_X = np.array([2.0, 1.0, 0.1])


def test_seed_softmax_output():
    """The notes' denominator 10.0 is wrong twice: their own terms 7.3 + 2.7 + 1.0 add to 11.0, and
    the third is e^0.1 = 1.105, not e^0 = 1; the sum is 11.2125. Their s = (0.66, 0.24, 0.1) is
    nevertheless right to two places (7.3/10.0 would have given 0.73)."""
    s = get("softmax").forward(SEED_X)
    np.testing.assert_allclose(s, [0.659001, 0.242433, 0.098566], atol=5e-7)
    assert np.exp(SEED_X).sum() == pytest.approx(11.2125, abs=1e-4)
    np.testing.assert_allclose(s.round(2), [0.66, 0.24, 0.10])


def test_seed_softmax_jacobian_diagonal_is_not_066():
    """The notes write every diagonal entry as 0.66 (that is s₁, not s₁(1 − s₁)) and fill the whole
    Jacobian with ±0.66; their own next line gets ∂s₁/∂x₁ = 0.66·(1 − 0.66) = 0.22 right."""
    J = softmax_jacobian(get("softmax").forward(SEED_X))
    np.testing.assert_allclose(np.diag(J), [0.224719, 0.183659, 0.088851], atol=5e-7)
    assert J[0, 0] != pytest.approx(0.66, abs=0.1)
    assert J[1, 0] == pytest.approx(-0.159764, abs=5e-7)  # the notes: −0.66 × 0.24 = −0.15 (it is −0.158)
    np.testing.assert_allclose(J, J.T)


def test_seed_softmax_jacobian_on_the_network():
    net = Network()
    s = net.apply("softmax", net.input("x", SEED_X), name="s")
    np.testing.assert_allclose(net.jacobian(s, "x"), softmax_jacobian(net.value(s)), atol=1e-15)


# --- numerical stability --------------------------------------------------------------------------
@pytest.mark.parametrize("big", [1e3, 1e6])
def test_stable_at_extreme_logits(big):
    """Exact and finite at ±1e3 and ±1e6, and no floating-point flag at all, not even underflow."""
    z = np.array([big, -big, 0.0])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        s = get("softmax").forward(z)
        np.testing.assert_array_equal(s, [1, 0, 0])
        np.testing.assert_array_equal(get("softmax").vjp(np.array([1.0, 2, 3]), s, z)[0], [0, 0, 0])
        out = get("log_softmax").forward(z)
        np.testing.assert_array_equal(out, [0, -2 * big, -big])
        np.testing.assert_array_equal(get("log_softmax").vjp(np.ones(3), out, z)[0], [-2, 1, 1])
        assert get("logsumexp").forward(z) == big
        np.testing.assert_array_equal(get("logsumexp").vjp(np.array(1.0), np.array(big), z)[0], [1, 0, 0])
        assert get("cross_entropy").forward(z, np.array(0.0)) == 0
        assert get("cross_entropy").forward(z, np.array(1.0)) == 2 * big
        np.testing.assert_array_equal(get("cross_entropy").vjp(np.array(1.0), None, z, np.array(1.0))[0], [1, -1, 0])
        logits, labels = np.array([big, -big]), np.array([1.0, 0.0])
        assert get("bce_with_logits").forward(logits, labels) == 0
        assert get("bce_with_logits").forward(logits, 1 - labels, reduction="sum") == 2 * big
        np.testing.assert_array_equal(get("bce_with_logits").vjp(np.array(1.0), None, logits, 1 - labels)[0],
                                      [0.5, -0.5])


def test_bce_clamps_its_logs_as_pytorch_does():
    with np.errstate(all="raise"):
        assert get("bce").forward(np.array([0.0, 1.0]), np.array([1.0, 0.0])) == 100.0
        assert np.all(np.isfinite(get("bce").vjp(np.array(1.0), None, np.array([0.0]), np.array([1.0]))[0]))


def test_losses_validate_their_arguments():
    with pytest.raises(ValueError, match="reduction"):
        get("bce").forward(P, Y01, reduction="none")
    with pytest.raises(ValueError, match="class indices"):
        get("cross_entropy").forward(M, np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="matmul"):
        get("matmul").forward(rand(2, 2, 2), rand(2, 2))


# --- through the network ------------------------------------------------------------------------------
def test_linear_layer_gradients_have_their_matrix_form():
    """For L = ½‖W x + b − y‖²: ∂L/∂W = δ xᵀ, ∂L/∂x = Wᵀ δ, ∂L/∂b = δ with δ = W x + b − y."""
    w, x, b, y = rand(2, 3), rand(3), rand(2), rand(2)
    net = Network()
    z = net.apply("add", net.apply("matmul", net.parameter("W", w), net.input("x", x), name="Wx"),
                  net.parameter("b", b), name="z")
    grads = net.backward(net.apply("half_sse", z, net.constant("y", y), name="L"))
    delta = w @ x + b - y
    np.testing.assert_allclose(grads["W"], np.outer(delta, x))
    np.testing.assert_allclose(grads["x"], w.T @ delta)
    np.testing.assert_allclose(grads["b"], delta)
    edges = net.graph.edges
    assert text(edges["W", "Wx"]["vjp"]) == "∂L/∂Wx xᵀ"  # the record's VJP form at the upstream symbol
    assert text(edges["W", "Wx"]["local"]) == "v ↦ v xᵀ"  # a 3-index Jacobian: shown as the map it applies
    assert text(edges["x", "Wx"]["local"]) == "W" and text(edges["b", "z"]["local"]) == "I"
    env = {"W": w, "x": x, "b": b, "y": y, "∂L/∂Wx": delta, "∂L/∂z": delta}
    np.testing.assert_allclose(evaluate(edges["W", "Wx"]["vjp"], env), np.outer(delta, x))
    np.testing.assert_allclose(evaluate(edges["x", "Wx"]["local"], env), edges["x", "Wx"]["local_value"])


def test_against_torch():
    torch = pytest.importorskip("torch")
    logits, labels = rand(4, 3), np.array([0, 2, 1, 1])
    t = torch.tensor(logits, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(t, torch.tensor(labels))
    loss.backward()
    assert get("cross_entropy").forward(logits, labels.astype(float)) == pytest.approx(loss.item(), rel=1e-12)
    grad = get("cross_entropy").vjp(np.array(1.0), None, logits, labels.astype(float))[0]
    np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-10)
    z, y = rand(5), probabilities(5)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(z), torch.tensor(y)).item()
    assert get("bce_with_logits").forward(z, y) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(get("log_softmax").forward(logits),
                               torch.log_softmax(torch.tensor(logits), dim=-1).numpy(), rtol=1e-12)


def test_symbolic_refuses_more_than_two_dimensions():
    with pytest.raises(ValueError, match="2-D"):
        get("reshape").symbolic(sp.Matrix(2, 2, sp.symbols("a:4")), shape=(1, 2, 2))

"""conv2d, max_pool2d, avg_pool2d and batch_norm1d records: forward against plain loops
written here, VJPs against central differences and against the Jacobian of the
element-wise ``symbolic`` form, and against PyTorch when it is installed."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, strategies as st

from symdl.errors import SymdlError
from symdl.tensor import conv
from symdl.tensor.registry import get

H = 1e-6


# --- independent references: nested loops, no windows, no einsum -------------------------
def conv_loops(x, w, b, stride, pad):
    x4 = x if x.ndim == 4 else x[None]
    n, c_in, h, wd = x4.shape
    c_out, _, kh, kw = w.shape
    ho, wo = (h + 2 * pad[0] - kh) // stride[0] + 1, (wd + 2 * pad[1] - kw) // stride[1] + 1
    y = np.zeros((n, c_out, ho, wo))
    for s in range(n):
        for o in range(c_out):
            for i in range(ho):
                for j in range(wo):
                    total = 0.0 if b is None else b[o]
                    for c in range(c_in):
                        for u in range(kh):
                            for v in range(kw):
                                r, q = i * stride[0] + u - pad[0], j * stride[1] + v - pad[1]
                                if 0 <= r < h and 0 <= q < wd:
                                    total += x4[s, c, r, q] * w[o, c, u, v]
                    y[s, o, i, j] = total
    return y if x.ndim == 4 else y[0]


def pool_loops(x, k, stride, reduce):
    x4 = x if x.ndim == 4 else x[None]
    n, c, h, w = x4.shape
    ho, wo = (h - k[0]) // stride[0] + 1, (w - k[1]) // stride[1] + 1
    y = np.zeros((n, c, ho, wo))
    for s in range(n):
        for ch in range(c):
            for i in range(ho):
                for j in range(wo):
                    cells = [x4[s, ch, i * stride[0] + u, j * stride[1] + v] for u in range(k[0]) for v in range(k[1])]
                    y[s, ch, i, j] = reduce(cells)
    return y if x.ndim == 4 else y[0]


def batch_norm_loops(x, gamma, beta, eps):
    n, f = x.shape
    y = np.zeros_like(x)
    for j in range(f):
        mean = sum(x[i, j] for i in range(n)) / n
        variance = sum((x[i, j] - mean) ** 2 for i in range(n)) / n
        for i in range(n):
            y[i, j] = gamma[j] * (x[i, j] - mean) / (variance + eps) ** 0.5 + beta[j]
    return y


def central_differences(forward, inputs, g):
    """∂(Σ g ⊙ forward(inputs))/∂input for every input, by central differences with step H."""
    grads = []
    for k, x in enumerate(inputs):
        d = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            plus, minus = [a.copy() for a in inputs], [a.copy() for a in inputs]
            plus[k][idx] += H
            minus[k][idx] -= H
            d[idx] = (np.sum(g * forward(*plus)) - np.sum(g * forward(*minus))) / (2 * H)
        grads.append(d)
    return grads


def assert_vjp_matches_differences(op, inputs, params, seed):
    out = op.forward(*inputs, **params)
    g = np.random.default_rng(seed + 1).normal(size=out.shape)
    expected = central_differences(lambda *a: op.forward(*a, **params), inputs, g)
    for got, want in zip(op.vjp(g, out, *inputs, **params), expected):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


# --- hypothesis cases ----------------------------------------------------------------------
@st.composite
def conv_cases(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pad = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    size = tuple(draw(st.integers(max(1, k[a] - 2 * pad[a]), 6)) for a in (0, 1))
    batch = draw(st.sampled_from([(), (1,), (2,)]))
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    x = rng.normal(size=batch + (c_in,) + size)
    w = rng.normal(size=(c_out, c_in) + k)
    b = rng.normal(size=c_out) if draw(st.booleans()) else None
    # ints and pairs both reach the op, as a user would write them
    params = {"stride": stride[0] if stride[0] == stride[1] else stride,
              "padding": pad[0] if pad[0] == pad[1] else pad}
    return x, w, b, stride, pad, params


@st.composite
def pool_cases(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.sampled_from([None, 1, 2, 3, (1, 2)]))
    size = (draw(st.integers(k[0], 6)), draw(st.integers(k[1], 6)))
    batch = draw(st.sampled_from([(), (2,)]))
    c = draw(st.integers(1, 2))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    shape = batch + (c,) + size
    x = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.25 + rng.uniform(0, 0.1)  # no ties within 2H
    kernel_size = k[0] if k[0] == k[1] else k
    return x, kernel_size, k, stride


def _stride_pair(stride, k):
    stride = k if stride is None else stride
    return (stride, stride) if isinstance(stride, int) else stride


@given(conv_cases())
def test_conv2d_forward_is_the_loops(case):
    x, w, b, stride, pad, params = case
    inputs = (x, w) if b is None else (x, w, b)
    np.testing.assert_allclose(conv.CONV2D.forward(*inputs, **params), conv_loops(x, w, b, stride, pad),
                               rtol=1e-12, atol=1e-12)


@given(conv_cases(), st.integers(0, 1000))
def test_conv2d_vjp_is_central_differences(case, seed):
    x, w, b, _, _, params = case
    assert_vjp_matches_differences(conv.CONV2D, [x, w] if b is None else [x, w, b], params, seed)


@given(pool_cases())
def test_pool_forwards_are_the_loops(case):
    x, kernel_size, k, stride = case
    step = _stride_pair(stride, k)
    np.testing.assert_allclose(conv.MAX_POOL2D.forward(x, kernel_size=kernel_size, stride=stride),
                               pool_loops(x, k, step, max))
    np.testing.assert_allclose(conv.AVG_POOL2D.forward(x, kernel_size=kernel_size, stride=stride),
                               pool_loops(x, k, step, lambda cells: sum(cells) / len(cells)))


@given(pool_cases(), st.integers(0, 1000))
def test_pool_vjps_are_central_differences(case, seed):
    x, kernel_size, _, stride = case
    for op in (conv.MAX_POOL2D, conv.AVG_POOL2D):
        assert_vjp_matches_differences(op, [x], {"kernel_size": kernel_size, "stride": stride}, seed)


@given(st.integers(2, 5), st.integers(1, 3), st.sampled_from([1e-5, 1e-3, 0.5]), st.integers(0, 2**31))
def test_batch_norm_forward_and_vjp(n, f, eps, seed):
    rng = np.random.default_rng(seed)
    x, gamma, beta = rng.normal(size=(n, f)) * 2 + 1, rng.normal(size=f), rng.normal(size=f)
    np.testing.assert_allclose(conv.BATCH_NORM1D.forward(x, gamma, beta, eps=eps),
                               batch_norm_loops(x, gamma, beta, eps), rtol=1e-12, atol=1e-12)
    assert_vjp_matches_differences(conv.BATCH_NORM1D, [x, gamma, beta], {"eps": eps}, seed)


# --- ties and overlaps ---------------------------------------------------------------------
def test_max_pool_tie_goes_to_the_first_in_row_major_order():
    x = np.array([[[1.0, 2.0], [2.0, 0.0]]])
    (d,) = conv.MAX_POOL2D.vjp(np.array([[[1.0]]]), None, x, kernel_size=2)
    np.testing.assert_array_equal(d, [[[0.0, 1.0], [0.0, 0.0]]])
    (d,) = conv.MAX_POOL2D.vjp(np.ones((1, 1, 1)), None, np.zeros((1, 2, 2)), kernel_size=2)
    np.testing.assert_array_equal(d, [[[1.0, 0.0], [0.0, 0.0]]])


def test_overlapping_max_windows_add_their_gradients():
    x = np.array([[[0.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 0.0]]])  # the 5 wins all four 2×2 windows
    (d,) = conv.MAX_POOL2D.vjp(np.ones((1, 2, 2)), None, x, kernel_size=2, stride=1)
    assert d[0, 1, 1] == 4 and d.sum() == 4


# --- the matrix-form VJP equals the element-wise Jacobian of ``symbolic`` -----------------
def symbolic_vjp(op, values, g, params, as_matrix=()):
    """gᵀ J, with J the SymPy Jacobian of ``op.symbolic`` over fresh symbols for every entry."""
    symbols = [np.array(sp.symbols(f"a{k}_0:{v.size}", real=True), dtype=object).reshape(v.shape)
               for k, v in enumerate(values)]
    operands = [sp.Matrix(s.tolist()) if k in as_matrix else s for k, s in enumerate(symbols)]
    out = np.array(op.symbolic(*operands, **params).tolist(), dtype=object).ravel()
    point = {s: float(v) for sym, val in zip(symbols, values) for s, v in zip(sym.ravel(), val.ravel())}
    numeric_out = np.array([float(e.subs(point)) for e in out])
    np.testing.assert_allclose(numeric_out, op.forward(*values, **params).ravel(), rtol=1e-10)
    grads = []
    for sym in symbols:
        jacobian = sp.Matrix(out).jacobian(list(sym.ravel()))
        grads.append((g.ravel() @ np.array(jacobian.subs(point).evalf(), dtype=float)).reshape(sym.shape))
    return grads


@pytest.mark.parametrize("stride, padding, bias", [(1, 0, True), (2, 1, False), ((1, 2), "valid", True)])
def test_conv2d_vjp_is_the_symbolic_jacobian(stride, padding, bias):
    rng = np.random.default_rng(4)
    values = [rng.normal(size=(2, 3, 3)), rng.normal(size=(2, 2, 2, 2))] + ([rng.normal(size=2)] if bias else [])
    params = {"stride": stride, "padding": padding}
    out = conv.CONV2D.forward(*values, **params)
    g = rng.normal(size=out.shape)
    for got, want in zip(conv.CONV2D.vjp(g, out, *values, **params), symbolic_vjp(conv.CONV2D, values, g, params)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_conv2d_symbolic_on_matrices_is_one_channel():
    x, k = sp.Matrix(3, 3, sp.symbols("x0:9")), sp.Matrix([[1, 0], [0, -1]])
    y = conv.CONV2D.symbolic(x, k)
    assert isinstance(y, sp.MatrixBase) and y.shape == (2, 2)
    assert y[0, 1] == sp.Symbol("x1") - sp.Symbol("x5")  # cross-correlation: no kernel flip
    assert conv.CONV2D.symbolic(x, k, padding=1).shape == (4, 4)
    assert conv.CONV2D.symbolic(x, sp.ones(3, 3), padding="same").shape == (3, 3)


@pytest.mark.parametrize("op", [conv.MAX_POOL2D, conv.AVG_POOL2D])
@pytest.mark.parametrize("kernel_size, stride", [(2, None), (2, 1), ((2, 3), 1)])
def test_pool_vjp_is_the_symbolic_jacobian(op, kernel_size, stride):
    rng = np.random.default_rng(5)
    x = rng.permutation(16).reshape(1, 4, 4) + 0.5
    params = {"kernel_size": kernel_size, "stride": stride}
    out = op.forward(x, **params)
    g = rng.normal(size=out.shape)
    (got,) = op.vjp(g, out, x, **params)
    (want,) = symbolic_vjp(op, [x], g, params)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_batch_norm_vjp_is_the_symbolic_jacobian():
    rng = np.random.default_rng(6)
    values = [rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=2)]
    out = conv.BATCH_NORM1D.forward(*values, eps=1e-3)
    g = rng.normal(size=out.shape)
    want = symbolic_vjp(conv.BATCH_NORM1D, values, g, {"eps": 1e-3}, as_matrix=(0,))
    for got, expected in zip(conv.BATCH_NORM1D.vjp(g, out, *values, eps=1e-3), want):
        np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10)


# --- registry records and refusals ----------------------------------------------------------
def test_records_are_registered_without_a_matrix_form():
    """Images are rank 3 and more: no SymPy matrix expression holds them, so the network shows these
    ops' values and VJPs as opaque applied functions (conv2d(X, K, b)), never as formula strings; batch
    norm's value is written, its γ and β VJPs have closed forms (tests/test_tensor_printing.py)."""
    for name in ("conv2d", "max_pool2d", "avg_pool2d"):
        assert get(name).name == name and get(name).value_form is None and get(name).vjp_form is None
    assert get("batch_norm1d").value_form is None and get("batch_norm1d").vjp_form is not None


@pytest.mark.parametrize("call", [
    lambda: conv.CONV2D.forward(np.zeros((1, 5, 5)), np.zeros((1, 1, 3, 3)), stride=2, padding="same"),
    lambda: conv.CONV2D.forward(np.zeros((1, 5, 5)), np.zeros((1, 1, 2, 2)), padding="same"),
    lambda: conv.CONV2D.forward(np.zeros((2, 5, 5)), np.zeros((1, 3, 3, 3))),
    lambda: conv.CONV2D.forward(np.zeros((5, 5)), np.zeros((1, 1, 3, 3))),
    lambda: conv.CONV2D.forward(np.zeros((1, 2, 2)), np.zeros((1, 1, 3, 3))),
    lambda: conv.CONV2D.forward(np.zeros((1, 5, 5)), np.zeros((1, 1, 3, 3)), padding=-1),
    lambda: conv.MAX_POOL2D.forward(np.zeros((1, 5, 5)), kernel_size=0),
    lambda: conv.BATCH_NORM1D.forward(np.zeros((1, 3)), np.ones(3), np.zeros(3)),
])
def test_bad_shapes_and_parameters_are_refused(call):
    with pytest.raises(SymdlError):
        call()


# --- PyTorch, when installed -------------------------------------------------------------------
def test_conv2d_matches_torch():
    torch = pytest.importorskip("torch")

    @given(conv_cases())
    def check(case):
        compare_conv2d_with_torch(torch, *case)

    check()


def compare_conv2d_with_torch(torch, x, w, b, stride, pad, params):
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    tb = None if b is None else torch.tensor(b, requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tw, tb, stride=stride, padding=pad)
    g = np.random.default_rng(0).normal(size=tuple(ty.shape))
    ty.backward(torch.tensor(g))
    inputs = [x, w] if b is None else [x, w, b]
    out = conv.CONV2D.forward(*inputs, **params)
    np.testing.assert_allclose(out, ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    for got, t in zip(conv.CONV2D.vjp(g, out, *inputs, **params), [tx, tw, tb]):
        np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_pools_match_torch():
    torch = pytest.importorskip("torch")

    @given(pool_cases())
    def check(case):
        compare_pools_with_torch(torch, *case)

    check()


def compare_pools_with_torch(torch, x, kernel_size, _, stride):
    functional = torch.nn.functional
    for op, fn in [(conv.MAX_POOL2D, functional.max_pool2d), (conv.AVG_POOL2D, functional.avg_pool2d)]:
        tx = torch.tensor(x, requires_grad=True)
        ty = fn(tx, kernel_size, stride)
        g = np.random.default_rng(1).normal(size=tuple(ty.shape))
        ty.backward(torch.tensor(g))
        out = op.forward(x, kernel_size=kernel_size, stride=stride)
        np.testing.assert_allclose(out, ty.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(op.vjp(g, out, x, kernel_size=kernel_size, stride=stride)[0], tx.grad.numpy(),
                                   rtol=1e-12)


def test_batch_norm_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x, gamma, beta = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=3)
    tensors = [torch.tensor(v, requires_grad=True) for v in (x, gamma, beta)]
    ty = torch.nn.functional.batch_norm(tensors[0], None, None, tensors[1], tensors[2], training=True, eps=1e-5)
    g = rng.normal(size=(5, 3))
    ty.backward(torch.tensor(g))
    out = conv.BATCH_NORM1D.forward(x, gamma, beta)
    np.testing.assert_allclose(out, ty.detach().numpy(), rtol=1e-10)
    for got, t in zip(conv.BATCH_NORM1D.vjp(g, out, x, gamma, beta), tensors):
        np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-8, atol=1e-10)
